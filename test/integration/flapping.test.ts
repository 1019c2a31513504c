import {
  CloudTrailClient,
  GetTrailCommand,
  GetTrailStatusCommand,
  StopLoggingCommand,
  UpdateTrailCommand,
} from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { sweepEvent } from '../../cli/events.js';
import { cloudtrail } from '../../controllers/cloudtrail/index.js';
import { stateKey } from '../../controllers/core/controller.js';
import { DynamoFlapStore } from '../../controllers/core/flapping.js';
import { DynamoLeaseStore } from '../../controllers/core/lease.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { createRuntime, publishAndSettle } from '../../controllers/core/runtime.js';
import { createTrailBucket, TRAIL, trailEvent, trailPolicy } from '../helpers/cloudtrail.js';
import { ACCOUNT, createAuditBus, createStateTable, quietLogger, REGION, STATE_TABLE, useEmulator } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

const emu = useEmulator();
const TABLE = STATE_TABLE;
const createTable = () => createStateTable(emu.clients());

/**
 * A trail made by the controller's own sweep, with the flap history (max 2 remediations in 15
 * minutes) and, when asked, the leases in the state table; a clock the test moves.
 */
async function trailUnderBreaker(opts: { lease?: boolean } = {}) {
  await createTable();
  await createTrailBucket(emu.clients());
  const audit = await createAuditBus(emu.clients());
  let now = Date.parse('2026-11-26T10:00:00Z');
  const clients = emu.clients();
  const runtime = createRuntime({
    guardrails: [cloudtrail],
    policy: parsePolicy(policyWith({ cloudtrail: trailPolicy() }, { flapping: { maxRemediations: 2, windowMinutes: 15 } }), [
      cloudtrail,
    ]),
    account: ACCOUNT,
    region: REGION,
    logger: quietLogger(),
    clients,
    now: () => new Date(now),
    flapStore: new DynamoFlapStore(clients, REGION, TABLE),
    leaseStore: opts.lease ? new DynamoLeaseStore(clients, REGION, TABLE) : undefined,
  });
  const ct = clients.get(CloudTrailClient, REGION);
  const deliver = async (event: unknown) => {
    const records = await runtime.controller.handleEvent(event);
    await publishAndSettle(runtime.sink, records);
    now += 60_000;
    return records;
  };
  await deliver(sweepEvent({ account: ACCOUNT, region: REGION }));
  const stopAndDeliver = async () => {
    await ct.send(new StopLoggingCommand({ Name: TRAIL }));
    return deliver(trailEvent('StopLogging', { name: TRAIL }));
  };
  return { ct, audit, deliver, stopAndDeliver, advance: (ms: number) => (now += ms), now: () => now };
}

describe('flap state in DynamoDB (emulator)', () => {
  // Concurrent writers are covered in test/unit/flapping.test.ts: moto checks a condition and stores
  // the item without a lock, so two conditional puts can both pass there (DynamoDB makes them atomic).
  it('keeps remediation times per resource and prunes the window', async () => {
    await createTable();
    const store = new DynamoFlapStore(emu.clients(), REGION, TABLE);
    const key = 'cloudtrail#123456789012#us-east-1#main';
    await store.add(key, 1_000, 10_000);
    await store.add(key, 5_000, 10_000);
    await store.add(key, 14_000, 10_000); // 1_000 leaves the window
    expect(await store.recent(key, 0)).toEqual([5_000, 14_000]);
    expect(await store.recent('other', 0)).toEqual([]);
  });

  it('a trail stopped six times in a row: logging is back after every round, and the record is escalated', async () => {
    const { ct, audit, stopAndDeliver } = await trailUnderBreaker();
    const outcomes: string[] = [];
    for (let round = 0; round < 6; round++) {
      const [record] = await stopAndDeliver();
      outcomes.push(record?.outcome ?? '');
      expect((await ct.send(new GetTrailStatusCommand({ Name: TRAIL }))).IsLogging).toBe(true);
      expect(record?.actions).toEqual([{ api: 'cloudtrail:StartLogging', ok: true, error: null }]);
    }
    // The baseline created the trail: that is the first remediation in the window (max 2).
    expect(outcomes).toEqual(['remediated', 'escalated', 'escalated', 'escalated', 'escalated', 'escalated']);
    const onBus = await audit.drain();
    expect(onBus.map((r) => r.outcome)).toEqual(['remediated', ...outcomes]);
    expect(onBus[2]).toMatchObject({ outcome: 'escalated', verified: true, runbook: 'runbooks/escalations.md' });
    expect(onBus[2]?.reason).toBe(
      'restored isLogging; remediated 2 times in the last 15 minutes: something keeps turning logging off, logwarden re-applies every time',
    );
  });

  it('settings-level drift of a flapping trail is held back (escalated) until the window has passed', async () => {
    const { ct, deliver, advance } = await trailUnderBreaker();
    const turnOffValidation = async () => {
      await ct.send(new UpdateTrailCommand({ Name: TRAIL, EnableLogFileValidation: false }));
      return deliver(trailEvent('UpdateTrail', { name: TRAIL }));
    };
    const validation = async () => (await ct.send(new GetTrailCommand({ Name: TRAIL }))).Trail?.LogFileValidationEnabled;
    expect((await turnOffValidation())[0]?.outcome).toBe('remediated');
    const [held] = await turnOffValidation();
    expect(held).toMatchObject({ outcome: 'escalated', actions: [], runbook: 'runbooks/escalations.md' });
    expect(held?.reason).toMatch(/^remediated 2 times in the last 15 minutes: stopped re-applying/);
    expect(await validation()).toBe(false);
    advance(15 * 60_000);
    expect((await turnOffValidation())[0]?.outcome).toBe('remediated');
    expect(await validation()).toBe(true);
  });

  it('forged flap times in year 9999 and an oversized lease in the table never block a remediation', async () => {
    const { ct, stopAndDeliver, now } = await trailUnderBreaker({ lease: true });
    const db = emu.clients().get(DynamoDBClient, REGION);
    const key = stateKey('cloudtrail', ACCOUNT, { type: 'AWS::CloudTrail::Trail', region: REGION, id: TRAIL });
    const year9999 = String(Date.parse('9999-12-31T00:00:00Z'));
    await db.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: key }, times: { L: Array.from({ length: 20 }, () => ({ N: year9999 })) }, version: { S: 'forged' } },
      }),
    );
    await db.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: `lease#${key}` }, owner: { S: 'mallory' }, expiresAtMs: { N: year9999 } },
      }),
    );

    const [record] = await stopAndDeliver();

    expect(record?.outcome).toBe('remediated');
    expect(record?.reason).toContain('20 flap time(s) in the future ignored (forged or clock skew)');
    expect(record?.reason).toContain('forged lease taken over (it ran until 9999-12-31T00:00:00.000Z');
    expect((await ct.send(new GetTrailStatusCommand({ Name: TRAIL }))).IsLogging).toBe(true);
    // The forged item (which replaced the baseline's history) was overwritten: only this remediation's time is left.
    const item = await db.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: key } } }));
    expect(item.Item?.times?.L?.map((v) => Number(v.N))).toEqual([now() - 60_000]);
    expect(item.Item?.version).toEqual({ N: '1' });
  });
});
