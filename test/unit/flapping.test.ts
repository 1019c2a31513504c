import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { apiCallEvent } from '../../cli/events.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller, stateKey } from '../../controllers/core/controller.js';
import { DynamoFlapStore, type FlapStore, flapDecision, MemoryFlapStore } from '../../controllers/core/flapping.js';
import { createLogger } from '../../controllers/core/log.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { CLOCK_SKEW_MS } from '../../controllers/core/state-table.js';
import { fakeGuardrail, type Widget } from '../helpers/fake-guardrail.js';
import { policyWith } from '../helpers/policy.js';

const MIN = 60_000;

describe('flapDecision (pure)', () => {
  const settings = { maxRemediations: 3, windowMinutes: 10 };
  it('lets remediations through below the limit, counting only the window', () => {
    expect(flapDecision([], 0, settings)).toEqual({ escalate: false, notes: [] });
    expect(flapDecision([1 * MIN, 2 * MIN], 5 * MIN, settings)).toEqual({ escalate: false, notes: [] });
    expect(flapDecision([0, 1 * MIN, 2 * MIN, 3 * MIN], 12 * MIN + 1, settings)).toEqual({ escalate: false, notes: [] });
  });
  it('escalates at the limit and says when re-applying resumes', () => {
    expect(flapDecision([1 * MIN, 2 * MIN, 4 * MIN], 5 * MIN, settings)).toEqual({
      escalate: true,
      count: 3,
      resumesAt: new Date(11 * MIN),
      notes: [],
    });
    expect(flapDecision([1 * MIN, 2 * MIN, 3 * MIN, 4 * MIN], 5 * MIN, settings)).toMatchObject({
      count: 4,
      resumesAt: new Date(12 * MIN),
    });
  });

  it('ignores times in the future beyond the clock skew (a forged item) and says so', () => {
    const year9999 = Date.parse('9999-12-31T00:00:00Z');
    expect(flapDecision([year9999, year9999, year9999, 6 * MIN], 5 * MIN, settings)).toEqual({
      escalate: false,
      notes: ['3 flap time(s) in the future ignored (forged or clock skew)'],
    });
    // Within the skew allowance a time still counts.
    expect(flapDecision([1 * MIN, 2 * MIN, 5 * MIN + CLOCK_SKEW_MS], 5 * MIN, settings)).toMatchObject({
      escalate: true,
      notes: [],
    });
  });
});

