import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { type AuditSink, policyAuditPublisher } from '../core/audit.js';
import { invocationAccount, startLambda } from '../core/bootstrap.js';
import type { Policy } from '../core/policy.js';
import { type AuditRecord, DEPLOYMENT_RESOURCE_TYPE, HEARTBEAT_GUARDRAIL, SCHEMA_VERSION } from '../core/record.js';
import type { GuardrailPolicyBase } from '../core/types.js';
import type { Reader } from '../integrity/aws.js';
import { describeFindings, INTEGRITY_READ_ACTIONS, type IntegrityFinding, integrityFindings } from '../integrity/check.js';
import { partitionOf } from '../integrity/events.js';
import { type DeploymentManifest, loadManifest, resolveManifest } from '../integrity/manifest.js';
import { heartbeatRoleArn, isCloudTrailEvent } from './canary.js';
import { type CanaryOptions, type CanaryStep, canaryStep, DynamoCanaryStore, receiveCanary } from './canary-run.js';

export { DEPLOYMENT_RESOURCE_TYPE, HEARTBEAT_GUARDRAIL };
/** The schedule rule's name; it is not `logwarden-sweep-*`, so the controllers never take it for a sweep. */
export const HEARTBEAT_RULE_NAME = 'logwarden-heartbeat';

/**
 * The read-only calls of the heartbeat's health check of logwarden's own wiring (the integrity
 * facts, `controllers/integrity/check.ts`): the infrastructure grants exactly these to the heartbeat's
 * role (scoped to logwarden's functions and `/logwarden/` roles in infra/manifest.ts).
 */
export const HEARTBEAT_IAM_ACTIONS = INTEGRITY_READ_ACTIONS;

/** Which guardrails the policy enables, and how: `cloudtrail (remediate), guardduty (notify)`. Pure. */
export function enabledGuardrails(policy: Policy): string {
  const names = Object.keys(policy.guardrails).sort();
  if (names.length === 0) return 'no guardrail enabled';
  return names.map((n) => `${n} (${(policy.guardrails[n] as GuardrailPolicyBase | undefined)?.mode ?? 'remediate'})`).join(', ');
}

/**
 * The heartbeat audit record of one deployment (account and region). Pure. The central dashboard and
 * alarm look for deployments whose heartbeat stopped: a silenced logwarden shows up there.
 */
export function heartbeatRecord(input: {
  account: string;
  region: string;
  policy: Policy;
  eventId: string | null;
  now: Date;
  durationMs?: number;
  /** The health check's findings (empty: the wiring is as deployed; absent: not checked). */
  findings?: readonly IntegrityFinding[];
  /** The event path canary's line (canary.ts), when it runs. */
  canary?: string;
}): AuditRecord {
  const findings = input.findings ?? [];
  const asDeployed = input.findings
    ? '; its rules, functions, roles, state table, Config rules and bucket statements are as deployed'
    : '';
  const canary = input.canary ? `; ${input.canary}` : '';
  const running = `logwarden is running in ${input.account}/${input.region}: ${enabledGuardrails(input.policy)}${canary}`;
  return {
    schemaVersion: SCHEMA_VERSION,
    id: randomUUID(),
    time: input.now.toISOString(),
    guardrail: HEARTBEAT_GUARDRAIL,
    account: input.account,
    region: input.region,
    resource: { type: DEPLOYMENT_RESOURCE_TYPE, id: `${input.account}/${input.region}`, arn: null },
    trigger: { type: 'sweep', eventId: input.eventId, eventName: 'Heartbeat', actor: 'aws.events' },
    outcome: findings.length > 0 ? 'failed' : 'compliant',
    reason:
      findings.length > 0
        ? `logwarden's own wiring differs from the deployment: ${describeFindings(findings)} (${running})`
        : `${running}${asDeployed}`,
    // The heartbeat changes nothing.
    mode: 'notify',
    drift: findings.flatMap((f) =>
      f.error
        ? [{ property: `${f.ref.type} ${f.ref.id}`, observed: f.error, desired: 'readable' }]
        : f.drift.map((d) => ({ ...d, property: `${f.ref.type} ${f.ref.id}: ${d.property}` })),
    ),
    actions: [],
    verified: null,
    retryable: false,
    durationMs: input.durationMs ?? 0,
    runbook: findings.length > 0 ? 'runbooks/integrity.md' : 'docs/deployment.md',
  };
}

