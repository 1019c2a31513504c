/**
 * Fuzzing the event intake: 10,000 generated and mutated events through a Controller with every
 * registered guardrail. The SDK clients are mocked with aws-sdk-client-mock (no network): each call
 * answers either an empty output or an error, in a fixed rotation, so every code path after intake
 * (refs, observe, diff, plan, apply, verify) meets both kinds of answer.
 *
 * Property: handling never throws, and every input ends in at least one audit record that is valid
 * against `auditRecordSchema`, or in a typed rejection (an `ignored` record from intake, which is
 * also a schema-valid record). Run time: a few seconds.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { S3Client } from '@aws-sdk/client-s3';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemos } from '../../cli/demo/load.js';
import { apiCallEvent, configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { putBucketLoggingRequest, s3Event } from '../../controllers/bucket-logging/demo.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { MemoryFlapStore } from '../../controllers/core/flapping.js';
import { classify } from '../../controllers/core/intake.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { type AuditRecord, auditRecordSchema } from '../../controllers/core/record.js';
import { guardrails } from '../../controllers/registry.js';
import { ACCOUNT, quietLogger, REGION } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

const RUNS = 10_000;
const SEED = 20_261_126;

// biome-ignore lint/suspicious/noExplicitAny: one stub per SDK client class.
const mocks: AwsClientStub<any>[] = [];
let calls = 0;
let errors = 0;

beforeAll(() => {
  for (const ctor of [CloudTrailClient, EC2Client, S3Client, GuardDutyClient, DynamoDBClient, EventBridgeClient]) {
    // biome-ignore lint/suspicious/noExplicitAny: the stubs differ in their command types.
    const stub = mockClient(ctor as any);
    // Async like the real client's send: a rejected promise, never a synchronous throw.
    stub.onAnyCommand().callsFake(async () => {
      calls++;
      // Rotate: empty answer, throttling, access denied, not found, empty answer, a 500.
      switch (calls % 6) {
        case 1:
          errors++;
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
        case 2:
          errors++;
          throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
        case 3:
          errors++;
          throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
        case 5:
          errors++;
          throw Object.assign(new Error('We encountered an internal error'), {
            name: 'InternalError',
            $metadata: { httpStatusCode: 500 },
          });
        default:
          return {};
      }
    });
    mocks.push(stub);
  }
});

afterAll(() => {
  for (const m of mocks) m.restore();
});

const ctx = { account: ACCOUNT, region: REGION };
const demos = await loadDemos();

function controller(): Controller {
  const sections = Object.fromEntries(demos.map((d) => [d.guardrail.name, d.policySection(ctx)]));
  return new Controller({
    guardrails,
    policy: parsePolicy(policyWith(sections), guardrails),
    account: ACCOUNT,
    clients: new AwsClients({ credentials: { accessKeyId: 'fuzz', secretAccessKey: 'fuzz' }, maxAttempts: 1 }),
    logger: quietLogger(),
    flapStore: new MemoryFlapStore(),
  });
}

/** Real event shapes to start from: every CloudTrail event name of every guardrail, Config and sweep events. */
function fixtures(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const plausibleParams: Record<string, Record<string, unknown>> = {
    'aws.cloudtrail': { name: 'org-audit-trail', trailName: 'org-audit-trail' },
    'aws.ec2': {
      DeleteFlowLogsRequest: { FlowLogId: { content: 'fl-0123456789abcdef0', tag: 1 } },
      vpcId: 'vpc-0123456789abcdef0',
    },
    'aws.s3': { bucketName: 'demo-app-data', Host: 's3.us-east-1.amazonaws.com' },
    'aws.guardduty': { detectorId: '12abc34d567e8fa901bc2d34e56789f0', enable: false },
  };
  for (const g of guardrails) {
    for (const { source, eventNames } of g.cloudTrailEvents) {
      for (const eventName of eventNames) {
        out.push(
          apiCallEvent({
            ...ctx,
            eventSource: `${source.slice(4)}.amazonaws.com`,
            eventName,
            requestParameters: plausibleParams[source] ?? {},
            responseElements: eventName === 'CreateVpc' ? { vpc: { vpcId: 'vpc-0123456789abcdef0' } } : null,
          }),
        );
      }
    }
    out.push(
      configComplianceEvent({
        ...ctx,
        resourceType: g.resourceType,
        resourceId: 'resource-1',
        configRuleName: `logwarden-${g.name}`,
      }),
    );
    out.push(sweepEvent({ ...ctx, guardrail: g.name }));
  }
  out.push(sweepEvent(ctx));
  out.push(
    s3Event(ACCOUNT, REGION, 'PutBucketLogging', putBucketLoggingRequest('demo-app-data', REGION, null, { legacy: true })),
  );
  out.push(
    apiCallEvent({
      ...ctx,
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'StopLogging',
      requestParameters: { name: 'arn:aws:cloudtrail:us-east-1:123456789012:trail/org-audit-trail' },
      identity: { kind: 'assumed-role', account: ACCOUNT, roleName: 'logwarden-cloudtrail', path: '/logwarden/' },
    }),
  );
  out.push(
    apiCallEvent({
      ...ctx,
      eventSource: 'ec2.amazonaws.com',
      eventName: 'CreateVpc',
      requestParameters: {},
      errorCode: 'VpcLimitExceeded',
    }),
  );
  return out;
}

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = [], out: Path[] = [], depth = 0): Path[] {
  out.push(prefix);
  if (depth > 8 || value === null || typeof value !== 'object') return out;
  const node = value as Record<string | number, unknown>;
  const keys: (string | number)[] = Array.isArray(value) ? Array.from({ length: value.length }, (_, i) => i) : Object.keys(value);
  for (const k of keys) pathsOf(node[k], [...prefix, k], out, depth + 1);
  return out;
}

