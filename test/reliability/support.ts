/**
 * Shared pieces of the reliability tests: the demo guardrails (their scenarios make real tampering
 * calls on the emulator and return CloudTrail-shaped events), the lists the suites run, derived from
 * the registry, and delivery with EventBridge-style re-delivery on a thrown invocation.
 */
import { loadDemos } from '../../cli/demo/load.js';
import { apiCallEvent, configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { type Registry, registry } from '../../controllers/companions.js';
import { AwsClients } from '../../controllers/core/aws.js';
import type { DemoContext, DemoGuardrail } from '../../controllers/core/demo.js';
import { functionRoleName, ownRoleArnTemplate, ROLE_PATH } from '../../controllers/core/identity.js';
import { type Policy, parsePolicy } from '../../controllers/core/policy.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { publishAndSettle, type Runtime } from '../../controllers/core/runtime.js';
import type { AnyGuardrail } from '../../controllers/core/types.js';
import { ACCOUNT, quietLogger, REGION } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

/**
 * The cases of the per-guardrail suites (faults, duplicates): `[name, demo]` for every registered
 * guardrail, in registry order. Vitest's `describe.each` needs them at collection time: await it at
 * the top of the test file.
 */
export async function demoSuites(reg: Registry = registry): Promise<[string, DemoGuardrail][]> {
  return (await loadDemos(reg)).map((d) => [d.guardrail.name, d]);
}

const sdkError = (name: string, message: string, httpStatusCode: number) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });

/** Rotate: empty answer, throttling, access denied, not found, empty answer, a 500. */
const FUZZ_ROTATION: readonly (Error | null)[] = [
  null,
  sdkError('ThrottlingException', 'Rate exceeded', 400),
  sdkError('AccessDeniedException', 'not authorized', 403),
  sdkError('ResourceNotFoundException', 'not found', 404),
  null,
  sdkError('InternalError', 'We encountered an internal error', 500),
];

/**
 * In-process SDK clients (no network) of every service a guardrail asks for, so there is no list of
 * client classes to keep up to date: real client instances (paginators check the class) whose `send`
 * answers the next entry of `rotation` (null: an empty output).
 */
export class RotatingClients extends AwsClients {
  calls = 0;
  errors = 0;
  private readonly patched = new WeakSet<object>();
  constructor(private readonly rotation: readonly (Error | null)[] = FUZZ_ROTATION) {
    super({ credentials: { accessKeyId: 'fuzz', secretAccessKey: 'fuzz' }, maxAttempts: 1 });
  }
  override get<T>(ctor: new (config: never) => T, region: string): T {
    const client = super.get(ctor as never, region) as unknown as { send: (command: unknown) => Promise<unknown> };
    if (!this.patched.has(client)) {
      this.patched.add(client);
      // Async like the real client's send: a rejected promise, never a synchronous throw.
      client.send = async () => {
        const answer = this.rotation[++this.calls % this.rotation.length];
        if (!answer) return {};
        this.errors++;
        throw Object.assign(new Error(answer.message), answer);
      };
    }
    return client as T;
  }
}

type EventsEntry = AnyGuardrail['cloudTrailEvents'][number];

/** The sample record of one event of an entry: its per-event override, else the entry's sample. */
function sampleOf(
  entry: EventsEntry,
  eventName: string,
): { requestParameters: Record<string, unknown>; responseElements: Record<string, unknown> | null } {
  const sample = entry.sample.perEvent?.[eventName] ?? entry.sample;
  return { requestParameters: sample.requestParameters, responseElements: sample.responseElements ?? null };
}