describe('flapping in the reconcile loop', () => {
  const ACCOUNT = '123456789012';
  function setup(store: FlapStore, opts: { loggingOff?: boolean } = {}) {
    const world = new Map<string, Widget>([['w1', { enabled: false, tags: {} }]]);
    const { g, calls } = fakeGuardrail(world, { loggingOff: opts.loggingOff });
    let now = Date.parse('2026-11-26T10:00:00Z');
    const controller = new Controller({
      guardrails: [g],
      policy: parsePolicy(policyWith({ widgets: { widgets: ['w1'] } }, { flapping: { maxRemediations: 3, windowMinutes: 30 } }), [
        g,
      ]),
      account: ACCOUNT,
      clients: new AwsClients(),
      logger: createLogger('test'),
      now: () => new Date(now),
      flapStore: store,
    });
    const tamperAndDeliver = async () => {
      (world.get('w1') as Widget).enabled = false;
      const [r] = await controller.handleEvent(
        apiCallEvent({
          account: ACCOUNT,
          region: 'us-east-1',
          eventSource: 'widgets.amazonaws.com',
          eventName: 'DisableWidget',
          requestParameters: { ids: ['w1'] },
        }),
      );
      return r;
    };
    return { world, calls, tamperAndDeliver, advance: (ms: number) => (now += ms) };
  }

  it('past N remediations in M minutes: stops re-applying, escalates, resumes after the window', async () => {
    const { world, calls, tamperAndDeliver, advance } = setup(new MemoryFlapStore());
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push((await tamperAndDeliver())?.outcome ?? '');
      advance(5 * MIN);
    }
    const escalated = await tamperAndDeliver();
    outcomes.push(escalated?.outcome ?? '');
    expect(outcomes).toEqual(['remediated', 'remediated', 'remediated', 'escalated']);
    expect(escalated?.reason).toBe(
      'remediated 3 times in the last 30 minutes: stopped re-applying (something keeps changing it back); resumes after 2026-11-26T10:30:00.000Z',
    );
    expect(escalated?.drift).toEqual([{ property: 'enabled', observed: false, desired: true }]);
    expect(world.get('w1')?.enabled).toBe(false);
    expect(calls.filter((c) => c.startsWith('enable'))).toHaveLength(3);

    advance(20 * MIN); // 10:35: the first remediation left the window
    expect((await tamperAndDeliver())?.outcome).toBe('remediated');
  });

  it('a broken flap store never blocks a remediation; the record says so', async () => {
    const broken: FlapStore = {
      recent: async () => {
        throw Object.assign(new Error('table gone'), { name: 'ResourceNotFoundException' });
      },
      add: async () => {
        throw Object.assign(new Error('table gone'), { name: 'ResourceNotFoundException' });
      },
    };
    const { tamperAndDeliver } = setup(broken);
    const r = await tamperAndDeliver();
    expect(r?.outcome).toBe('remediated');
    expect(r?.reason).toBe(
      'restored enabled (flap state unreadable: ResourceNotFoundException) (flap state not written: ResourceNotFoundException)',
    );
  });

  it('drift that turns logging off is re-applied every time: escalated with the fix made and verified', async () => {
    const { world, calls, tamperAndDeliver, advance } = setup(new MemoryFlapStore(), { loggingOff: true });
    const records = [];
    for (let i = 0; i < 6; i++) {
      records.push(await tamperAndDeliver());
      expect(world.get('w1')?.enabled).toBe(true);
      advance(1 * MIN);
    }
    expect(records.map((r) => r?.outcome)).toEqual([
      'remediated',
      'remediated',
      'remediated',
      'escalated',
      'escalated',
      'escalated',
    ]);
    expect(records[3]).toMatchObject({ verified: true, actions: [{ api: 'widgets:Enable', ok: true, error: null }] });
    expect(records[3]?.reason).toBe(
      'restored enabled; remediated 3 times in the last 30 minutes: something keeps turning logging off, logwarden re-applies every time',
    );
    expect(calls.filter((c) => c.startsWith('enable'))).toHaveLength(6);
  });

  it('forged flap times in year 9999 never hold a resource back; the record says they were ignored', async () => {
    const store = new MemoryFlapStore();
    const key = stateKey('widgets', ACCOUNT, { type: 'Test::Widget', region: 'us-east-1', id: 'w1' });
    const year9999 = Date.parse('9999-12-31T00:00:00Z');
    store.forge(
      key,
      Array.from({ length: 50 }, () => year9999),
    );
    const { world, tamperAndDeliver } = setup(store);
    const r = await tamperAndDeliver();
    expect(r?.outcome).toBe('remediated');
    expect(r?.reason).toBe('restored enabled (50 flap time(s) in the future ignored (forged or clock skew))');
    expect(world.get('w1')?.enabled).toBe(true);
    // Noting the remediation drops the forged times.
    expect(await store.recent(key, 0)).toEqual([Date.parse('2026-11-26T10:00:00Z')]);
  });
});

/**
 * A one-table DynamoDB whose conditional puts are atomic, as DynamoDB's are (the emulator's are not:
 * it checks and stores without a lock). Only the two conditions DynamoFlapStore writes are understood.
 */
function atomicTable() {
  const items = new Map<string, Record<string, AttributeValue>>();
  const db = mockClient(DynamoDBClient);
  db.on(GetItemCommand).callsFake(async (input) => {
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    return { Item: items.get(input.Key.pk.S) };
  });
  db.on(PutItemCommand).callsFake(async (input) => {
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    const current = items.get(input.Item.pk.S)?.version;
    const expected = input.ExpressionAttributeValues?.[':v'];
    const holds =
      input.ConditionExpression === 'attribute_not_exists(version)'
        ? current === undefined
        : JSON.stringify(current) === JSON.stringify(expected);
    if (!holds) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    items.set(input.Item.pk.S, input.Item);
    return {};
  });
  return db;
}

describe('DynamoFlapStore with concurrent writers (atomic conditional puts)', () => {
  it('loses no remediation when eight invocations note one at the same time', async () => {
    const db = atomicTable();
    try {
      const clients = new AwsClients({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
      const store = new DynamoFlapStore(clients, 'us-east-1', 'logwarden-state');
      await Promise.all(Array.from({ length: 8 }, (_, i) => store.add('race', 100 + i, 1_000_000)));
      expect((await store.recent('race', 0)).sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 104, 105, 106, 107]);
      expect(db.commandCalls(PutItemCommand).length).toBeGreaterThan(8);
    } finally {
      db.restore();
    }
  });
});