export interface HeartbeatOptions {
  policy: Policy;
  account: string;
  region: string;
  sink: AuditSink;
  now?: () => Date;
  /** The health check: the deployment manifest (unresolved) and the clients to read with. */
  integrity?: { manifest: DeploymentManifest; clients: Reader };
  /** The event path canary (#13 item 5): where its state lives, the clients to write it, its bound. */
  canary?: CanaryOptions;
}

/**
 * Publish one heartbeat record for the deployment, and the canary's `failed` record when the previous
 * canary's CloudTrail event did not come back in time. Throws when the audit bus does not take them.
 */
export async function beat(event: unknown, o: HeartbeatOptions): Promise<AuditRecord> {
  const started = Date.now();
  const id = (event as { id?: unknown } | null)?.id;
  const eventId = typeof id === 'string' ? id.slice(0, 256) : null;
  const now = (o.now ?? (() => new Date()))();
  const findings = o.integrity ? await check(o.integrity, o) : undefined;
  const canary = o.canary ? await runCanary(o.canary, { account: o.account, region: o.region, eventId, now }) : undefined;
  const durationMs = Date.now() - started;
  const where = { account: o.account, region: o.region, policy: o.policy };
  const record = heartbeatRecord({ ...where, eventId, now, findings, canary: canary?.line, durationMs });
  await o.sink.publish(canary?.failed ? [record, canary.failed] : [record]);
  return record;
}

/** The canary step, with a fresh beat id as its nonce (the heartbeat record's reason names it). */
function runCanary(
  options: CanaryOptions,
  at: { account: string; region: string; eventId: string | null; now: Date },
): Promise<CanaryStep> {
  return canaryStep(options, { ...at, beat: randomUUID(), partition: partitionOf(at.region) });
}

async function check(
  integrity: NonNullable<HeartbeatOptions['integrity']>,
  where: { account: string; region: string },
): Promise<IntegrityFinding[]> {
  const manifest = resolveManifest(integrity.manifest, { ...where, partition: partitionOf(where.region) });
  return integrityFindings(manifest, where, integrity.clients);
}

/**
 * The heartbeat Lambda handler: the policy and the deployment manifest are read at cold start
 * (`policy.json` and `deployment.json` next to the code); each beat checks the wiring against it and
 * runs the event path canary (when the state table is configured, `LOGWARDEN_STATE_TABLE`). The
 * canary rule hands it the CloudTrail event of its canary write: that is recorded as an arrival.
 */
export function createHeartbeatHandler() {
  const start = startLambda('logwarden-heartbeat', []);
  const { clients, region, policy, logger } = start;
  const manifest = loadManifest();
  const sink = policyAuditPublisher(policy, { clients, region, logger });
  const table = process.env.LOGWARDEN_STATE_TABLE;
  const store = table ? new DynamoCanaryStore(clients, region, table) : undefined;
  const canary = store && { store, clients, boundMs: policy.controller.canaryWithinMinutes * 60_000 };
  return async (event: unknown, context?: Partial<Context>) => {
    const account = invocationAccount(start, context);
    if (store && isCloudTrailEvent(event)) {
      const place = { account, region, partition: partitionOf(region) };
      const out = await receiveCanary(event, { store, place, roleArn: heartbeatRoleArn(place), now: new Date() });
      if ('ignored' in out) await sink.publish([out.ignored]);
      logger.info('canary event', { out });
      return 'arrived' in out ? { arrived: out.arrived } : { ignored: out.ignored.reason };
    }
    const record = await beat(event, { policy, account, region, sink, integrity: { manifest, clients }, canary });
    logger.info('heartbeat', { record });
    return { id: record.id };
  };
}
