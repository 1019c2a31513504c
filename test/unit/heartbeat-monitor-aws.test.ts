import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, ListStackInstancesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../../controllers/core/audit.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { ConfigError } from '../../controllers/core/errors.js';
import { createHeartbeatMonitorHandler, handleMonitorEvent, type MonitorOptions } from '../../controllers/monitor/index.js';
import type { MonitorSettings } from '../../controllers/monitor/settings.js';
import { CREDENTIALS, quietLogger, REGION } from '../helpers/emulator.js';
import { beatEnvelope, CENTRAL, MANAGEMENT, monitorSettingsFor, scheduledEvent } from '../helpers/heartbeat-monitor.js';
import { policyWith } from '../helpers/policy.js';

// The handler's paths that the emulator cannot drive: paginated listings (moto's ListStackInstances
// has no pagination), refused listings and table reads, a metric that does not go out, and a
// redelivered older beat losing to the stored one (the condition check).

const cfn = mockClient(CloudFormationClient);
const org = mockClient(OrganizationsClient);
const ddb = mockClient(DynamoDBClient);
const cw = mockClient(CloudWatchClient);
const eb = mockClient(EventBridgeClient);

const NOW = new Date('2026-11-30T12:00:00Z');
const A = '100000000001';
const B = '100000000002';
const sdkError = (name: string) => Object.assign(new Error(`${name} says no`), { name, $metadata: { httpStatusCode: 400 } });
const item = (account: string, minutesAgo: number) => ({
  account: { S: account },
  region: { S: REGION },
  lastSeen: { N: String(NOW.getTime() - minutesAgo * 60_000) },
});

function options(
  settings: Partial<MonitorSettings> = {},
  sink = new MemoryAuditSink(),
): MonitorOptions & { sink: MemoryAuditSink } {
  return {
    settings: monitorSettingsFor(settings),
    excludeAccounts: [],
    account: CENTRAL,
    region: REGION,
    clients: new AwsClients({ credentials: CREDENTIALS, maxAttempts: 1 }),
    sink,
    logger: quietLogger(),
    now: () => NOW,
  };
}

beforeEach(() => {
  for (const m of [cfn, org, ddb, cw, eb]) m.reset();
  cw.on(PutMetricDataCommand).resolves({});
  ddb.on(PutItemCommand).resolves({});
});

describe('a beat', () => {
  it('is stored under the envelope’s account and the record’s region, by the monitor’s clock, only forwards', async () => {
    const o = options({ regions: [REGION, 'eu-west-1'] });
    const result = await handleMonitorEvent(
      beatEnvelope({ account: A, region: 'eu-west-1', time: new Date('2030-01-01T00:00:00Z') }),
      o,
    );
    expect(result).toEqual({ beat: `${A}/eu-west-1` });
    const put = ddb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.Item).toMatchObject({ account: { S: A }, region: { S: 'eu-west-1' }, lastSeen: { N: String(NOW.getTime()) } });
    expect(put?.ConditionExpression).toBe('attribute_not_exists(lastSeen) OR lastSeen < :seen');
    expect(o.sink.records).toEqual([]);
  });

  it('from a region that is not a rollout region is not stored, and is reported ignored', async () => {
    const o = options();
    expect(await handleMonitorEvent(beatEnvelope({ account: A, region: 'ap-south-1' }), o)).toEqual({
      ignored: 'ap-south-1 is not a rollout region',
    });
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(o.sink.records).toMatchObject([{ outcome: 'ignored', resource: { id: `${A}/ap-south-1` } }]);
  });

  it('that lost to a newer stored beat (condition failed) is fine', async () => {
    ddb.on(PutItemCommand).rejects(sdkError('ConditionalCheckFailedException'));
    expect(await handleMonitorEvent(beatEnvelope({ account: A }), options())).toEqual({ beat: `${A}/${REGION}` });
  });

  it('whose detail.account is not the envelope’s is not stored, and is reported failed', async () => {
    const o = options();
    await handleMonitorEvent(beatEnvelope({ account: A, claimedAccount: B }), o);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(o.sink.records).toMatchObject([{ outcome: 'failed', resource: { id: `${A}/${REGION}` } }]);
  });

  it('that the table refuses fails the invocation (EventBridge retries it)', async () => {
    ddb.on(PutItemCommand).rejects(sdkError('ProvisionedThroughputExceededException'));
    await expect(handleMonitorEvent(beatEnvelope({ account: A }), options())).rejects.toThrow(/says no/);
  });
});

