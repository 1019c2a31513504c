/**
 * Fuzzing the event intake: 10,000 generated and mutated events through a Controller with every
 * registered guardrail. The SDK clients answer in process (no network): each call answers either an
 * empty output or an error, in a fixed rotation, so every code path after intake (refs, observe,
 * diff, plan, apply, verify) meets both kinds of answer. The starting events come from the registry
 * only: each guardrail's CloudTrail samples (`cloudTrailEvents[].sample`), Config and sweep events
 * (`fuzzFixtures` in ./support.ts).
 *
 * Property: handling never throws, and every input ends in at least one audit record that is valid
 * against `auditRecordSchema`, or in a typed rejection (an `ignored` record from intake, which is
 * also a schema-valid record). Run time: a few seconds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDemos } from '../../cli/demo/load.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { MemoryFlapStore } from '../../controllers/core/flapping.js';
import { classify } from '../../controllers/core/intake.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { type AuditRecord, auditRecordSchema } from '../../controllers/core/record.js';
import { guardrails } from '../../controllers/registry.js';
import { ACCOUNT, quietLogger, REGION } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';
import { demoContext, fuzzFixtures, RotatingClients, sampleProblems } from './support.js';

const RUNS = 10_000;
const SEED = 20_261_126;

const demos = await loadDemos();

function controller(clients: AwsClients): Controller {
  const sections = Object.fromEntries(demos.map((d) => [d.guardrail.name, d.policySection(demoContext(clients))]));
  return new Controller({
    guardrails,
    policy: parsePolicy(policyWith(sections), guardrails),
    account: demoContext(clients).account,
    clients,
    logger: quietLogger(),
    flapStore: new MemoryFlapStore(),
  });
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

/** The registered guardrails' CloudTrail sources and event names, for events generated from scratch. */
const SOURCES = [...new Set(guardrails.flatMap((g) => g.cloudTrailEvents.map((e) => e.source)))];
const EVENT_NAMES = [...new Set(guardrails.flatMap((g) => g.cloudTrailEvents.flatMap((e) => e.eventNames)))];

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
      source: fc.oneof(fc.constantFrom(...SOURCES, 'aws.events', 'aws.config'), weird),
      account: fc.oneof(fc.constant(ACCOUNT), fc.constant('210987654321'), weird),
      region: fc.oneof(fc.constant(REGION), fc.constant('eu-west-1'), weird),
      resources: fc.oneof(fc.array(fc.string()), weird),
      detail: fc.oneof(
        fc.record({
          eventName: fc.oneof(fc.constantFrom(...EVENT_NAMES), weird),
          eventSource: fc.oneof(fc.constantFrom(...SOURCES.map((s) => `${s.slice(4)}.amazonaws.com`)), weird),
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
    const clients = new RotatingClients();
    const c = controller(clients);
    const base = fuzzFixtures(guardrails);
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
      `fuzz figures: ${JSON.stringify({ inputs, records, emptySweeps, fixtures: base.length, sdkCalls: clients.calls, sdkErrors: clients.errors, outcomes })}`,
    );
    expect(inputs).toBe(RUNS);
    expect(records + emptySweeps).toBeGreaterThanOrEqual(RUNS);
    // The fuzzer must reach past intake: mutated real events resolve to resources and hit the mocked SDK.
    expect(clients.calls).toBeGreaterThan(1000);
    expect(clients.errors).toBeGreaterThan(0);
    expect(outcomes.ignored ?? 0).toBeGreaterThan(0);
    expect(outcomes.failed ?? 0).toBeGreaterThan(0);
  });

  it('every unmutated fixture reaches a guardrail (not rejected at intake)', async () => {
    const c = controller(new RotatingClients());
    for (const event of fuzzFixtures(guardrails)) {
      const out = await c.handleEvent(event);
      const intake = classify(event);
      expect(intake.kind).not.toBe('invalid');
      // A sweep of a region where the listing finds nothing has nothing to record (the rotating clients
      // answer some listings empty); every other fixture ends in at least one record.
      if (intake.kind !== 'sweep') expect(out.length).toBeGreaterThanOrEqual(1);
      for (const r of out) {
        expect(auditRecordSchema.safeParse(r).success).toBe(true);
        expect(r.reason).not.toMatch(/^not an EventBridge event|^malformed|^unsupported event/);
      }
    }
  });

  it('every CloudTrail sample names a resource of the demo policy (or a read that finds it), never an ignore', async () => {
    expect(await sampleProblems(demos)).toEqual([]);
  });
});
