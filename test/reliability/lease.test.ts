/**
 * Per-resource leases (controllers/core/lease.ts): the DynamoDB store on the emulator, and the
 * lease in the reconcile loop (wait, busy, broken store, released after verify).
 */
import { type AttributeValue, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { apiCallEvent } from '../../cli/events.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller, stateKey } from '../../controllers/core/controller.js';
import { DynamoLeaseStore, type LeaseStore, MemoryLeaseStore } from '../../controllers/core/lease.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { createRuntime } from '../../controllers/core/runtime.js';
import { demo as guarddutyDemo } from '../../controllers/guardduty/demo.js';
import { ACCOUNT, createAuditBus, createStateTable, quietLogger, REGION, STATE_TABLE, useEmulator } from '../helpers/emulator.js';
import { fakeGuardrail, type Widget } from '../helpers/fake-guardrail.js';
import { policyWith } from '../helpers/policy.js';
import { deliverWithRedelivery, demoContext, demoPolicy, writesOf } from './support.js';

const emu = useEmulator();
const TABLE = STATE_TABLE;
/** The state-table key of widget w1 (the fake guardrail's resource). */
const W1_KEY = stateKey('widgets', '123456789012', { type: 'Test::Widget', region: 'us-east-1', id: 'w1' });
const createTable = () => createStateTable(emu.clients());

describe('DynamoLeaseStore on the emulator', () => {
  it('one holder at a time; only the holder releases; an expired lease can be taken', async () => {
    await createTable();
    const store = new DynamoLeaseStore(emu.clients(), REGION, TABLE);
    const key = stateKey('guardduty', '123456789012', { type: 'AWS::GuardDuty::Detector', region: 'us-east-1', id: 'detector' });
    const t = 1_000_000;

    expect((await store.acquire(key, 'a', 30_000, t)).taken).toBe(true);
    expect((await store.acquire(key, 'b', 30_000, t + 1)).taken).toBe(false);
    expect((await store.acquire(key, 'a', 30_000, t + 2)).taken).toBe(true); // the holder renews
    await store.release(key, 'b'); // not b's: nothing happens
    expect((await store.acquire(key, 'b', 30_000, t + 3)).taken).toBe(false);
    const item = await emu
      .clients()
      .get(DynamoDBClient, REGION)
      .send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `lease#${key}` } } }));
    expect(item.Item?.owner?.S).toBe('a');
    expect(Number(item.Item?.expiresAt?.N)).toBeGreaterThan((t + 30_000) / 1000); // the table's TTL attribute

    await store.release(key, 'a');
    expect((await store.acquire(key, 'b', 30_000, t + 4)).taken).toBe(true);
    // b crashes without releasing: after the TTL anyone may take it.
    expect((await store.acquire(key, 'c', 30_000, t + 5)).taken).toBe(false);
    expect((await store.acquire(key, 'c', 30_000, t + 30_010)).taken).toBe(true);
  });

  it('a forged lease (ending past ttl + skew, or with no numeric end) is taken over and reported; a genuine one is not', async () => {
    await createTable();
    const store = new DynamoLeaseStore(emu.clients(), REGION, TABLE);
    const db = emu.clients().get(DynamoDBClient, REGION);
    const forge = (key: string, expiresAtMs: AttributeValue) =>
      db.send(
        new PutItemCommand({ TableName: TABLE, Item: { pk: { S: `lease#${key}` }, owner: { S: 'mallory' }, expiresAtMs } }),
      );
    const t = Date.parse('2026-11-26T10:00:00Z');
    await forge('year-9999', { N: String(Date.parse('9999-12-31T00:00:00Z')) });
    expect(await store.acquire('year-9999', 'a', 30_000, t)).toEqual({
      taken: true,
      overrode: 'forged lease taken over (it ran until 9999-12-31T00:00:00.000Z, past the 90 s maximum)',
    });
    await forge('not-a-number', { S: 'forever' });
    expect(await store.acquire('not-a-number', 'a', 30_000, t)).toEqual({
      taken: true,
      overrode: 'forged lease taken over (it ran until unreadable, past the 90 s maximum)',
    });
    // Within ttl + skew: a genuine lease of another invocation (or a slightly fast clock) is respected.
    await forge('genuine', { N: String(t + 30_000 + 50_000) });
    expect(await store.acquire('genuine', 'a', 30_000, t)).toEqual({ taken: false });
    const taken = await db.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'lease#year-9999' } } }));
    expect(taken.Item?.owner?.S).toBe('a');
  });

  it('10 concurrent acquisitions: exactly one wins', async () => {
    await createTable();
    const store = new DynamoLeaseStore(emu.clients(), REGION, TABLE);
    const won = await Promise.all(Array.from({ length: 10 }, (_, i) => store.acquire('race', `owner-${i}`, 30_000, Date.now())));
    expect(won.filter((w) => w.taken)).toHaveLength(1);
  });

  it('GuardDuty DeleteDetector delivered 10× concurrently with leases in DynamoDB: one CreateDetector, one detector', async () => {
    await createTable();
    const setup = emu.clients();
    const ctx = demoContext(setup);
    const audit = await createAuditBus(setup);
    const policy = demoPolicy([guarddutyDemo]);
    const runtimeWith = (clients: AwsClients) =>
      createRuntime({
        guardrails: [guarddutyDemo.guardrail],
        policy,
        account: ACCOUNT,
        region: REGION,
        logger: quietLogger(),
        clients,
        leaseStore: new DynamoLeaseStore(clients, REGION, TABLE),
      });
    await guarddutyDemo.prepare(ctx);
    await runtimeWith(setup).controller.sweep({ trigger: { type: 'cli', eventId: null, eventName: 'baseline', actor: 'test' } });
    await audit.drain();
    const [scenario] = guarddutyDemo.scenarios;
    if (!scenario) throw new Error('no GuardDuty scenario');
    const [event] = await scenario.tamper(ctx);

    const calls: string[][] = Array.from({ length: 10 }, () => []);
    const deliveries = await Promise.all(
      calls.map((c) => deliverWithRedelivery(runtimeWith(emu.clients(({ action }) => c.push(action))), event)),
    );

    expect(await scenario.check(ctx)).toBeNull();
    expect(await guarddutyDemo.duplicates(ctx)).toEqual([]);
    expect(calls.flatMap(writesOf)).toEqual(['guardduty:CreateDetector']);
    const outcomes = deliveries.flatMap((d) => d.records.map((r) => r.outcome)).sort();
    expect(outcomes).toEqual(['compliant', ...Array(8).fill('compliant'), 'remediated'].sort());
    expect(await audit.drain()).toHaveLength(10);
    // Every lease was given back after verification: none is left in the table.
    const items = await setup.get(DynamoDBClient, REGION).send(new ScanCommand({ TableName: TABLE }));
    expect((items.Items ?? []).filter((i) => i.pk?.S?.startsWith('lease#'))).toEqual([]);
    expect(calls.flat()).toContain('dynamodb:DeleteItem');
  });
});

