import { type AuditSink, policyAuditPublisher } from './audit.js';
import { AwsClients, type AwsOptions } from './aws.js';
import { Controller } from './controller.js';
import { RemediationError } from './errors.js';
import type { FlapStore } from './flapping.js';
import type { LeaseStore } from './lease.js';
import type { Logger } from './log.js';
import type { Policy } from './policy.js';
import type { AuditRecord } from './record.js';
import type { AnyGuardrail } from './types.js';

export interface RuntimeOptions {
  guardrails: readonly AnyGuardrail[];
  policy: Policy;
  account: string;
  logger: Logger;
  aws?: AwsOptions;
  clients?: AwsClients;
  /** Where records go. Default: the policy's audit bus. */
  sink?: AuditSink;
  dryRun?: boolean;
  now?: () => Date;
  /** Region of the controller (for a bus given by name). */
  region: string;
  /** Per-resource flap state (Lambda: the DynamoDB table named by LOGWARDEN_STATE_TABLE). */
  flapStore?: FlapStore;
  /** Per-resource leases against concurrent invocations (Lambda: the same state table). */
  leaseStore?: LeaseStore;
}

export interface Runtime {
  controller: Controller;
  sink: AuditSink;
  clients: AwsClients;
}

/** Wire a controller and its audit sink. The Lambda handlers and the CLI both start here. */
export function createRuntime(o: RuntimeOptions): Runtime {
  const clients = o.clients ?? new AwsClients(o.aws);
  const controller = new Controller({
    guardrails: o.guardrails,
    policy: o.policy,
    account: o.account,
    clients,
    logger: o.logger,
    dryRun: o.dryRun,
    now: o.now,
    flapStore: o.flapStore,
    leaseStore: o.leaseStore,
  });
  const sink = o.sink ?? policyAuditPublisher(o.policy, { clients, region: o.region, logger: o.logger });
  return { controller, sink, clients };
}

/** Count records by outcome. */
export function outcomeCounts(records: readonly AuditRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}

/**
 * Publish the records; then, if a remediation failed for a reason a retry may cure (throttling,
 * a 5xx), throw so that EventBridge retries the invocation and, in the end, the DLQ keeps it.
 * Terminal failures (access denied, invalid input) are reported and not retried.
 */
export async function publishAndSettle(sink: AuditSink, records: readonly AuditRecord[]): Promise<void> {
  await sink.publish(records);
  const retryable = records.filter((r) => r.outcome === 'failed' && r.retryable);
  if (retryable.length > 0) {
    throw new RemediationError(
      'RetryableFailure',
      `${retryable.length} remediation(s) failed with a transient error: ${retryable
        .map((r) => `${r.resource.id}: ${r.reason}`)
        .join('; ')
        .slice(0, 1000)}`,
      true,
    );
  }
}
