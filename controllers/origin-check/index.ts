import { ADMITTED, checkOrigin, type OriginVerdict } from './decide.js';

export { ADMITTED, QUARANTINED } from './decide.js';

/** The central function's name. */
export const ORIGIN_CHECK_FUNCTION_NAME = 'logwarden-origin-check';
/** Its log group: one verdict line per audit record, where the central metric filters count. */
export const ORIGIN_CHECK_LOG_GROUP = '/logwarden/origin-check';

/** Writes one verdict line. */
export type LineWriter = (line: string) => void;

/**
 * Verdict lines go straight to stdout as one JSON object each, not through the logger: the counts
 * must not depend on a log level (`LOGWARDEN_LOG_LEVEL`, Lambda's application log level).
 */
const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/**
 * Check one audit record's origin and write its verdict line. A quarantined line carries the whole
 * event (envelope and record), so it is kept where the alarm points, whatever it held.
 */
export function handleOriginEvent(event: unknown, write: LineWriter = stdoutWriter): OriginVerdict {
  const verdict = checkOrigin(event);
  write(JSON.stringify(verdict.verdict === ADMITTED ? verdict : { ...verdict, event }));
  return verdict;
}

/**
 * The origin check's Lambda handler. It calls no AWS API and needs no policy, so it has no start-up
 * path to share with the other functions: each event is checked and its verdict line written.
 */
export function createOriginCheckHandler(write: LineWriter = stdoutWriter) {
  return async (event: unknown): Promise<OriginVerdict['verdict']> => handleOriginEvent(event, write).verdict;
}
