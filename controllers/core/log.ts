import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger };

/** Marker on a log line that carries an audit record the audit bus did not take. Search for it. */
export const AUDIT_FALLBACK_MARKER = 'LOGWARDEN_AUDIT_FALLBACK';

/** Structured JSON logger. Level from `LOGWARDEN_LOG_LEVEL` (or Powertools' own variables). */
export function createLogger(serviceName = 'logwarden'): Logger {
  const level = process.env.LOGWARDEN_LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO';
  return new Logger({ serviceName, logLevel: level as 'INFO' });
}
