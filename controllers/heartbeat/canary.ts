/**
 * The event-path canary (#13 item 5), pure part. EventBridge receives `AWS API Call via CloudTrail`
 * events only while a trail logs in the region; the heartbeat proves the path is alive by tagging its
 * canary log group with the beat's id (a free write management event) and waiting for that write's
 * CloudTrail event to come back to it.
 *
 * What the state table holds is untrusted (an account admin without the SCP can write it): every item
 * read here is validated and bounded, and what cannot be trusted makes the canary fail, never pass.
 */
import { randomUUID } from 'node:crypto';
import { functionRoleName, ROLE_PATH } from '../core/identity.js';
import { CLOUDTRAIL_DETAIL_TYPE } from '../core/intake.js';
import { type AuditRecord, HEARTBEAT_GUARDRAIL, SCHEMA_VERSION } from '../core/record.js';
import { CLOCK_SKEW_MS } from '../core/state-table.js';

/** The canary: an empty log group (nothing stored, nothing billed) whose tag the heartbeat rewrites each beat. */
export const CANARY_LOG_GROUP = '/logwarden/canary';
/** The tag whose value is the beat's id: the nonce the CloudTrail event carries back. */
export const CANARY_TAG = 'logwarden:canary';
/** The member rule that hands the canary's CloudTrail event back to the heartbeat. */
export const CANARY_RULE_NAME = 'logwarden-heartbeat-canary';
/** The audit record's trigger name for the canary's results (not `Heartbeat`: the central monitor counts only beats). */
const CANARY_EVENT_NAME = 'HeartbeatCanary';
const CANARY_RESOURCE_TYPE = 'AWS::Logs::LogGroup';
const CANARY_RUNBOOK = 'runbooks/heartbeat.md#the-event-path-canary';
/** The one call the canary makes. */
export const CANARY_IAM_ACTIONS = ['logs:TagResource'] as const;
/** State table keys: the last canary written, and one arrival item per beat id. */
export const WRITTEN_KEY = 'canary#written';
export const arrivalKey = (beat: string) => `canary#arrived#${beat}`;

/**
 * The canary log group's ARN, as `logs:TagResource` takes it and IAM evaluates it (no `:*`). Pure;
 * the place may hold CDK tokens or manifest placeholders.
 */
export function canaryLogGroupArn(p: { partition: string; region: string; account: string }): string {
  return `arn:${p.partition}:logs:${p.region}:${p.account}:log-group:${CANARY_LOG_GROUP}`;
}

/** The heartbeat's role, exactly: the only caller whose canary write counts. Pure; the place may hold tokens or placeholders. */
export function heartbeatRoleArn(p: { partition: string; region: string; account: string }): string {
  return `arn:${p.partition}:iam::${p.account}:role${ROLE_PATH}${functionRoleName('heartbeat', 'heartbeat', p.region)}`;
}

/** The last canary written: the beat's id (the nonce) and when. */
export interface WrittenCanary {
  beat: string;
  writtenAtMs: number;
}

/** The arrival of a canary's CloudTrail event. */
interface CanaryArrival {
  beat: string;
  arrivedAtMs: number;
}

/** A state item as read: a plain record of attribute values (DynamoDB's `{S}` / `{N}` shapes). */
export type RawItem = Record<string, { S?: string; N?: string } | undefined> | undefined;

/** An item read back that logwarden did not write as it is. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A beat id as the heartbeat makes them (a UUID), and nothing longer: also a valid tag value. */
const BEAT_ID = /^[\w-]{1,64}$/;

