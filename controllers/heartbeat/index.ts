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
}): AuditRecord {
  const findings = input.findings ?? [];
  const asDeployed = input.findings
    ? '; its rules, functions, roles, state table, Config rules and bucket statements are as deployed'
    : '';
  const running = `logwarden is running in ${input.account}/${input.region}: ${enabledGuardrails(input.policy)}`;
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
}

/** Publish one heartbeat record for the deployment. Throws when the audit bus does not take it. */
export async function beat(event: unknown, o: HeartbeatOptions): Promise<AuditRecord> {
  const started = Date.now();
  const id = (event as { id?: unknown } | null)?.id;
  const findings = o.integrity ? await check(o.integrity, o) : undefined;
  const record = heartbeatRecord({
    account: o.account,
    region: o.region,
    policy: o.policy,
    eventId: typeof id === 'string' ? id.slice(0, 256) : null,
    now: (o.now ?? (() => new Date()))(),
    durationMs: Date.now() - started,
    findings,
  });
  await o.sink.publish([record]);
  return record;
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
 * (`policy.json` and `deployment.json` next to the code); each beat checks the wiring against it.
 */
export function createHeartbeatHandler() {
  const start = startLambda('logwarden-heartbeat', []);
  const { clients, region, policy, logger } = start;
  const manifest = loadManifest();
  const sink = policyAuditPublisher(policy, { clients, region, logger });
  return async (event: unknown, context?: Partial<Context>) => {
    const account = invocationAccount(start, context);
    const record = await beat(event, { policy, account, region, sink, integrity: { manifest, clients } });
    logger.info('heartbeat', { record });
    return { id: record.id };
  };
}
