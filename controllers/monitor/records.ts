import { randomUUID } from 'node:crypto';
import { type AuditRecord, DEPLOYMENT_RESOURCE_TYPE, HEARTBEAT_GUARDRAIL, type Outcome, SCHEMA_VERSION } from '../core/record.js';
import { deploymentKey, type MissingDeployment, MONITOR_EVENT_NAME } from './decide.js';

/** What to do when a deployment is silent. */
const MONITOR_RUNBOOK = 'runbooks/heartbeat.md';

/**
 * Where the monitor runs. Its records carry the central account and region as `account`/`region`
 * (they are what the envelope of its PutEvents will say, so origin checks keep them); the deployment a
 * record is about is its `resource.id`, `<account>/<region>`.
 */
export interface MonitorOrigin {
  account: string;
  region: string;
  eventId: string | null;
  now: Date;
}

function monitorRecord(o: MonitorOrigin, resourceId: string, outcome: Outcome, reason: string): AuditRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    id: randomUUID(),
    time: o.now.toISOString(),
    guardrail: HEARTBEAT_GUARDRAIL,
    account: o.account,
    region: o.region,
    resource: { type: DEPLOYMENT_RESOURCE_TYPE, id: resourceId, arn: null },
    trigger: { type: 'sweep', eventId: o.eventId, eventName: MONITOR_EVENT_NAME, actor: 'aws.events' },
    outcome,
    reason,
    // The monitor changes nothing.
    mode: 'notify',
    drift: [],
    actions: [],
    verified: null,
    retryable: false,
    durationMs: 0,
    runbook: MONITOR_RUNBOOK,
  };
}

/** The `failed` record of one silent deployment, naming it, the age of its last beat and the runbook. Pure. */
export function missingRecord(o: MonitorOrigin, m: MissingDeployment, heartbeatMinutes: number): AuditRecord {
  const limit = 2 * heartbeatMinutes;
  const since =
    m.lastSeen === null
      ? 'has never sent a heartbeat'
      : `has sent no heartbeat for ${m.ageMinutes} minutes (last ${m.lastSeen.toISOString()})`;
  const reason =
    `deployment ${deploymentKey(m)} ${since}, more than ${limit} minutes (two heartbeat periods): ` +
    `logwarden may be disabled or deleted there; see ${MONITOR_RUNBOOK}`;
  return {
    ...monitorRecord(o, deploymentKey(m), 'failed', reason),
    drift: [{ property: 'lastHeartbeat', observed: m.lastSeen?.toISOString() ?? null, desired: `within ${limit} minutes` }],
  };
}

/** The `failed` record when the expected set could not be listed: never a silent pass. Pure. */
export function unknownExpectedSetRecord(o: MonitorOrigin, source: string, error: string, checkedKnown: number): AuditRecord {
  const reason =
    `the expected set of deployments is unknown: listing ${source} failed (${error}); ` +
    `only the ${checkedKnown} deployment(s) that have beaten before were checked; see ${MONITOR_RUNBOOK}`;
  return monitorRecord(o, `expected-deployments/${source}`, 'failed', reason);
}

/** The `failed` record when the stored beats could not be read: nothing was checked. Pure. */
export function unreadableBeatsRecord(o: MonitorOrigin, table: string, error: string): AuditRecord {
  const reason = `the last heartbeats could not be read from ${table} (${error}): no deployment was checked; see ${MONITOR_RUNBOOK}`;
  return monitorRecord(o, 'heartbeats', 'failed', reason);
}

/**
 * The `failed` record of a beat whose `detail.account` is not the account that put it: not counted,
 * and worth a look (a forged heartbeat can hide a silenced deployment). Pure.
 */
export function mismatchRecord(
  o: MonitorOrigin,
  input: { envelopeAccount: string; claimedAccount: string; region: string },
): AuditRecord {
  const reason =
    `a heartbeat put by account ${input.envelopeAccount} claims to come from account ${input.claimedAccount}: ` +
    `not counted for either; see ${MONITOR_RUNBOOK}`;
  return monitorRecord(o, deploymentKey({ account: input.envelopeAccount, region: input.region }), 'failed', reason);
}

/** The `ignored` record of a beat from a region logwarden is not rolled out to: not stored, so not counted. Pure. */
export function outsideRolloutRecord(
  o: MonitorOrigin,
  d: { account: string; region: string },
  regions: readonly string[],
): AuditRecord {
  const reason = `heartbeat from ${deploymentKey(d)} not counted: ${d.region} is not a rollout region (${regions.join(', ')})`;
  return monitorRecord(o, deploymentKey(d), 'ignored', reason);
}

/** The `ignored` record of a heartbeat that does not parse: not counted, the reason named. Pure. */
export function malformedRecord(o: MonitorOrigin, envelopeAccount: string | null, reason: string): AuditRecord {
  const from = envelopeAccount ?? 'unknown-account';
  return monitorRecord(o, `${from}/unknown-region`, 'ignored', `malformed heartbeat from ${from}, not counted: ${reason}`);
}