function numberAttr(item: NonNullable<RawItem>, name: string): number | null {
  const raw = item[name]?.N;
  if (raw === undefined || raw.length > 20) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** The written item, validated: a beat id and a write time not in the future. Pure. */
export function parseWritten(item: RawItem, nowMs: number): Parsed<WrittenCanary> | null {
  if (!item) return null;
  const beat = item.beat?.S;
  const writtenAtMs = numberAttr(item, 'writtenAtMs');
  if (!beat || !BEAT_ID.test(beat)) return { ok: false, reason: 'its beat id is missing or malformed' };
  if (writtenAtMs === null) return { ok: false, reason: 'its write time is not a number' };
  if (writtenAtMs > nowMs + CLOCK_SKEW_MS) {
    return { ok: false, reason: `its write time ${new Date(Math.min(writtenAtMs, 8.64e15)).toISOString()} is in the future` };
  }
  return { ok: true, value: { beat, writtenAtMs } };
}

/**
 * An arrival counts for the written canary only if it names the same beat and arrived between the
 * write and now (each within the clock skew). Anything else is not an arrival. Pure.
 */
function parseArrival(item: RawItem, written: WrittenCanary, nowMs: number): CanaryArrival | null {
  if (!item) return null;
  const arrivedAtMs = numberAttr(item, 'arrivedAtMs');
  if (item.beat?.S !== written.beat || arrivedAtMs === null) return null;
  if (arrivedAtMs < written.writtenAtMs - CLOCK_SKEW_MS || arrivedAtMs > nowMs + CLOCK_SKEW_MS) return null;
  return { beat: written.beat, arrivedAtMs };
}

export type CanaryStatus =
  /** No canary written yet (first beat, or the state was removed): nothing to judge. */
  | { kind: 'none' }
  | { kind: 'arrived'; written: WrittenCanary; latencyMs: number }
  | { kind: 'pending'; written: WrittenCanary; ageMs: number }
  | { kind: 'overdue'; written: WrittenCanary; ageMs: number }
  /** The written item is not one logwarden wrote: fail closed. */
  | { kind: 'untrusted'; reason: string };

/**
 * The previous canary's status: arrived, still within `boundMs` of its write (pending), or past it
 * (overdue). Pure.
 */
export function canaryStatus(input: { written: RawItem; arrival: RawItem; nowMs: number; boundMs: number }): CanaryStatus {
  const parsed = parseWritten(input.written, input.nowMs);
  if (!parsed) return { kind: 'none' };
  if (!parsed.ok)
    return { kind: 'untrusted', reason: `the state item ${WRITTEN_KEY} is not one logwarden wrote: ${parsed.reason}` };
  const written = parsed.value;
  const arrival = parseArrival(input.arrival, written, input.nowMs);
  if (arrival) return { kind: 'arrived', written, latencyMs: Math.max(0, arrival.arrivedAtMs - written.writtenAtMs) };
  const ageMs = Math.max(0, input.nowMs - written.writtenAtMs);
  return ageMs > input.boundMs ? { kind: 'overdue', written, ageMs } : { kind: 'pending', written, ageMs };
}

/** A new canary is written only once the previous one is settled; a pending one is waited for. Pure. */
export function shouldWriteCanary(status: CanaryStatus): boolean {
  return status.kind !== 'pending';
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** One line for the heartbeat record's reason. Pure. */
export function describeCanary(status: CanaryStatus, written: string | null): string {
  const next = written === null ? '' : `; canary ${written} written`;
  switch (status.kind) {
    case 'none':
      return `event path: no earlier canary to check${next}`;
    case 'arrived':
      return `event path: canary ${status.written.beat} came back through EventBridge after ${seconds(status.latencyMs)}${next}`;
    case 'pending':
      return `event path: canary ${status.written.beat} written ${seconds(status.ageMs)} ago, waiting for its CloudTrail event`;
    case 'overdue':
      return `event path: canary ${status.written.beat} has not come back after ${seconds(status.ageMs)}${next}`;
    case 'untrusted':
      return `event path: ${status.reason}${next}`;
  }
}

/** Why the canary failed, or null when it did not. Pure. */
export function canaryFailure(status: CanaryStatus, region: string, boundMs: number): string | null {
  if (status.kind === 'overdue') {
    return (
      `EventBridge is not receiving CloudTrail events in ${region} (no logging trail?): the CloudTrail event of the canary ` +
      `write (tag ${CANARY_TAG}=${status.written.beat} on log group ${CANARY_LOG_GROUP}) has not arrived ` +
      `${seconds(status.ageMs)} after the write (bound ${seconds(boundMs)}, controller.canaryWithinMinutes)`
    );
  }
  if (status.kind === 'untrusted')
    return `the event path canary ${CANARY_LOG_GROUP} in ${region} cannot be checked: ${status.reason}`;
  return null;
}

/**
 * A record of the canary: `failed` (the event did not come back, or the canary could not be checked)
 * or `ignored` (an event handed to the receiver that is not the canary's), naming the region, the
 * parameter and the runbook. Pure.
 */
export function canaryRecord(input: {
  outcome: 'failed' | 'ignored';
  account: string;
  region: string;
  partition: string;
  reason: string;
  eventId: string | null;
  now: Date;
  /** What was seen instead of the delivered event (failed records). */
  observed?: unknown;
}): AuditRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    id: randomUUID(),
    time: input.now.toISOString(),
    guardrail: HEARTBEAT_GUARDRAIL,
    account: input.account,
    region: input.region,
    resource: { type: CANARY_RESOURCE_TYPE, id: CANARY_LOG_GROUP, arn: canaryLogGroupArn(input) },
    trigger: {
      type: input.outcome === 'failed' ? 'sweep' : 'cloudtrail',
      eventId: input.eventId,
      eventName: CANARY_EVENT_NAME,
      actor: 'aws.events',
    },
    outcome: input.outcome,
    reason: input.reason,
    mode: 'notify',
    drift:
      input.outcome === 'failed'
        ? [
            {
              property: 'CloudTrail event of the canary write',
              observed: input.observed ?? null,
              desired: 'delivered by EventBridge',
            },
          ]
        : [],
    actions: [],
    verified: null,
    retryable: false,
    durationMs: 0,
    runbook: CANARY_RUNBOOK,
  };
}

