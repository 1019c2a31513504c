/**
 * Shared pieces of the reliability tests: the demo guardrails (their scenarios make real tampering
 * calls on the emulator and return CloudTrail-shaped events), the lists the suites run, derived from
 * the registry, and delivery with EventBridge-style re-delivery on a thrown invocation.
 */
import { loadDemos } from '../../cli/demo/load.js';
import { type Registry, registry } from '../../controllers/companions.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import type { DemoContext, DemoGuardrail } from '../../controllers/core/demo.js';
import { type Policy, parsePolicy } from '../../controllers/core/policy.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { publishAndSettle, type Runtime } from '../../controllers/core/runtime.js';
import { ACCOUNT, REGION } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

/**
 * The cases of the per-guardrail suites (faults, duplicates): `[name, demo]` for every registered
 * guardrail, in registry order. Vitest's `describe.each` needs them at collection time: await it at
 * the top of the test file.
 */
export async function demoSuites(reg: Registry = registry): Promise<[string, DemoGuardrail][]> {
  return (await loadDemos(reg)).map((d) => [d.guardrail.name, d]);
}

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
