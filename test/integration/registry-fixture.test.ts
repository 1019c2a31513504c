/**
 * The fixture guardrail `example-logs`, added only by a registry line (test/helpers/fixture-registry.ts),
 * runs its demo scenario through a real Controller on the emulator: the retention deleted by a real
 * DeleteRetentionPolicy call is back, and the record says `remediated`.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { loadDemos } from '../../cli/demo/load.js';
import { Controller } from '../../controllers/core/controller.js';
import { LOG_GROUP, RETENTION_DAYS } from '../fixtures/guardrails/example-logs/demo.js';
import { ACCOUNT, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import { fixtureRegistry } from '../helpers/fixture-registry.js';
import { demoContext, demoPolicy } from '../reliability/support.js';

const emu = useEmulator();
const demos = await loadDemos(fixtureRegistry);
const demo = demos.find((d) => d.guardrail.name === 'example-logs');

async function retentionOf(clients: ReturnType<typeof emu.clients>): Promise<number | undefined> {
  const out = await clients
    .get(CloudWatchLogsClient, REGION)
    .send(new DescribeLogGroupsCommand({ logGroupNamePrefix: LOG_GROUP }));
  return out.logGroups?.find((g) => g.logGroupName === LOG_GROUP)?.retentionInDays;
}

describe('example-logs, registered with one line, on the emulator', () => {
  it('DeleteRetentionPolicy on a governed log group: the retention is back, the record is remediated', async () => {
    if (!demo) throw new Error('example-logs has no demo in the fixture registry');
    const clients = emu.clients();
    const ctx = demoContext(clients);
    const controller = new Controller({
      guardrails: [demo.guardrail],
      policy: demoPolicy([demo]),
      account: ACCOUNT,
      clients,
      logger: quietLogger(),
    });
    await demo.prepare(ctx);
    const baseline = await controller.sweep({ trigger: { type: 'cli', eventId: null, eventName: 'baseline', actor: 'test' } });
    expect(baseline.map((r) => r.outcome)).toEqual(['remediated']);
    const [scenario] = demo.scenarios;
    if (!scenario) throw new Error('example-logs has no scenario');

    const events = await scenario.tamper(ctx);
    expect(await retentionOf(clients)).toBeUndefined();
    const records = await controller.handleEvents(events);

    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      guardrail: 'example-logs',
      outcome: 'remediated',
      verified: true,
      resource: { type: 'AWS::Logs::LogGroup', id: LOG_GROUP },
      trigger: { type: 'cloudtrail', eventName: 'DeleteRetentionPolicy' },
      actions: [{ api: 'logs:PutRetentionPolicy', ok: true }],
    });
    expect(await retentionOf(clients)).toBe(RETENTION_DAYS);
    expect(await scenario.check(ctx)).toBeNull();
    expect(await demo.duplicates(ctx)).toEqual([]);
  });
});
