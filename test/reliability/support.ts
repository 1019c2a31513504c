/**
 * Shared pieces of the reliability tests: the demo guardrails (their scenarios make real tampering
 * calls on the emulator and return CloudTrail-shaped events), an inventory of the resources that
 * must never be duplicated, and delivery with EventBridge-style re-delivery on a thrown invocation.
 */
import { CloudTrailClient, DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeFlowLogsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { bucketLoggingDemo } from '../../cli/demo/bucket-logging.js';
import { cloudtrailDemo } from '../../cli/demo/cloudtrail.js';
import { flowLogsDemo } from '../../cli/demo/flow-logs.js';
import { guarddutyDemo } from '../../cli/demo/guardduty.js';
import type { DemoContext, DemoGuardrail } from '../../cli/demo/types.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { type Policy, parsePolicy } from '../../controllers/core/policy.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { publishAndSettle, type Runtime } from '../../controllers/core/runtime.js';
import { ACCOUNT, REGION } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

/** Every guardrail's demo: one per registered guardrail. */
export const DEMOS: readonly DemoGuardrail[] = [cloudtrailDemo, flowLogsDemo, bucketLoggingDemo, guarddutyDemo];

export const demoContext = (clients: AwsClients): DemoContext => ({ account: ACCOUNT, region: REGION, clients });

/** The validated policy with the demo's section for each given guardrail. */
export function demoPolicy(demos: readonly DemoGuardrail[], controller: Record<string, unknown> = {}): Policy {
  // As the infrastructure deploys it: every role on the /logwarden/ path is logwarden's own.
  controller = { ownRoleArns: ['arn:aws:iam::*:role/logwarden/*'], ...controller };
  const sections = Object.fromEntries(
    demos.map((d) => [d.guardrail.name, d.policySection({ account: ACCOUNT, region: REGION })]),
  );
  return parsePolicy(
    policyWith(sections, controller),
    demos.map((d) => d.guardrail),
  );
}

/** Resources that must exist at most once: trails by name, managed flow logs per VPC, detectors per region. */
export async function inventory(clients: AwsClients): Promise<{
  trails: Record<string, number>;
  flowLogsPerVpc: Record<string, number>;
  detectors: number;
}> {
  const trails: Record<string, number> = {};
  for (const t of (await clients.get(CloudTrailClient, REGION).send(new DescribeTrailsCommand({}))).trailList ?? []) {
    trails[t.Name ?? '?'] = (trails[t.Name ?? '?'] ?? 0) + 1;
  }
  const flowLogsPerVpc: Record<string, number> = {};
  for (const fl of (await clients.get(EC2Client, REGION).send(new DescribeFlowLogsCommand({}))).FlowLogs ?? []) {
    if (fl.TrafficType !== 'ALL') continue; // the tampering's REJECT-only flow log is someone else's
    flowLogsPerVpc[fl.ResourceId ?? '?'] = (flowLogsPerVpc[fl.ResourceId ?? '?'] ?? 0) + 1;
  }
  const detectors = ((await clients.get(GuardDutyClient, REGION).send(new ListDetectorsCommand({}))).DetectorIds ?? []).length;
  return { trails, flowLogsPerVpc, detectors };
}

/** Fail unless every resource of the inventory exists at most once. */
export function duplicatesIn(inv: Awaited<ReturnType<typeof inventory>>): string[] {
  const out: string[] = [];
  for (const [name, n] of Object.entries(inv.trails)) if (n > 1) out.push(`${n} trails named ${name}`);
  for (const [vpc, n] of Object.entries(inv.flowLogsPerVpc)) if (n > 1) out.push(`${n} ALL flow logs on ${vpc}`);
  if (inv.detectors > 1) out.push(`${inv.detectors} GuardDuty detectors in ${REGION}`);
  return out;
}

export interface Delivery {
  /** Records of every attempt, in order. */
  records: AuditRecord[];
  /** Records of the last attempt. */
  last: AuditRecord[];
  /** Invocations (1 + re-deliveries). */
  attempts: number;
  /** The error of the last attempt, if it still threw. */
  error: unknown;
}

/**
 * Deliver one event as EventBridge would to a Lambda: handle, publish and settle; when the
 * invocation throws (a retryable failure, an undelivered audit record), deliver it again, at most
 * `maxAttempts` times in all (EventBridge's default is 185 retries over 24 hours; tests bound it).
 */
export async function deliverWithRedelivery(runtime: Runtime, event: unknown, maxAttempts = 8): Promise<Delivery> {
  const records: AuditRecord[] = [];
  let last: AuditRecord[] = [];
  let error: unknown;
  let attempts = 0;
  while (attempts < maxAttempts) {
    attempts++;
    try {
      last = await runtime.controller.handleEvent(event);
      records.push(...last);
      await publishAndSettle(runtime.sink, last);
      return { records, last, attempts, error: undefined };
    } catch (e) {
      error = e;
    }
  }
  return { records, last, attempts, error };
}

/** Count writes among IAM actions (anything but Get/List/Describe/Head, the audit PutEvents and the state table). */
export const writesOf = (calls: readonly string[]) =>
  calls.filter((c) => !/:(Get|List|Describe|Head)/.test(c) && c !== 'events:PutEvents' && !c.startsWith('dynamodb:'));

/** An error as short text, for assertions (SDK errors carry sockets that must not be pretty-printed). */
export function errorText(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 2000) : String(error).slice(0, 2000);
}