describe('the lease in the reconcile loop', () => {
  const event = apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource: 'widgets.amazonaws.com',
    eventName: 'DisableWidget',
    requestParameters: { ids: ['w1'] },
  });
  function setup(leaseStore: LeaseStore, leaseSettings = { waitMs: 300, pollMs: 20 }) {
    const world = new Map<string, Widget>([['w1', { enabled: false, tags: {} }]]);
    const { g, calls } = fakeGuardrail(world);
    const controller = new Controller({
      guardrails: [g],
      policy: parsePolicy(policyWith({ widgets: { widgets: ['w1'] } }), [g]),
      account: ACCOUNT,
      clients: new AwsClients(),
      logger: quietLogger(),
      leaseStore,
      leaseSettings,
    });
    return { world, calls, controller };
  }

  it('no lease is taken for a compliant resource; one is taken and given back for a remediation', async () => {
    const store = new MemoryLeaseStore();
    const { world, calls, controller } = setup(store);
    const [r1] = await controller.handleEvent(event);
    expect(r1?.outcome).toBe('remediated');
    // Observe, observe again under the lease, enable, verify.
    expect(calls).toEqual(['get w1', 'get w1', 'enable w1', 'get w1']);
    expect(store.acquisitions).toBe(1);

    expect((world.get('w1') as Widget).enabled).toBe(true);
    const [r2] = await controller.handleEvent(event);
    expect(r2?.outcome).toBe('compliant');
    expect(store.acquisitions).toBe(1);
    // It was given back: anyone may take it now.
    expect((await store.acquire(W1_KEY, 'someone', 1000, Date.now())).taken).toBe(true);
  });

  it('a lease held elsewhere past the wait: failed, retryable, nothing written', async () => {
    const store = new MemoryLeaseStore();
    await store.acquire(W1_KEY, 'other-invocation', 60_000, Date.now());
    const { calls, controller } = setup(store);
    const [r] = await controller.handleEvent(event);
    expect(r).toMatchObject({ outcome: 'failed', retryable: true, actions: [] });
    expect(r?.reason).toMatch(/another invocation has held the lease/);
    expect(calls).not.toContain('enable w1');
  });

  it('a lease released while waiting: the waiter observes again and finds the resource compliant', async () => {
    const store = new MemoryLeaseStore();
    const key = W1_KEY;
    await store.acquire(key, 'other-invocation', 60_000, Date.now());
    const { world, calls, controller } = setup(store, { waitMs: 5_000, pollMs: 20 });
    setTimeout(() => {
      (world.get('w1') as Widget).enabled = true; // the other invocation remediated
      void store.release(key, 'other-invocation');
    }, 100);
    const [r] = await controller.handleEvent(event);
    expect(r?.outcome).toBe('compliant');
    expect(calls).toEqual(['get w1', 'get w1']);
  });

  it('a forged lease ending in year 9999 never blocks a remediation: taken over, noted in the record', async () => {
    const store = new MemoryLeaseStore();
    store.forge(W1_KEY, 'mallory', Date.parse('9999-12-31T00:00:00Z'));
    const { world, controller } = setup(store);
    const [r] = await controller.handleEvent(event);
    expect(r?.outcome).toBe('remediated');
    expect(r?.reason).toBe(
      'restored enabled (forged lease taken over (it ran until 9999-12-31T00:00:00.000Z, past the 90 s maximum))',
    );
    expect((world.get('w1') as Widget).enabled).toBe(true);
  });

  it('a broken lease store never blocks a remediation (noted in the record)', async () => {
    const broken: LeaseStore = {
      acquire: async () => {
        throw Object.assign(new Error('table missing'), { name: 'ResourceNotFoundException' });
      },
      release: async () => {},
    };
    const { world, controller } = setup(broken);
    const [r] = await controller.handleEvent(event);
    expect(r?.outcome).toBe('remediated');
    expect(r?.reason).toMatch(/lease not taken: ResourceNotFoundException/);
    expect((world.get('w1') as Widget).enabled).toBe(true);
  });
});
