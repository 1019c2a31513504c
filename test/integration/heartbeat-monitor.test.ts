import { CloudFormationClient, CreateStackInstancesCommand, CreateStackSetCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  ListAccountsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { queueBehindRule, type RuleQueue } from '../../cli/audit-bus.js';
import { sweepEvent } from '../../cli/events.js';
import { EventBridgeAuditPublisher } from '../../controllers/core/audit.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { beat } from '../../controllers/heartbeat/index.js';
import { handleMonitorEvent, type MonitorOptions } from '../../controllers/monitor/index.js';
import type { MonitorSettings } from '../../controllers/monitor/settings.js';
import { bundle } from '../../infra/bundle.js';
import { heartbeatPattern } from '../../infra/patterns.js';
import { invokeBundle } from '../helpers/bundled-handler.js';
import { ACCOUNT, AUDIT_BUS, type AuditReader, createAuditBus, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import { beatEnvelope, monitorSettingsFor, scheduledEvent } from '../helpers/heartbeat-monitor.js';
import { policyWith } from '../helpers/policy.js';

// Every call to moto comes from its default account (123456789012), which is therefore the one member
// whose beat goes through the real bus and the monitor's rule pattern; the other members' envelopes are
// built as EventBridge delivers them (test/helpers/heartbeat-monitor.ts).

// PutMetricData is answered in process: the SDK speaks JSON 1.0 to CloudWatch, and the emulator's
// botocore 1.35 model (pinned by checkov) knows only CloudWatch's query protocol, so moto answers 500.
// Everything else (DynamoDB, Organizations, CloudFormation, EventBridge, SQS) is the emulator's.
const cw = mockClient(CloudWatchClient);
afterAll(() => cw.restore());

const emu = useEmulator();
const TABLE = 'logwarden-heartbeats';

async function createHeartbeatTable(clients: AwsClients): Promise<void> {
  await clients.get(DynamoDBClient, REGION).send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [
        { AttributeName: 'account', KeyType: 'HASH' },
        { AttributeName: 'region', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'account', AttributeType: 'S' },
        { AttributeName: 'region', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

async function storedBeats(clients: AwsClients): Promise<string[]> {
  const { Items } = await clients.get(DynamoDBClient, REGION).send(new ScanCommand({ TableName: TABLE }));
  return (Items ?? []).map((i) => `${i.account?.S}/${i.region?.S}`).sort();
}

/** Three accounts in an organization on the emulator: moto's default one (the management account) and two created. */
async function organizationOfThree(clients: AwsClients): Promise<string[]> {
  const org = clients.get(OrganizationsClient, 'us-east-1');
  await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  for (const name of ['prod', 'sandbox']) {
    await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
  }
  const { Accounts } = await org.send(new ListAccountsCommand({}));
  return (Accounts ?? []).map((a) => a.Id as string);
}

describe('heartbeat monitor on the emulator', () => {
  let audit: AuditReader;
  let options: (settings: Partial<MonitorSettings>) => MonitorOptions;

  beforeEach(async () => {
    cw.reset();
    cw.on(PutMetricDataCommand).resolves({});
    const clients = emu.clients();
    audit = await createAuditBus(clients);
    await createHeartbeatTable(clients);
    const sink = new EventBridgeAuditPublisher({ clients, eventBus: AUDIT_BUS, region: REGION, logger: quietLogger() });
    options = (settings) => ({
      settings: monitorSettingsFor({ managementAccount: ACCOUNT, ...settings }),
      excludeAccounts: [],
      account: ACCOUNT,
      region: REGION,
      clients,
      sink,
      logger: quietLogger(),
    });
  });

  /** The member's own beat: the heartbeat publishes it to the bus, the monitor's rule pattern delivers it. */
  async function beatThroughTheBus(o: MonitorOptions): Promise<RuleQueue> {
    const clients = emu.clients();
    const toMonitor = await queueBehindRule(clients, REGION, {
      name: 'to-monitor',
      pattern: heartbeatPattern(),
      eventBusName: AUDIT_BUS,
    });
    const policy = parsePolicy(policyWith({}), [], 'p', { onlyThese: false });
    const sink = new EventBridgeAuditPublisher({ clients, eventBus: AUDIT_BUS, region: REGION, logger: quietLogger() });
    await beat(sweepEvent({ account: ACCOUNT, region: REGION }), { policy, account: ACCOUNT, region: REGION, sink });
    expect((await audit.drain()).map((r) => [r.guardrail, r.outcome])).toEqual([['heartbeat', 'compliant']]);
    const delivered = await toMonitor.drain();
    expect(delivered.map((e) => (e.detail as { account: string }).account)).toEqual([ACCOUNT]);
    // moto's SQS delivery leaves the envelope's `account` out (its default input template has none).
    // Without it the beat cannot be attributed: not counted, and said so.
    expect(await handleMonitorEvent(delivered[0], o)).toEqual({ reported: 'the envelope has no account' });
    expect(await audit.drain()).toMatchObject([{ outcome: 'ignored', reason: expect.stringContaining('malformed heartbeat') }]);
    // With the account EventBridge sets (the sender: moto's default account), it counts.
    for (const event of delivered)
      expect(await handleMonitorEvent({ ...event, account: ACCOUNT }, o)).toEqual({ beat: `${ACCOUNT}/${REGION}` });
    return toMonitor;
  }

  it('Organizations: beats from two of three accounts → a failed record for the third on the audit bus, and the metric', async () => {
    const [other, silent] = (await organizationOfThree(emu.clients())).filter((a) => a !== ACCOUNT);
    const o = options({ expectedFrom: 'organizations' });
    const toMonitor = await beatThroughTheBus(o);
    await handleMonitorEvent(beatEnvelope({ account: other as string }), o);
    expect(await storedBeats(emu.clients())).toEqual([`${ACCOUNT}/${REGION}`, `${other}/${REGION}`].sort());

    const result = await handleMonitorEvent(scheduledEvent(ACCOUNT), o);

    expect(result).toEqual({ checked: 3, missing: 1, complete: true });
    const onBus = await audit.drain();
    expect(onBus.map((r) => [r.guardrail, r.outcome, r.resource.id])).toEqual([['heartbeat', 'failed', `${silent}/${REGION}`]]);
    expect(onBus[0]?.reason).toMatch(/has never sent a heartbeat.*runbooks\/heartbeat\.md/);
    expect(missingHeartbeatsPut()).toEqual([1]);
    // The monitor's own heartbeat records do not match its rule: they never come back to it.
    expect(await toMonitor.drain()).toEqual([]);
  });

  it('StackSet: beats from two of three instances → a failed record for the third; a forged beat is not counted', async () => {
    const [member, silent] = ['100000000001', '100000000002'];
    const cfn = emu.clients().get(CloudFormationClient, REGION);
    await cfn.send(
      new CreateStackSetCommand({
        StackSetName: 'logwarden-member',
        TemplateBody: JSON.stringify({ Resources: { Nothing: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } }),
      }),
    );
    await cfn.send(
      new CreateStackInstancesCommand({ StackSetName: 'logwarden-member', Accounts: [member, silent], Regions: [REGION] }),
    );
    const o = options({ expectedFrom: 'stackset' });
    await beatThroughTheBus(o);
    await handleMonitorEvent(beatEnvelope({ account: member }), o);
    // Another account's admin puts a beat in the silent account's name: reported, counted for nobody.
    await handleMonitorEvent(beatEnvelope({ account: '100000000003', claimedAccount: silent }), o);
    const forged = await audit.drain();
    expect(forged.map((r) => [r.outcome, r.resource.id])).toEqual([['failed', `100000000003/${REGION}`]]);
    expect(forged[0]?.reason).toContain(`claims to come from account ${silent}`);

    expect(await handleMonitorEvent(scheduledEvent(ACCOUNT), o)).toEqual({ checked: 3, missing: 1, complete: true });

    expect((await audit.drain()).map((r) => [r.outcome, r.resource.id])).toEqual([['failed', `${silent}/${REGION}`]]);
    expect(await storedBeats(emu.clients())).toEqual([`${member}/${REGION}`, `${ACCOUNT}/${REGION}`].sort());
    expect(missingHeartbeatsPut()).toEqual([1]);
  });

  it('the esbuild bundle runs as the Lambda would: a beat stored; a check without the StackSet says the set is unknown', async () => {
    const b = bundle({ kind: 'heartbeat-monitor' }, JSON.stringify(policyWith({})));
    process.env.LOGWARDEN_HEARTBEAT_MONITOR = JSON.stringify(
      monitorSettingsFor({ managementAccount: ACCOUNT, expectedFrom: 'stackset' }),
    );
    try {
      expect(await invokeBundle(b.dir, emu.endpoint, beatEnvelope({ account: ACCOUNT }))).toEqual({
        beat: `${ACCOUNT}/${REGION}`,
      });
      // No StackSet on the emulator: ListStackInstances fails, so no metric is put (the alarm fires on missing data).
      const out = await invokeBundle(b.dir, emu.endpoint, scheduledEvent(ACCOUNT));
      expect(out).toEqual({ checked: 1, missing: 0, complete: false });
    } finally {
      delete process.env.LOGWARDEN_HEARTBEAT_MONITOR;
    }
    expect(await storedBeats(emu.clients())).toEqual([`${ACCOUNT}/${REGION}`]);
    const onBus = await audit.drain();
    expect(onBus.map((r) => [r.outcome, r.resource.id])).toEqual([['failed', 'expected-deployments/stackset']]);
    expect(onBus[0]?.reason).toMatch(
      /^the expected set of deployments is unknown: listing stackset failed \(StackSetNotFoundException/,
    );
  });
});

/** The values of MissingHeartbeats put so far, in the logwarden namespace. */
function missingHeartbeatsPut(): (number | undefined)[] {
  return cw
    .commandCalls(PutMetricDataCommand)
    .map((c) => c.args[0].input)
    .filter((i) => i.Namespace === 'logwarden')
    .flatMap((i) => (i.MetricData ?? []).filter((d) => d.MetricName === 'MissingHeartbeats').map((d) => d.Value));
}
