import { CloudTrailClient, GetTrailStatusCommand, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { describe, expect, it } from 'vitest';
import { sweepEvent } from '../../cli/events.js';
import { cloudtrail } from '../../controllers/cloudtrail/index.js';
import { DynamoFlapStore } from '../../controllers/core/flapping.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { createRuntime, publishAndSettle } from '../../controllers/core/runtime.js';
import { createTrailBucket, TRAIL, trailEvent, trailPolicy } from '../helpers/cloudtrail.js';
import { ACCOUNT, createAuditBus, createStateTable, quietLogger, REGION, STATE_TABLE, useEmulator } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

const emu = useEmulator();
const TABLE = STATE_TABLE;
const createTable = () => createStateTable(emu.clients());

describe('flap state in DynamoDB (emulator)', () => {
  it('keeps remediation times per resource, prunes the window, and loses none to concurrent writers', async () => {
    await createTable();
    const store = new DynamoFlapStore(emu.clients(), REGION, TABLE);
    const key = 'cloudtrail#123456789012#us-east-1#main';
    await store.add(key, 1_000, 10_000);
    await store.add(key, 5_000, 10_000);
    await store.add(key, 14_000, 10_000); // 1_000 leaves the window
    expect(await store.recent(key, 0)).toEqual([5_000, 14_000]);
    expect(await store.recent('other', 0)).toEqual([]);

    await Promise.all(Array.from({ length: 8 }, (_, i) => store.add('race', 100 + i, 1_000_000)));
    expect((await store.recent('race', 0)).sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 104, 105, 106, 107]);
  });

  it('a trail stopped again and again is escalated, left alone, and taken back after the window', async () => {
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
    });
    const ct = clients.get(CloudTrailClient, REGION);
    await publishAndSettle(runtime.sink, await runtime.controller.handleEvent(sweepEvent({ account: ACCOUNT, region: REGION })));
    const stopAndDeliver = async () => {
      await ct.send(new StopLoggingCommand({ Name: TRAIL }));
      const records = await runtime.controller.handleEvent(trailEvent('StopLogging', { name: TRAIL }));
      await publishAndSettle(runtime.sink, records);
      now += 60_000;
      return records[0]?.outcome;
    };
    // The baseline created the trail: that is the first remediation in the window.
    expect(await stopAndDeliver()).toBe('remediated');
    expect(await stopAndDeliver()).toBe('escalated');
    expect((await ct.send(new GetTrailStatusCommand({ Name: TRAIL }))).IsLogging).toBe(false);
    now += 15 * 60_000;
    expect(await stopAndDeliver()).toBe('remediated');
    expect((await ct.send(new GetTrailStatusCommand({ Name: TRAIL }))).IsLogging).toBe(true);
    const onBus = await audit.drain();
    expect(onBus.map((r) => r.outcome)).toEqual(['remediated', 'remediated', 'escalated', 'remediated']);
    expect(onBus[2]?.reason).toMatch(/^remediated 2 times in the last 15 minutes: stopped re-applying/);
  });
});
