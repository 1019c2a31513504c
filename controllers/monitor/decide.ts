import { z } from 'zod';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE, HEARTBEAT_GUARDRAIL } from '../core/record.js';

/** `trigger.eventName` of a member deployment's beat (controllers/heartbeat). */
export const HEARTBEAT_EVENT_NAME = 'Heartbeat';
/** `trigger.eventName` of the monitor's own records: never taken for a beat, so they cannot loop back. */
export const MONITOR_EVENT_NAME = 'HeartbeatCheck';

/** One deployment: an account in a region. */
export interface Deployment {
  account: string;
  region: string;
}

/** The last beat stored for a deployment, by the monitor's clock when it arrived. */
export interface StoredBeat extends Deployment {
  lastSeen: Date;
}

/** An expected deployment without a recent beat. `lastSeen` null: it never beat. */
export interface MissingDeployment extends Deployment {
  lastSeen: Date | null;
  ageMinutes: number | null;
}

/** What an incoming event is, for the monitor. */
export type MonitorInput =
  | { kind: 'beat'; deployment: Deployment; eventId: string | null }
  | { kind: 'mismatch'; envelopeAccount: string; claimedAccount: string; region: string; eventId: string | null }
  | { kind: 'malformed'; envelopeAccount: string | null; reason: string; eventId: string | null }
  | { kind: 'check'; eventId: string | null }
  | { kind: 'unrecognised'; reason: string };

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

const envelopeSchema = z.object({
  id: z.string().max(256).optional(),
  source: z.string(),
  'detail-type': z.string(),
  account: z.string().optional(),
  detail: z.unknown().optional(),
});

const beatDetailSchema = z.object({
  guardrail: z.literal(HEARTBEAT_GUARDRAIL),
  account: z.string().regex(ACCOUNT, 'detail.account must be a 12-digit account id'),
  region: z.string().regex(REGION, 'detail.region must be an AWS region'),
  trigger: z.object({ eventName: z.literal(HEARTBEAT_EVENT_NAME) }),
});

/** Is the detail a member's beat (as opposed to the monitor's own records or another audit record)? */
function isBeatDetail(detail: unknown): boolean {
  const d = detail as { guardrail?: unknown; trigger?: { eventName?: unknown } } | null | undefined;
  return d?.guardrail === HEARTBEAT_GUARDRAIL && d.trigger?.eventName === HEARTBEAT_EVENT_NAME;
}

/**
 * Classify an event delivered to the monitor. Pure. A beat counts for the envelope's `account`, which
 * EventBridge sets to the account that put the event; `detail.account` is the sender's own claim, so a
 * beat whose claim differs is a `mismatch`, never counted. `detail.region` has nothing to check it
 * against (the envelope's region is the central bus's) and keys the beat as sent.
 */
export function classifyInput(event: unknown): MonitorInput {
  const envelope = envelopeSchema.safeParse(event);
  if (!envelope.success) return { kind: 'unrecognised', reason: 'not an EventBridge event' };
  const e = envelope.data;
  const eventId = e.id ?? null;
  if (e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') return { kind: 'check', eventId };
  if (e.source !== AUDIT_SOURCE || e['detail-type'] !== AUDIT_DETAIL_TYPE || !isBeatDetail(e.detail)) {
    return { kind: 'unrecognised', reason: `not a heartbeat: source ${e.source}, detail-type ${e['detail-type']}` };
  }
  const envelopeAccount = e.account && ACCOUNT.test(e.account) ? e.account : null;
  if (!envelopeAccount) return { kind: 'malformed', envelopeAccount: null, reason: 'the envelope has no account', eventId };
  const detail = beatDetailSchema.safeParse(e.detail);
  if (!detail.success) {
    const reason = detail.error.issues.map((i) => i.message).join('; ');
    return { kind: 'malformed', envelopeAccount, reason, eventId };
  }
  const { account: claimedAccount, region } = detail.data;
  if (claimedAccount !== envelopeAccount) return { kind: 'mismatch', envelopeAccount, claimedAccount, region, eventId };
  return { kind: 'beat', deployment: { account: envelopeAccount, region }, eventId };
}

export const deploymentKey = (d: Deployment): string => `${d.account}/${d.region}`;

/**
 * The expected deployments that have not beaten within two heartbeat periods of `now`, or never, in
 * the order expected. Pure. Beats of deployments that are not expected are left out (an account that
 * left the organization).
 */
export function missingDeployments(input: {
  expected: readonly Deployment[];
  beats: readonly StoredBeat[];
  now: Date;
  heartbeatMinutes: number;
}): MissingDeployment[] {
  const last = new Map(input.beats.map((b) => [deploymentKey(b), b.lastSeen]));
  const limitMs = 2 * input.heartbeatMinutes * 60_000;
  const missing: MissingDeployment[] = [];
  for (const d of uniqueDeployments(input.expected)) {
    const seen = last.get(deploymentKey(d)) ?? null;
    const ageMs = seen ? input.now.getTime() - seen.getTime() : null;
    if (ageMs === null || ageMs > limitMs) {
      missing.push({ ...d, lastSeen: seen, ageMinutes: ageMs === null ? null : Math.floor(ageMs / 60_000) });
    }
  }
  return missing;
}

function uniqueDeployments(list: readonly Deployment[]): Deployment[] {
  const seen = new Map<string, Deployment>();
  for (const d of list) if (!seen.has(deploymentKey(d))) seen.set(deploymentKey(d), { account: d.account, region: d.region });
  return [...seen.values()];
}

/** A stack instance as ListStackInstances summarises it, as far as the monitor reads it. */
export interface InstanceSummary {
  account: string;
  region: string;
  /** `StackInstanceStatus.DetailedStatus`: PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, INOPERABLE... */
  detailedStatus: string | null;
}

/** Instances being created: their stack may not exist yet, so a first beat cannot be due. */
const NOT_YET_DEPLOYED = new Set(['PENDING', 'RUNNING']);

/**
 * The expected deployments from the StackSet's instances, plus the management account in every rollout
 * region (StackSets skip it; its member stacks are deployed directly). Pure. An instance still being
 * deployed is expected only once it has beaten before (`known`): a new account is not missing while its
 * stack is being created, and an update of a running one does not hide it.
 */
export function expectedFromInstances(
  instances: readonly InstanceSummary[],
  o: { managementAccount: string; regions: readonly string[]; known: ReadonlySet<string> },
): Deployment[] {
  const fromInstances = instances
    .filter((i) => !NOT_YET_DEPLOYED.has(i.detailedStatus ?? '') || o.known.has(deploymentKey(i)))
    .map((i) => ({ account: i.account, region: i.region }));
  const management = o.regions.map((region) => ({ account: o.managementAccount, region }));
  return uniqueDeployments([...fromInstances, ...management]);
}

/** An account as ListAccounts returns it, as far as the monitor reads it. */
export interface AccountSummary {
  id: string;
  /** `State` (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED), else the older `Status`. */
  state: string | null;
}

/** The expected deployments from Organizations: ACTIVE accounts × regions, minus the excluded accounts. Pure. */
export function expectedFromAccounts(
  accounts: readonly AccountSummary[],
  o: { regions: readonly string[]; excludeAccounts: readonly string[] },
): Deployment[] {
  const excluded = new Set(o.excludeAccounts);
  const active = accounts.filter((a) => a.state === 'ACTIVE' && !excluded.has(a.id));
  return uniqueDeployments(active.flatMap((a) => o.regions.map((region) => ({ account: a.id, region }))));
}
