import { createHash, randomUUID } from 'node:crypto';
import { type AuditRecord, SCHEMA_VERSION } from './record.js';

/** The resource type of a sweep summary record: one per sweep, guardrail and region. */
export const SWEEP_RESOURCE_TYPE = 'logwarden::Sweep';

/** How the compliant resources a summary stands for can be checked later against a full listing. */
interface SweepDigest {
  /** Resources the sweep checked (every outcome). */
  checked: number;
  /** Records by outcome, the summarised compliant ones included. */
  outcomes: Record<string, number>;
  /** Compliant resources summarised instead of published one record each. */
  compliant: number;
  /** SHA-256 (hex) of the sorted `type|id` lines of those compliant resources. */
  compliantDigest: string;
  /** The resources the sweep left alone (`ignored`), with the reason: the first {@link MAX_LISTED_IGNORED}, and how many more. */
  ignored?: { resources: IgnoredResource[]; more: number };
}

interface IgnoredResource {
  type: string;
  id: string;
  reason: string;
}

/** Ignored resources listed by name in a summary record; it must stay far below EventBridge's 256 KB. */
export const MAX_LISTED_IGNORED = 50;
/** Reasons longer than this are cut in the list (the full record carries the whole reason). */
const MAX_IGNORED_REASON = 300;

/**
 * What a sweep left alone, by name: exclusions are an escape hatch, so each one stays visible. Sorted
 * by id so that two sweeps of the same state give the same list. Pure.
 */
function ignoredOf(group: readonly AuditRecord[]): SweepDigest['ignored'] {
  const ignored = group
    .filter((r) => r.outcome === 'ignored')
    .map((r) => ({ type: r.resource.type, id: r.resource.id, reason: r.reason.slice(0, MAX_IGNORED_REASON) }))
    .sort((a, b) => a.id.localeCompare(b.id) || a.type.localeCompare(b.type));
  if (ignored.length === 0) return undefined;
  return { resources: ignored.slice(0, MAX_LISTED_IGNORED), more: Math.max(0, ignored.length - MAX_LISTED_IGNORED) };
}

/** The digest of a set of resources: the same set gives the same digest whatever the order. Pure. */
export function resourcesDigest(records: readonly Pick<AuditRecord, 'resource'>[]): string {
  const lines = records.map((r) => `${r.resource.type}|${r.resource.id}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** `ok`: folded into the summary; every other outcome is published in full. */
const isSummarised = (r: AuditRecord) => r.trigger.type === 'sweep' && r.outcome === 'compliant' && r.resource.id !== '*';

function summaryOf(group: readonly AuditRecord[], compliant: readonly AuditRecord[], now: Date): AuditRecord {
  const first = group[0] as AuditRecord;
  const outcomes: Record<string, number> = {};
  for (const r of group) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const others = group.length - compliant.length;
  const ignored = ignoredOf(group);
  const sweep: SweepDigest = {
    checked: group.length,
    outcomes,
    compliant: compliant.length,
    compliantDigest: resourcesDigest(compliant),
    ...(ignored ? { ignored } : {}),
  };
  const ignoredNote = ignored ? `; ${outcomes.ignored} ignored (listed in sweep.ignored)` : '';
  return {
    schemaVersion: SCHEMA_VERSION,
    id: randomUUID(),
    time: now.toISOString(),
    guardrail: first.guardrail,
    account: first.account,
    region: first.region,
    resource: { type: SWEEP_RESOURCE_TYPE, id: `${first.guardrail}/${first.region}`, arn: null },
    trigger: first.trigger,
    outcome: 'compliant',
    reason: `sweep checked ${group.length} resource(s): ${compliant.length} compliant (summarised here), ${others} published in full${ignoredNote}`,
    mode: first.mode,
    drift: [],
    actions: [],
    verified: null,
    retryable: false,
    durationMs: Math.max(...group.map((r) => r.durationMs)),
    runbook: first.runbook,
    sweep,
  };
}

/**
 * What a sweep publishes to the central bus (#13): compliant results are not published one record per
 * resource; each guardrail and region gets one summary record (counts, the compliant resources as a
 * digest) and every other result is published in full. Records of other triggers pass unchanged.
 * The function logs every record in full in its own log group, so nothing is lost. Pure.
 */
export function summariseSweeps(records: readonly AuditRecord[], now: Date): AuditRecord[] {
  const groups = new Map<string, AuditRecord[]>();
  for (const r of records) {
    if (r.trigger.type !== 'sweep') continue;
    const key = `${r.guardrail}\u0000${r.region}`;
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  const summaries = [...groups.values()].map((group) => summaryOf(group, group.filter(isSummarised), now));
  return [...records.filter((r) => !isSummarised(r)), ...summaries];
}
