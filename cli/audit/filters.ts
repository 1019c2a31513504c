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

/** `--outcome` values checked against the record schema's outcomes. */
export function parseOutcomes(values: readonly string[] | undefined): Outcome[] | undefined {
  if (!values) return undefined;
  const list = values.flatMap((v) => v.split(',')).filter((v) => v.length > 0);
  for (const v of list) {
    if (!(OUTCOMES as readonly string[]).includes(v)) {
      throw new ConfigError('--outcome', `unknown outcome ${JSON.stringify(v)} (one of ${OUTCOMES.join(', ')})`);
    }
  }
  return list as Outcome[];
}

export function parseSortField(value: string | undefined): SortField {
  const v = value ?? 'time';
  if (!(SORT_FIELDS as readonly string[]).includes(v)) {
    throw new ConfigError('--sort', `unknown field ${JSON.stringify(v)} (one of ${SORT_FIELDS.join(', ')})`);
  }
  return v as SortField;
}

/** `a,b` and repeated flags alike. */
export function splitList(values: readonly string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const list = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  return list.length > 0 ? list : undefined;
}

const globCache = new Map<string, RegExp>();
/** Exact match, or a pattern where `*` matches any run of characters. Case-sensitive. */
export function matchesPattern(pattern: string, value: string | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (!pattern.includes('*')) return pattern === value;
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's');
    globCache.set(pattern, re);
  }
  return re.test(value);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Does the record match the query? Pure. */
export function matches(record: AuditRecord, q: AuditQuery): boolean {
  if (q.since || q.until) {
    const t = Date.parse(record.time);
    if (q.since && t < q.since.getTime()) return false;
    if (q.until && t >= q.until.getTime()) return false;
  }
  if (q.guardrail && !q.guardrail.includes(record.guardrail)) return false;
  if (q.account && !q.account.includes(record.account)) return false;
  if (q.region && !q.region.includes(record.region)) return false;
  if (q.outcome && !q.outcome.includes(record.outcome)) return false;
  if (
    q.resource &&
    !q.resource.some(
      (p) =>
        matchesPattern(p, record.resource.id) ||
        matchesPattern(p, record.resource.arn) ||
        matchesPattern(p, record.resource.type),
    )
  ) {
    return false;
  }
  if (q.actor && !q.actor.some((p) => matchesPattern(p, record.trigger.actor))) return false;
  return true;
}

function sortKey(r: AuditRecord, field: SortField): string | number {
  switch (field) {
    case 'time':
      return Date.parse(r.time);
    case 'duration':
      return r.durationMs;
    case 'resource':
      return r.resource.id;
    case 'actor':
      return r.trigger.actor ?? '';
    default:
      return r[field];
  }
}

/** A sorted copy; ties keep time order (then id), so the output is stable. Pure. */
export function sortRecords(records: readonly AuditRecord[], field: SortField, descending = false): AuditRecord[] {
  const keyed = records.map((r) => ({ r, k: sortKey(r, field), t: Date.parse(r.time) }));
  const dir = descending ? -1 : 1;
  keyed.sort((a, b) => {
    if (a.k < b.k) return -dir;
    if (a.k > b.k) return dir;
    if (a.t !== b.t) return (a.t - b.t) * dir;
    return a.r.id < b.r.id ? -dir : a.r.id > b.r.id ? dir : 0;
  });
  return keyed.map((x) => x.r);
}
