import { DeleteVpcCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { createRuntime } from '../../controllers/core/runtime.js';
import { flowLogs } from '../../controllers/flow-logs/index.js';
import { ACCOUNT, OWN_ROLE_ARN, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import {
  allVpcIds,
  createFlowBucket,
  createFlowLogGroup,
  createVpc,
  createVpcEvent,
  deleteFlowLogs,
  deleteFlowLogsEvent,
  ec2Of,
  FLOW_DESTINATION,
  FLOW_LOG_GROUP_ARN,
  FLOW_ROLE_ARN,
  flowLogsOf,
  flowLogsPolicy,
  isManaged,
  tagVpc,
  userFlowLog,
} from '../helpers/flow-logs.js';
import { controllerOn, type Harness, harness } from '../helpers/harness.js';
import { daysLater, exemptionOf, policyWith, UNAPPROVED } from '../helpers/policy.js';

const emu = useEmulator();

/** An independent controller on the same emulator, as another Lambda container would be (its records are not published). */
function setupRuntime() {
  return createRuntime({
    guardrails: [flowLogs],
    policy: parsePolicy(policyWith({ 'flow-logs': flowLogsPolicy() }), [flowLogs]),
    account: ACCOUNT,
    region: REGION,
    logger: quietLogger(),
    clients: emu.clients(),
  });
}
const clients = () => emu.clients();
const RUNBOOK = 'runbooks/flow-logs.md';
/**
 * The user's REJECT-only flow log goes to another bucket: moto 5.2.5 treats a second flow log to
 * the same destination as a duplicate whatever its traffic type (and ignores prefixes). The
 * same-destination clash is covered by the unit tests with aws-sdk-client-mock.
 */
const REJECTS_BUCKET = 'network-rejects';
const REJECTS_BUCKET_ARN = `arn:aws:s3:::${REJECTS_BUCKET}`;

async function setup(section = flowLogsPolicy(), opts: { bucket?: boolean; exemptions?: unknown[] } = {}): Promise<Harness> {
  if (opts.bucket !== false) {
    await createFlowBucket(clients());
    await createFlowBucket(clients(), REJECTS_BUCKET);
  }
  return harness(emu, [flowLogs], { 'flow-logs': section }, { exemptions: opts.exemptions });
}

/** Is there an ACTIVE ALL flow log to the policy destination on the VPC? */
async function compliantIds(vpcId: string): Promise<string[]> {
  return (await flowLogsOf(clients(), vpcId))
    .filter((fl) => fl.FlowLogStatus === 'ACTIVE' && fl.TrafficType === 'ALL' && fl.LogDestination === FLOW_DESTINATION)
    .map((fl) => fl.FlowLogId as string);
}

describe('flow-logs guardrail on the emulator: events', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup();
  });

  it('new VPC (CreateVpc) → a compliant flow log is created, tagged, verified, one record on the bus', async () => {
    const vpcId = await createVpc(clients());
    expect(await flowLogsOf(clients(), vpcId)).toEqual([]);

    const records = await h.deliver(createVpcEvent(vpcId));

    const after = await flowLogsOf(clients(), vpcId);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({
      FlowLogStatus: 'ACTIVE',
      TrafficType: 'ALL',
      LogDestinationType: 's3',
      LogDestination: FLOW_DESTINATION,
      ResourceId: vpcId,
    });
    expect(isManaged(after[0] as never)).toBe(true);
    const onBus = await h.audit.drain();
    expect(onBus).toHaveLength(1);
    expect(onBus[0]).toMatchObject({
      guardrail: 'flow-logs',
      outcome: 'remediated',
      verified: true,
      resource: { type: 'AWS::EC2::VPC', id: vpcId, arn: `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${vpcId}` },
      trigger: { type: 'cloudtrail', eventName: 'CreateVpc', actor: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      drift: [
        {
          property: 'flowLog',
          observed: 'no flow log',
          desired: { status: 'ACTIVE', trafficType: 'ALL', destination: FLOW_DESTINATION },
        },
      ],
      actions: [{ api: 'ec2:CreateFlowLogs', ok: true, error: null }],
      runbook: RUNBOOK,
    });
    expect(onBus[0]?.id).toBe(records[0]?.id);
    // Calls per remediation: observe (DescribeVpcs + DescribeFlowLogs), CreateFlowLogs, verify (DescribeFlowLogs only).
    expect(h.calls.filter((c) => c !== 'events:PutEvents')).toHaveLength(4);
    expect(h.writes()).toEqual(['ec2:CreateFlowLogs']);
  });

  it('CreateDefaultVpc is handled like CreateVpc', async () => {
    const vpcId = await createVpc(clients(), '172.31.0.0/16');
    const [record] = await h.deliver(createVpcEvent(vpcId, { eventName: 'CreateDefaultVpc' }));
    expect(record).toMatchObject({ outcome: 'remediated', trigger: { eventName: 'CreateDefaultVpc' } });
    expect(await compliantIds(vpcId)).toHaveLength(1);
  });

  it('delete the only flow log (logwarden made it) → recreated; one region listing finds the VPC, no tag on the VPC', async () => {
    const vpcId = await createVpc(clients());
    await h.deliver(createVpcEvent(vpcId));
    const [first] = await compliantIds(vpcId);
    for (const id of (await allVpcIds(clients())).filter((id) => id !== vpcId)) await userFlowLog(clients(), id);
    await h.audit.drain();
    h.calls.length = 0;

    await deleteFlowLogs(clients(), [first as string]);
    expect(await flowLogsOf(clients(), vpcId)).toEqual([]);
    await h.deliver(deleteFlowLogsEvent([first as string]));

    const now = await compliantIds(vpcId);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(first);
    const [record] = await h.audit.drain();
    expect(record).toMatchObject({ outcome: 'remediated', resource: { id: vpcId }, trigger: { eventName: 'DeleteFlowLogs' } });
    // One region listing (its state serves the decision), the write, one verification read.
    expect(h.calls.filter((c) => c !== 'events:PutEvents').sort()).toEqual(
      ['ec2:DescribeVpcs', 'ec2:DescribeFlowLogs', 'ec2:CreateFlowLogs', 'ec2:DescribeFlowLogs'].sort(),
    );
    const vpc = (await ec2Of(clients()).send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0];
    expect(vpc?.Tags ?? []).toEqual([]);
  });

  it('delete the only flow log (made by the infrastructure) → the region scan finds the VPC left uncovered', async () => {
    const vpcId = await createVpc(clients());
    const theirs = await userFlowLog(clients(), vpcId);
    const other = await createVpc(clients(), '10.1.0.0/16');
    await userFlowLog(clients(), other);
    const defaultVpcs = (await allVpcIds(clients())).filter((id) => id !== vpcId && id !== other);
    for (const id of defaultVpcs) await userFlowLog(clients(), id);

    await deleteFlowLogs(clients(), [theirs]);
    const records = await h.deliver(deleteFlowLogsEvent([theirs]));

    expect(records.map((r) => [r.resource.id, r.outcome])).toEqual([[vpcId, 'remediated']]);
    expect(await compliantIds(vpcId)).toHaveLength(1);
    expect(h.writes()).toEqual(['ec2:CreateFlowLogs']);
    // One region listing (its state serves the first observation), the write, 1 verification read.
    expect(h.calls.filter((c) => c !== 'events:PutEvents').sort()).toEqual(
      ['ec2:DescribeVpcs', 'ec2:DescribeFlowLogs', 'ec2:CreateFlowLogs', 'ec2:DescribeFlowLogs'].sort(),
    );
  });

  it('mismatching flow logs (REJECT only; wrong destination) → reported as drift, a compliant one is added, the user ones are kept', async () => {
    const vpcId = await createVpc(clients());
    const rejectOnly = await userFlowLog(clients(), vpcId, {
      TrafficType: 'REJECT',
      LogDestination: REJECTS_BUCKET_ARN,
    });
    await createFlowBucket(clients(), 'team-private-bucket');
    const elsewhere = await userFlowLog(clients(), vpcId, { LogDestination: 'arn:aws:s3:::team-private-bucket' });

    const [record] = await h.deliver(
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: 'AWS::EC2::VPC',
        resourceId: vpcId,
        configRuleName: 'logwarden-flow-logs',
      }),
    );

    expect(record).toMatchObject({ outcome: 'remediated', trigger: { type: 'config' } });
    expect(record?.drift).toEqual([
      {
        property: 'flowLog',
        observed: [
          { id: rejectOnly, managedByLogwarden: false, trafficType: 'REJECT', destination: REJECTS_BUCKET_ARN },
          { id: elsewhere, managedByLogwarden: false, destination: 'arn:aws:s3:::team-private-bucket' },
        ],
        desired: { status: 'ACTIVE', trafficType: 'ALL', destination: FLOW_DESTINATION },
      },
    ]);
    const after = await flowLogsOf(clients(), vpcId);
    expect(after.map((fl) => fl.FlowLogId)).toEqual(expect.arrayContaining([rejectOnly, elsewhere]));
    expect(after).toHaveLength(3);
    expect(await compliantIds(vpcId)).toHaveLength(1);
    expect(h.writes()).not.toContain('ec2:DeleteFlowLogs');
  });

  it('the same CreateVpc event ×10 concurrently → exactly one logwarden flow log, no failure', async () => {
    const vpcId = await createVpc(clients());
    const event = createVpcEvent(vpcId);

    // Lambda runs invocations in parallel: ten controllers, each with its own clients, as ten containers would.
    const runs = await Promise.all(Array.from({ length: 10 }, async () => setupRuntime().controller.handleEvent(event)));

    const records = runs.flat();
    expect(records).toHaveLength(10);
    expect(records.filter((r) => r.outcome === 'failed')).toEqual([]);
    expect(records.filter((r) => r.outcome === 'remediated').length).toBeGreaterThanOrEqual(1);
    const managed = (await flowLogsOf(clients(), vpcId)).filter(isManaged);
    expect(managed).toHaveLength(1);
    expect(await flowLogsOf(clients(), vpcId)).toHaveLength(1);
  });

  it('the same DeleteFlowLogs event ×10 concurrently → exactly one new logwarden flow log', async () => {
    const vpcId = await createVpc(clients());
    await h.deliver(createVpcEvent(vpcId));
    const [first] = await compliantIds(vpcId);
    await deleteFlowLogs(clients(), [first as string]);
    const event = deleteFlowLogsEvent([first as string]);

    const runs = await Promise.all(Array.from({ length: 10 }, async () => setupRuntime().controller.handleEvent(event)));

    expect(runs.flat().filter((r) => r.outcome === 'failed')).toEqual([]);
    const managed = (await flowLogsOf(clients(), vpcId)).filter(isManaged);
    expect(managed).toHaveLength(1);
  });

  it('an exemption tag alone never exempts: tagged, then its flow log deleted, the VPC gets it back and the request is noted', async () => {
    const vpcId = await createVpc(clients(), '10.0.0.0/16');
    await h.deliver(createVpcEvent(vpcId));
    const [first] = await compliantIds(vpcId);
    await tagVpc(clients(), vpcId, { 'logwarden:exempt': 'lab VPC, ticket SEC-42' });
    await deleteFlowLogs(clients(), [first as string]);

    // The region listing also finds the region's default VPC uncovered: one record each.
    const records = await h.deliver(deleteFlowLogsEvent([first as string]));
    const record = records.find((r) => r.resource.id === vpcId);

    expect(record?.outcome).toBe('remediated');
    expect(record?.reason).toMatch(UNAPPROVED);
    expect(await compliantIds(vpcId)).toHaveLength(1);
  });

  it('a policy exemption leaves the VPC untouched and reported exempt; past its expiry it gets its flow log', async () => {
    const vpcId = await createVpc(clients(), '10.0.0.0/16');
    const exemptions = [exemptionOf('flow-logs', `arn:aws:ec2:*:*:vpc/${vpcId}`, 5)];
    const exempted = controllerOn(emu, [flowLogs], { 'flow-logs': flowLogsPolicy() }, { exemptions });
    const [record] = await exempted.handleEvent(createVpcEvent(vpcId));
    expect(record).toMatchObject({ outcome: 'exempt', actions: [], exemption: { ticket: 'CHG-42' } });
    expect(record?.drift.map((d) => d.property)).toEqual(['flowLog']);
    expect(await flowLogsOf(clients(), vpcId)).toEqual([]);

    const later = controllerOn(emu, [flowLogs], { 'flow-logs': flowLogsPolicy() }, { exemptions, now: daysLater(6) });
    const [expired] = await later.handleEvent(createVpcEvent(vpcId));
    expect(expired?.outcome).toBe('remediated');
    expect(expired?.reason).toMatch(/policy exemption expired on /);
    expect(await compliantIds(vpcId)).toHaveLength(1);
  });

  it('bad input ends in clear ignored or failed records, never a crash', async () => {
    const gone = await createVpc(clients(), '10.9.0.0/16');
    await ec2Of(clients()).send(new DeleteVpcCommand({ VpcId: gone }));
    const records = await h.deliver(
      deleteFlowLogsEvent(['fl-0123456789abcdef0']),
      createVpcEvent('vpc-0aaaabbbbccccdddd', { errorCode: 'VpcLimitExceeded' }),
      createVpcEvent(gone),
      createVpcEvent('vpc-00000000', {
        identity: { kind: 'assumed-role', account: ACCOUNT, roleName: 'logwarden-controller', path: '/logwarden/' },
      }),
      {
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.ec2',
        account: ACCOUNT,
        region: REGION,
        detail: {
          eventName: 'DeleteFlowLogs',
          eventSource: 'ec2.amazonaws.com',
          requestParameters: { DeleteFlowLogsRequest: { FlowLogId: { content: 'not-an-id', tag: 1 } } },
        },
      },
    );
    // The default VPC has no flow log either: the region scan for an unknown id reconciles it.
    const byResource = records.map((r) => [r.resource.id, r.outcome, r.reason]);
    const defaultVpc = (await allVpcIds(clients())).find((id) => id !== gone);
    expect(byResource).toEqual([
      [defaultVpc, 'remediated', 'restored flowLog'],
      ['unknown', 'ignored', 'the CreateVpc call failed (VpcLimitExceeded); nothing changed'],
      [gone, 'ignored', `VPC ${gone} no longer exists (InvalidVpcID.NotFound); there is nothing to cover`],
      ['unknown', 'ignored', `made by logwarden's own role ${OWN_ROLE_ARN}`],
      ['unknown', 'ignored', 'DeleteFlowLogs event with a malformed FlowLogId ({"content":"not-an-id","tag":1})'],
    ]);
    for (const r of records) expect(r.runbook).toBe(RUNBOOK);

    // Once every VPC is covered, a DeleteFlowLogs for ids that were never ours is ignored with the reason.
    const [ignored] = await h.deliver(deleteFlowLogsEvent(['fl-0123456789abcdef1']));
    expect(ignored).toMatchObject({ outcome: 'ignored', resource: { id: 'fl-0123456789abcdef1' } });
    expect(ignored?.reason).toContain('no VPC in us-east-1 is left without a compliant flow log');
  });

  it('every API call made is among the declared IAM actions', async () => {
    const vpcId = await createVpc(clients());
    await h.deliver(createVpcEvent(vpcId));
    const [first] = await compliantIds(vpcId);
    await deleteFlowLogs(clients(), [first as string]);
    await h.deliver(
      deleteFlowLogsEvent([first as string]),
      sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'flow-logs' }),
    );
    const made = h.calls.filter((c) => c !== 'events:PutEvents');
    expect(made.length).toBeGreaterThan(10);
    for (const call of made) expect(flowLogs.iamActions).toContain(call);
  });
});