/** One guardrail's CloudTrail fixtures: every event's sample; per source, its first event echoed by logwarden and failed. */
function cloudTrailFixtures(g: AnyGuardrail, where: { account: string; region: string }): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const entry of g.cloudTrailEvents) {
    const eventSource = `${entry.source.replace(/^aws\./, '')}.amazonaws.com`;
    const call = (eventName: string) => ({ ...where, eventSource, eventName, ...sampleOf(entry, eventName) });
    for (const eventName of entry.eventNames) out.push(apiCallEvent(call(eventName)));
    const first = entry.eventNames[0];
    if (first === undefined) continue;
    const own = {
      kind: 'assumed-role' as const,
      account: where.account,
      roleName: functionRoleName('controller', g.name, where.region),
      path: ROLE_PATH,
    };
    out.push(apiCallEvent({ ...call(first), identity: own }));
    // Failed calls are delivered too, usually without request or response.
    out.push(apiCallEvent({ ...call(first), requestParameters: null, responseElements: null, errorCode: 'AccessDenied' }));
  }
  return out;
}

/**
 * The fuzz test's real event shapes, from the registry only: each guardrail's CloudTrail samples
 * (`cloudTrailEvents[].sample`) with logwarden's own echo and a failed call per source, a Config
 * compliance change of its resource type and its sweep; then a sweep of every guardrail.
 */
export function fuzzFixtures(
  guardrails: readonly AnyGuardrail[],
  where = { account: ACCOUNT, region: REGION },
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const g of guardrails) {
    out.push(...cloudTrailFixtures(g, where));
    out.push(
      configComplianceEvent({
        ...where,
        resourceType: g.resourceType,
        resourceId: 'resource-1',
        configRuleName: `logwarden-${g.name}`,
      }),
    );
    out.push(sweepEvent({ ...where, guardrail: g.name }));
  }
  out.push(sweepEvent(where));
  return out;
}

/** What one sample resolves to: a problem when the guardrail ignores it or names nothing. */
async function sampleProblem(demo: DemoGuardrail, entry: EventsEntry, eventName: string): Promise<string | null> {
  const g = demo.guardrail;
  const needsRead = sdkError('SampleNeedsRead', 'the resolution reads AWS', 400);
  const scope = {
    account: ACCOUNT,
    region: REGION,
    policy: g.policySchema.parse(demo.policySection({ account: ACCOUNT, region: REGION })),
    clients: new RotatingClients([needsRead]),
    logger: quietLogger(),
    now: () => new Date(),
    memo: new Map<string, unknown>(),
    runId: 'test-run',
  };
  const detail = { eventName, eventSource: `${entry.source.slice(4)}.amazonaws.com`, eventID: null, awsRegion: REGION };
  const record = { ...detail, recipientAccountId: ACCOUNT, errorCode: null, userIdentity: null, ...sampleOf(entry, eventName) };
  try {
    const resolution = await g.refsFromCloudTrail(record, scope);
    if ('ignore' in resolution) return `${g.name} ${eventName}: the sample is ignored (${resolution.ignore})`;
    return resolution.refs.length > 0 ? null : `${g.name} ${eventName}: the sample names no resource`;
  } catch (error) {
    // A resolution that must read AWS to find the resource (DeleteFlowLogs names flow logs, not VPCs) got that far.
    return (error as Error).name === needsRead.name ? null : `${g.name} ${eventName}: resolving the sample threw ${error}`;
  }
}

/**
 * Every CloudTrail sample of every demo's guardrail, resolved against the demo policy: one line per
 * sample that the guardrail ignores or that names nothing (a fuzz fixture that would stop at the
 * first check and test little). Empty when every sample reaches a resource.
 */
export async function sampleProblems(demos: readonly DemoGuardrail[]): Promise<string[]> {
  const problems: (string | null)[] = [];
  for (const demo of demos) {
    for (const entry of demo.guardrail.cloudTrailEvents) {
      for (const eventName of entry.eventNames) problems.push(await sampleProblem(demo, entry, eventName));
    }
  }
  return problems.filter((p): p is string => p !== null);
}

export const demoContext = (clients: AwsClients): DemoContext => ({ account: ACCOUNT, region: REGION, clients });

/** The validated policy with the demo's section for each given guardrail. */
export function demoPolicy(demos: readonly DemoGuardrail[], controller: Record<string, unknown> = {}): Policy {
  // As the infrastructure deploys it: exactly each guardrail's controller role, in the governed account.
  controller = { ownRoleArns: demos.map((d) => ownRoleArnTemplate(d.guardrail.name)), ...controller };
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