/** The canary's CloudTrail event, as the receiver needs it. */
export interface CanaryEvent {
  beat: string;
  eventId: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

/** True for any CloudTrail event (the canary rule's input), as opposed to the heartbeat's schedule. Pure. */
export function isCloudTrailEvent(event: unknown): boolean {
  return obj(event)['detail-type'] === CLOUDTRAIL_DETAIL_TYPE;
}

/**
 * The canary's event, checked again in code (the rule already filters): a successful `TagResource`
 * of the canary log group, in this account and region, by the heartbeat's own role exactly, carrying
 * a beat id in the canary tag. Anything else is refused with the reason. Pure.
 */
export function parseCanaryEvent(
  event: unknown,
  own: { account: string; region: string; partition: string; roleArn: string },
): Parsed<CanaryEvent> {
  const e = obj(event);
  const d = obj(e.detail);
  const issuer = obj(obj(obj(d.userIdentity).sessionContext).sessionIssuer).arn;
  const request = obj(d.requestParameters);
  const beat = obj(request.tags)[CANARY_TAG];
  if (e.source !== 'aws.logs' || d.eventName !== 'TagResource')
    return { ok: false, reason: 'not a CloudWatch Logs TagResource event' };
  if (d.errorCode !== undefined) return { ok: false, reason: 'the call failed' };
  if (e.account !== own.account || e.region !== own.region) return { ok: false, reason: 'from another account or region' };
  if (request.resourceArn !== canaryLogGroupArn(own)) return { ok: false, reason: `not a write of ${CANARY_LOG_GROUP}` };
  if (issuer !== own.roleArn) return { ok: false, reason: "not written by the heartbeat's own role" };
  if (typeof beat !== 'string' || !BEAT_ID.test(beat)) return { ok: false, reason: `no beat id in the ${CANARY_TAG} tag` };
  const eventId = typeof d.eventID === 'string' ? d.eventID.slice(0, 128) : '';
  return { ok: true, value: { beat, eventId } };
}