function setAt(root: unknown, path: Path, value: unknown, remove: boolean): unknown {
  if (path.length === 0) return remove ? undefined : value;
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object') return root;
    node = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1] as string | number;
  if (remove) delete node[last];
  else node[last] = value;
  return root;
}

const deep = (depth: number, leaf: unknown): unknown => {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v, b: null };
  return v;
};

/** Strange values: wrong types, huge strings, nested nulls, arrays where objects are expected, unicode, deep nesting. */
const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constant(Number.NaN),
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.nat({ max: 300_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom('', ' ', '\u0000', '\uFFFF', '\uD800', '🙂'.repeat(1000), 'arn:aws:iam::*:role/*', '../../etc/passwd'),
  fc.constantFrom('aws.unknown', 'aws.cloudtrail', 'aws.config', 'aws.events', 'Scheduled Event', '123456789012', 'us-east-1'),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 5 }),
  fc.anything({ maxDepth: 3 }),
  fc.record({ a: fc.constant(null), b: fc.array(fc.constant(null)) }),
  fc.nat({ max: 2000 }).map((n) => deep(n, null)),
);

const mutation = fc.record({ at: fc.nat(), remove: fc.boolean(), value: weird });

function mutated(base: readonly Record<string, unknown>[]): fc.Arbitrary<unknown> {
  return fc
    .record({ index: fc.nat({ max: base.length - 1 }), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }) })
    .map(({ index, mutations }) => {
      let event: unknown = structuredClone(base[index]);
      for (const m of mutations) {
        const paths = pathsOf(event);
        event = setAt(event, paths[m.at % paths.length] as Path, m.value, m.remove);
      }
      return event;
    });
}