describe('flow-logs guardrail on the emulator: modes, destinations and the sweep', () => {
  it('a destination bucket that does not exist → failed record with EC2 reason (Unsuccessful[]), not retried', async () => {
    const h2 = await setup(flowLogsPolicy({ destination: { type: 's3', bucketArn: 'arn:aws:s3:::no-such-bucket-anywhere' } }), {
      bucket: false,
    });
    const vpcId = await createVpc(clients());
    const { records, error } = await h2.deliverSettled(createVpcEvent(vpcId));
    expect(error).toBeUndefined();
    expect(records[0]).toMatchObject({
      outcome: 'failed',
      retryable: false,
      runbook: RUNBOOK,
      actions: [{ api: 'ec2:CreateFlowLogs', ok: false }],
    });
    expect(records[0]?.reason).toContain('EC2 refused the flow log for');
    expect(records[0]?.reason).toContain('no-such-bucket-anywhere does not exist');
    expect(await flowLogsOf(clients(), vpcId)).toEqual([]);
  });

  it('notify mode changes nothing and reports drift-detected', async () => {
    const h = await setup(flowLogsPolicy({ mode: 'notify' }));
    const vpcId = await createVpc(clients());
    const [record] = await h.deliver(createVpcEvent(vpcId));
    expect(record).toMatchObject({ outcome: 'drift-detected', mode: 'notify', actions: [] });
    expect(record?.reason).toContain('would run: ec2:CreateFlowLogs');
    expect(h.writes()).toEqual([]);
    expect(await flowLogsOf(clients(), vpcId)).toEqual([]);
  });

  it('CloudWatch Logs destination: the flow log is created with the delivery role', async () => {
    await createFlowLogGroup(clients());
    const h = await setup(
      flowLogsPolicy({
        trafficType: 'REJECT',
        destination: { type: 'cloud-watch-logs', logGroupArn: FLOW_LOG_GROUP_ARN, deliveryRoleArn: FLOW_ROLE_ARN },
        maxAggregationInterval: 60,
      }),
    );
    const vpcId = await createVpc(clients());
    const [record] = await h.runtime.controller.handleEvent(createVpcEvent(vpcId));
    expect(record?.actions).toEqual([{ api: 'ec2:CreateFlowLogs', ok: true, error: null }]);
    const [fl] = await flowLogsOf(clients(), vpcId);
    expect(fl).toMatchObject({
      TrafficType: 'REJECT',
      LogDestinationType: 'cloud-watch-logs',
      DeliverLogsPermissionArn: FLOW_ROLE_ARN,
      MaxAggregationInterval: 60,
    });
    // Emulator gap: moto 5.2.5 looks a flow log's group up by LogGroupName only, so one given by ARN
    // (LogDestination, which logwarden sends: it also allows another account's group) is always
    // `DeliverLogsStatus: FAILED` there, log group or not. The delivery check then says so; on AWS
    // this flow log delivers and the record is `remediated`.
    expect(fl).toMatchObject({ DeliverLogsStatus: 'FAILED' });
    expect(record).toMatchObject({
      outcome: 'failed',
      reason: 'verification failed: still different after remediation: delivery',
    });
    // A second delivery writes nothing more: the flow log exists; its failed delivery is reported.
    const [again] = await h.runtime.controller.handleEvent(createVpcEvent(vpcId));
    expect(again).toMatchObject({ outcome: 'failed', retryable: false, actions: [] });
    expect(await flowLogsOf(clients(), vpcId)).toHaveLength(1);
  });

  // The emulator models DeliverLogsStatus FAILED ("Access error") for a flow log whose log group is missing.
  it('delivery: a matching flow log whose delivery FAILED is failed with EC2 error, never duplicated', async () => {
    const cwl = { type: 'cloud-watch-logs', logGroupArn: FLOW_LOG_GROUP_ARN, deliveryRoleArn: FLOW_ROLE_ARN };
    const h = await setup(flowLogsPolicy({ destination: cwl }));
    const vpcId = await createVpc(clients());
    await userFlowLog(clients(), vpcId, {
      LogDestinationType: 'cloud-watch-logs',
      LogDestination: undefined,
      LogGroupName: '/vpc/flow-logs',
      DeliverLogsPermissionArn: FLOW_ROLE_ARN,
    });
    const [failing] = await flowLogsOf(clients(), vpcId);
    expect(failing).toMatchObject({ DeliverLogsStatus: 'FAILED', DeliverLogsErrorMessage: 'Access error' });
    const [record] = await h.deliver(createVpcEvent(vpcId));
    expect(record).toMatchObject({ outcome: 'failed', retryable: false, actions: [] });
    expect(record?.drift).toEqual([
      {
        property: 'delivery',
        observed: [
          {
            id: failing?.FlowLogId,
            managedByLogwarden: false,
            deliverLogsStatus: 'FAILED',
            deliverLogsErrorMessage: 'Access error',
            deliverLogsPermissionArn: FLOW_ROLE_ARN,
          },
        ],
        desired: { deliverLogsStatus: 'SUCCESS' },
      },
    ]);
    expect(record?.reason).toContain(`the delivery role ${FLOW_ROLE_ARN}`);
    expect(h.writes()).toEqual([]);
    expect(await flowLogsOf(clients(), vpcId)).toHaveLength(1);
  });

  it('the sweep fixes every non-compliant VPC with two listings, one CreateFlowLogs and one verification read', async () => {
    await createFlowBucket(clients());
    await createFlowBucket(clients(), REJECTS_BUCKET);
    const bare = [
      await createVpc(clients(), '10.1.0.0/16'),
      await createVpc(clients(), '10.2.0.0/16'),
      await createVpc(clients(), '10.3.0.0/16'),
    ];
    const covered = await createVpc(clients(), '10.4.0.0/16');
    await userFlowLog(clients(), covered);
    const rejectOnly = await createVpc(clients(), '10.5.0.0/16');
    await userFlowLog(clients(), rejectOnly, { TrafficType: 'REJECT', LogDestination: REJECTS_BUCKET_ARN });
    const exempt = await createVpc(clients(), '10.6.0.0/16');
    const h = await setup(flowLogsPolicy(), { bucket: false, exemptions: [exemptionOf('flow-logs', exempt)] });
    const all = await allVpcIds(clients());
    const defaults = all.filter((id) => ![...bare, covered, rejectOnly, exempt].includes(id));
    expect(defaults).toHaveLength(1);

    const records = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'flow-logs' }));

    const outcome = Object.fromEntries(records.map((r) => [r.resource.id, r.outcome]));
    expect(outcome).toEqual({
      ...Object.fromEntries([...bare, rejectOnly, ...defaults].map((id) => [id, 'remediated'])),
      [covered]: 'compliant',
      [exempt]: 'exempt',
    });
    for (const id of [...bare, rejectOnly, ...defaults, covered]) expect(await compliantIds(id)).toHaveLength(1);
    expect(await flowLogsOf(clients(), exempt)).toEqual([]);
    const fixed = bare.length + 1 + defaults.length;
    const made = h.calls.filter((c) => c !== 'events:PutEvents');
    // One DescribeVpcs and one DescribeFlowLogs for the region, one CreateFlowLogs carrying every VPC to fix,
    // one DescribeFlowLogs filtered on them to verify: 4 calls whatever the number of VPCs (up to 200).
    expect(made.sort()).toEqual(['ec2:CreateFlowLogs', 'ec2:DescribeFlowLogs', 'ec2:DescribeFlowLogs', 'ec2:DescribeVpcs']);
    expect(fixed).toBe(5);
    for (const r of records.filter((x) => x.outcome === 'remediated')) {
      expect(r).toMatchObject({ verified: true, actions: [{ api: 'ec2:CreateFlowLogs', ok: true, error: null }] });
    }

    // A second sweep: everything compliant, two calls in all.
    h.calls.length = 0;
    const again = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'flow-logs' }));
    expect(again.filter((r) => r.outcome === 'compliant')).toHaveLength(all.length - 1);
    expect(h.calls.filter((c) => c !== 'events:PutEvents').sort()).toEqual(['ec2:DescribeFlowLogs', 'ec2:DescribeVpcs']);
  });
});
