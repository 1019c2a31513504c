import { ConfigError } from '../../controllers/core/errors.js';
import { type AuditRecord, OUTCOMES, type Outcome } from '../../controllers/core/record.js';

/** What to select. Every list is "any of"; fields combine with "and". */
export interface AuditQuery {
  guardrail?: readonly string[];
  account?: readonly string[];
  region?: readonly string[];
  /** Resource id, ARN or type; `*` is a wildcard. */
  resource?: readonly string[];
  outcome?: readonly Outcome[];
  /** Trigger actor (an IAM ARN, `aws.events`, a user name); `*` is a wildcard. */
  actor?: readonly string[];
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
}

const SORT_FIELDS = ['time', 'guardrail', 'account', 'region', 'resource', 'outcome', 'actor', 'duration'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

/** A flag's values (repeated or comma-separated) checked against the valid ones; an unknown one is an error listing them. */
function checkedOneOf<T extends string>(
  flag: string,
  what: string,
  values: readonly string[] | undefined,
  valid: readonly T[],
): T[] | undefined {
  if (!values) return undefined;
  const list = values.flatMap((value) => value.split(',')).filter((value) => value.length > 0);
  for (const value of list) {
    if (!(valid as readonly string[]).includes(value)) {
      throw new ConfigError(flag, `unknown ${what} ${JSON.stringify(value)} (one of ${valid.join(', ')})`);
    }
  }
  return list as T[];
}

/** `--outcome` values checked against the record schema's outcomes. */
export function parseOutcomes(values: readonly string[] | undefined): Outcome[] | undefined {
  return checkedOneOf('--outcome', 'outcome', values, OUTCOMES);
}

/** `--guardrail` values checked against the guardrails that write records (the registry, the heartbeat, intake). */
export function parseGuardrails(values: readonly string[] | undefined, known: readonly string[]): string[] | undefined {
  return checkedOneOf('--guardrail', 'guardrail', values, known);
}

export function parseSortField(value: string | undefined): SortField {
  const field = value ?? 'time';
  if (!(SORT_FIELDS as readonly string[]).includes(field)) {
    throw new ConfigError('--sort', `unknown field ${JSON.stringify(field)} (one of ${SORT_FIELDS.join(', ')})`);
  }
  return field as SortField;
}

/** `a,b` and repeated flags alike. */
export function splitList(values: readonly string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const list = values
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  return list.length > 0 ? list : undefined;
}

const globCache = new Map<string, RegExp>();
/** Exact match, or a pattern where `*` matches any run of characters. Case-sensitive. */
export function matchesPattern(pattern: string, value: string | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (!pattern.includes('*')) return pattern === value;
  let glob = globCache.get(pattern);
  if (!glob) {
    glob = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's');
    globCache.set(pattern, glob);
  }
  return glob.test(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Does the record match the query? Pure. */
export function matches(record: AuditRecord, query: AuditQuery): boolean {
  if (query.since || query.until) {
    const time = Date.parse(record.time);
    if (query.since && time < query.since.getTime()) return false;
    if (query.until && time >= query.until.getTime()) return false;
  }
  if (query.guardrail && !query.guardrail.includes(record.guardrail)) return false;
  if (query.account && !query.account.includes(record.account)) return false;
  if (query.region && !query.region.includes(record.region)) return false;
  if (query.outcome && !query.outcome.includes(record.outcome)) return false;
  if (
    query.resource &&
    !query.resource.some(
      (pattern) =>
        matchesPattern(pattern, record.resource.id) ||
        matchesPattern(pattern, record.resource.arn) ||
        matchesPattern(pattern, record.resource.type),
    )
  ) {
    return false;
  }
  if (query.actor && !query.actor.some((pattern) => matchesPattern(pattern, record.trigger.actor))) return false;
  return true;
}

function sortKey(record: AuditRecord, field: SortField): string | number {
  switch (field) {
    case 'time':
      return Date.parse(record.time);
    case 'duration':
      return record.durationMs;
    case 'resource':
      return record.resource.id;
    case 'actor':
      return record.trigger.actor ?? '';
    default:
      return record[field];
  }
}

/** A sorted copy; ties keep time order (then id), so the output is stable. Pure. */
export function sortRecords(records: readonly AuditRecord[], field: SortField, descending = false): AuditRecord[] {
  const keyed = records.map((record) => ({ record, key: sortKey(record, field), time: Date.parse(record.time) }));
  const direction = descending ? -1 : 1;
  keyed.sort((a, b) => {
    if (a.key < b.key) return -direction;
    if (a.key > b.key) return direction;
    if (a.time !== b.time) return (a.time - b.time) * direction;
    return a.record.id < b.record.id ? -direction : a.record.id > b.record.id ? direction : 0;
  });
  return keyed.map((entry) => entry.record);
}