/** Whole events from scratch: random envelopes with known and unknown detail-types and sources. */
const generated: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 4 }),
  fc.record(
    {
      version: fc.constant('0'),
      id: fc.oneof(fc.uuid(), weird),
      'detail-type': fc.oneof(
        fc.constantFrom('AWS API Call via CloudTrail', 'Config Rules Compliance Change', 'Scheduled Event', 'GuardDuty Finding'),
        fc.string(),
      ),
      source: fc.oneof(
        fc.constantFrom('aws.cloudtrail', 'aws.ec2', 'aws.s3', 'aws.guardduty', 'aws.events', 'aws.config'),
        weird,
      ),
      account: fc.oneof(fc.constant(ACCOUNT), fc.constant('210987654321'), weird),
      region: fc.oneof(fc.constant(REGION), fc.constant('eu-west-1'), weird),
      resources: fc.oneof(fc.array(fc.string()), weird),
      detail: fc.oneof(
        fc.record({
          eventName: fc.oneof(fc.constantFrom('StopLogging', 'DeleteFlowLogs', 'PutBucketLogging', 'DeleteDetector'), weird),
          eventSource: fc.oneof(
            fc.constantFrom('cloudtrail.amazonaws.com', 'ec2.amazonaws.com', 's3.amazonaws.com', 'guardduty.amazonaws.com'),
            weird,
          ),
          eventID: weird,
          awsRegion: weird,
          userIdentity: weird,
          requestParameters: fc.oneof(fc.dictionary(fc.string(), weird), weird),
          responseElements: weird,
          errorCode: fc.oneof(fc.constant(undefined), weird),
        }),
        weird,
      ),
    },
    { requiredKeys: [] },
  ),
);

describe('fuzzing the event intake', () => {
  it(`${RUNS} generated and mutated events: never throws, each ends in schema-valid records`, async () => {
    const c = controller();
    const base = fixtures();
    const outcomes: Record<string, number> = {};
    let inputs = 0;
    let records = 0;
    let emptySweeps = 0;

    await fc.assert(
      fc.asyncProperty(fc.oneof({ arbitrary: mutated(base), weight: 3 }, { arbitrary: generated, weight: 1 }), async (event) => {
        inputs++;
        let out: AuditRecord[];
        try {
          out = await c.handleEvent(event);
        } catch (error) {
          throw new Error(`handleEvent threw: ${(error as Error).stack}`);
        }
        // A sweep of a region where the (mocked) listing is empty has nothing to report: zero records
        // is the right answer there and only there. Every other input ends in at least one record.
        if (classify(event).kind === 'sweep') emptySweeps += out.length === 0 ? 1 : 0;
        else expect(out.length).toBeGreaterThanOrEqual(1);
        for (const r of out) {
          const parsed = auditRecordSchema.safeParse(r);
          if (!parsed.success) throw new Error(`invalid record: ${parsed.error.message}`);
          // The record must survive serialisation (what the audit bus carries).
          expect(() => JSON.stringify(r)).not.toThrow();
          outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
          records++;
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );

    console.info(
      `fuzz figures: ${JSON.stringify({ inputs, records, emptySweeps, sdkCalls: calls, sdkErrors: errors, outcomes })}`,
    );
    expect(inputs).toBe(RUNS);
    expect(records + emptySweeps).toBeGreaterThanOrEqual(RUNS);
    // The fuzzer must reach past intake: mutated real events resolve to resources and hit the mocked SDK.
    expect(calls).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(0);
    expect(outcomes.ignored ?? 0).toBeGreaterThan(0);
    expect(outcomes.failed ?? 0).toBeGreaterThan(0);
  });

  it('every unmutated fixture reaches a guardrail (not rejected at intake)', async () => {
    const c = controller();
    for (const event of fixtures()) {
      const out = await c.handleEvent(event);
      expect(out.length).toBeGreaterThanOrEqual(1);
      for (const r of out) {
        expect(auditRecordSchema.safeParse(r).success).toBe(true);
        expect(r.reason).not.toMatch(/^not an EventBridge event|^malformed|^unsupported event/);
      }
    }
  });
});