describe('the check', () => {
  it('StackSet source: every page of instances and of beats; one failed record per silent deployment; the metric', async () => {
    cfn
      .on(ListStackInstancesCommand, { NextToken: undefined })
      .resolves({
        Summaries: [{ Account: A, Region: REGION, StackInstanceStatus: { DetailedStatus: 'SUCCEEDED' } }],
        NextToken: 'p2',
      })
      .on(ListStackInstancesCommand, { NextToken: 'p2' })
      .resolves({ Summaries: [{ Account: B, Region: REGION, StackInstanceStatus: { DetailedStatus: 'SUCCEEDED' } }] });
    ddb
      .on(ScanCommand, { ExclusiveStartKey: undefined })
      .resolves({ Items: [item(A, 3)], LastEvaluatedKey: { account: { S: A }, region: { S: REGION } } })
      .on(ScanCommand, { ExclusiveStartKey: { account: { S: A }, region: { S: REGION } } })
      .resolves({ Items: [item(MANAGEMENT, 10), item(B, 45)] });
    const o = options({ stackSet: { name: 'logwarden-member', region: 'eu-west-1', callAs: 'DELEGATED_ADMIN' } });

    const result = await handleMonitorEvent(scheduledEvent(), o);

    expect(result).toEqual({ checked: 3, missing: 1, complete: true });
    expect(cfn.commandCalls(ListStackInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { StackSetName: 'logwarden-member', CallAs: 'DELEGATED_ADMIN', NextToken: undefined },
      { StackSetName: 'logwarden-member', CallAs: 'DELEGATED_ADMIN', NextToken: 'p2' },
    ]);
    expect(o.sink.records.map((r) => [r.outcome, r.resource.id])).toEqual([['failed', `${B}/${REGION}`]]);
    expect(o.sink.records[0]?.reason).toMatch(/has sent no heartbeat for 45 minutes/);
    expect(cw.commandCalls(PutMetricDataCommand)[0]?.args[0].input).toEqual({
      Namespace: 'logwarden',
      MetricData: [{ MetricName: 'MissingHeartbeats', Value: 1, Unit: 'Count', Timestamp: NOW }],
    });
  });

  it('Organizations source: every page of ACTIVE accounts × regions minus the excluded ones; 0 is put too', async () => {
    org
      .on(ListAccountsCommand, { NextToken: undefined })
      .resolves({ Accounts: [{ Id: A, State: 'ACTIVE' }], NextToken: 't' })
      .on(ListAccountsCommand, { NextToken: 't' })
      .resolves({
        Accounts: [
          { Id: B, State: 'ACTIVE' },
          { Id: MANAGEMENT, State: 'SUSPENDED' },
        ],
      });
    ddb.on(ScanCommand).resolves({ Items: [item(A, 1)] });
    const o = { ...options({ expectedFrom: 'organizations' }), excludeAccounts: [B] };
    expect(await handleMonitorEvent(scheduledEvent(), o)).toEqual({ checked: 1, missing: 0, complete: true });
    expect(org.commandCalls(ListAccountsCommand)).toHaveLength(2);
    expect(o.sink.records).toEqual([]);
    expect(cw.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData?.[0]?.Value).toBe(0);
  });

  it('a refused listing: a failed record saying the expected set is unknown, the known silent ones still named, no metric', async () => {
    cfn.on(ListStackInstancesCommand).rejects(sdkError('AccessDeniedException'));
    ddb.on(ScanCommand).resolves({ Items: [item(A, 2), item(B, 90)] });
    const o = options();
    expect(await handleMonitorEvent(scheduledEvent(), o)).toEqual({ checked: 2, missing: 1, complete: false });
    expect(o.sink.records.map((r) => [r.outcome, r.resource.id])).toEqual([
      ['failed', `${B}/${REGION}`],
      ['failed', 'expected-deployments/stackset'],
    ]);
    expect(o.sink.records[1]?.reason).toContain('listing stackset failed (AccessDeniedException: AccessDeniedException says no)');
    // No datapoint: the alarm treats missing data as breaching, so an unknown set is never a quiet pass.
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(0);
  });

  it('an unreadable table: a failed record, no listing, no metric', async () => {
    ddb.on(ScanCommand).rejects(sdkError('AccessDeniedException'));
    const o = options();
    expect(await handleMonitorEvent(scheduledEvent(), o)).toEqual({ checked: 0, missing: 0, complete: false });
    expect(o.sink.records).toMatchObject([{ outcome: 'failed', resource: { id: 'heartbeats' } }]);
    expect(cfn.calls()).toHaveLength(0);
    expect(cw.calls()).toHaveLength(0);
  });

  it('a metric that does not go out: the records still go, then the invocation fails', async () => {
    cfn.on(ListStackInstancesCommand).resolves({ Summaries: [] });
    ddb.on(ScanCommand).resolves({ Items: [] });
    cw.on(PutMetricDataCommand).rejects(sdkError('AccessDenied'));
    const o = options();
    await expect(handleMonitorEvent(scheduledEvent(), o)).rejects.toThrow(/AccessDenied says no/);
    // The management account never beat.
    expect(o.sink.records.map((r) => r.resource.id)).toEqual([`${MANAGEMENT}/${REGION}`]);
  });
});

describe('the Lambda handler', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
  });

  function lambdaEnvironment(settings: string) {
    const dir = mkdtempSync(join(tmpdir(), 'lw-monitor-'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(policyWith({}, { excludeAccounts: [B] })));
    Object.assign(process.env, {
      AWS_REGION: REGION,
      LOGWARDEN_POLICY_FILE: join(dir, 'policy.json'),
      LOGWARDEN_ACCOUNT_ID: CENTRAL,
      LOGWARDEN_HEARTBEAT_MONITOR: settings,
    });
  }

  it('fails its start-up naming the bad setting', () => {
    lambdaEnvironment(JSON.stringify({ ...monitorSettingsFor(), heartbeatMinutes: 0 }));
    expect(() => createHeartbeatMonitorHandler()).toThrow(ConfigError);
    expect(() => createHeartbeatMonitorHandler()).toThrow(/^LOGWARDEN_HEARTBEAT_MONITOR\.heartbeatMinutes: /);
  });

  it('checks with the bundled policy’s excluded accounts and publishes to the policy’s audit bus', async () => {
    lambdaEnvironment(JSON.stringify(monitorSettingsFor({ expectedFrom: 'organizations' })));
    org.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: A, State: 'ACTIVE' },
        { Id: B, State: 'ACTIVE' },
      ],
    });
    ddb.on(ScanCommand).resolves({ Items: [] });
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] });
    const handler = createHeartbeatMonitorHandler();
    expect(await handler(scheduledEvent(), { awsRequestId: 'r-1' })).toEqual({ checked: 1, missing: 1, complete: true });
    const entries = eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries.map((e) => [e.EventBusName, JSON.parse(e.Detail ?? '{}').resource.id])).toEqual([
      ['logwarden-audit', `${A}/${REGION}`],
    ]);
  });
});
