/**
 * Defaults shown in `logwarden audit --help`. They live apart from the modules that use them so the
 * command's definition (cli/audit/command.ts) loads no AWS SDK client.
 */

/** Where `logwarden audit` reads when no source is named: what `logwarden demo` just saved. */
export const DEFAULT_SOURCE = '.demo/audit.jsonl';

/** How many most-remediated resources the summary lists. */
export const DEFAULT_TOP = 10;

/** The alias of the key that signs audit records (the central stack creates it). */
export const DEFAULT_SIGNING_KEY = 'alias/logwarden-audit-signing';
