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
 * The largest event a quarantined line embeds. Lambda cuts a log line at 256 KB, and a cut JSON line
 * matches no metric filter, so a huge forged event must not be able to hide from the count.
 */
const MAX_EMBEDDED_EVENT_CHARS = 128 * 1024;
const PREVIEW_CHARS = 2048;

/** A quarantined line: the verdict, and the whole event when it fits (the three sinks hold it in any case). */
function quarantinedLine(verdict: OriginVerdict, event: unknown): string {
  const text = JSON.stringify(event) ?? 'undefined';
  if (text.length <= MAX_EMBEDDED_EVENT_CHARS) return JSON.stringify({ ...verdict, event });
  return JSON.stringify({ ...verdict, event: null, eventChars: text.length, eventPreview: text.slice(0, PREVIEW_CHARS) });
}

/**
 * Check one audit record's origin and write its verdict line. A quarantined line carries the event
 * (envelope and record), so it is kept where the alarm points, whatever it held.
 */
export function handleOriginEvent(event: unknown, write: LineWriter = stdoutWriter): OriginVerdict {
  const verdict = checkOrigin(event);
  write(verdict.verdict === ADMITTED ? JSON.stringify(verdict) : quarantinedLine(verdict, event));
  return verdict;
}

/**
 * The origin check's Lambda handler. It calls no AWS API and needs no policy, so it has no start-up
 * path to share with the other functions: each event is checked and its verdict line written.
 */
export function createOriginCheckHandler(write: LineWriter = stdoutWriter) {
  return async (event: unknown): Promise<OriginVerdict['verdict']> => handleOriginEvent(event, write).verdict;
}
