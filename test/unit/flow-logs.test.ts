// biome-ignore-all lint/suspicious/noTemplateCurlyInString: flow-log formats are written ${field}.

import {
  CreateFlowLogsCommand,
  DescribeFlowLogsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type FlowLog,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { MemoryLeaseStore } from '../../controllers/core/lease.js';
import { createLogger } from '../../controllers/core/log.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { MANAGED_TAG } from '../../controllers/core/tags.js';
import type { CloudTrailDetail } from '../../controllers/core/types.js';
import {
  clientToken,
  desiredFlowLog,
  diffVpc,
  type FlowLogInfo,
  flowLogDeliveryProblem,
  planVpc,
  type VpcState,
} from '../../controllers/flow-logs/diff.js';
import { flowLogIdsOf, resolveVpcId, targetOfEvent } from '../../controllers/flow-logs/events.js';
import { flowLogs } from '../../controllers/flow-logs/index.js';
import {
  type FlowLogsPolicy,
  flowLogsPolicySchema,
  partitionOf,
  resolveDestination,
  whereOf,
} from '../../controllers/flow-logs/policy.js';
import { controllerGrants } from '../../infra/permissions.js';
import { ACCOUNT } from '../helpers/emulator.js';
import { createVpcEvent, deleteFlowLogsEvent } from '../helpers/flow-logs.js';
import { policyWith } from '../helpers/policy.js';
import { evaluate, type PolicyDocument } from '../helpers/policy-eval.js';

const REGION = 'us-east-1';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const BUCKET_ARN = 'arn:aws:s3:::central-flow-logs';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/vpc-flow-logs-delivery`;
const GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/vpc/flow-logs`;
const s3Section = { mode: 'remediate', destination: { type: 's3', bucketArn: BUCKET_ARN, prefix: 'vpc' } };
const policy: FlowLogsPolicy = flowLogsPolicySchema.parse(s3Section);
const scope = { account: ACCOUNT, region: REGION };
const desired = desiredFlowLog(policy, scope);

const fl = (extra: Partial<FlowLogInfo> = {}): FlowLogInfo => ({
  id: 'fl-0123456789abcdef0',
  status: 'ACTIVE',
  trafficType: 'ALL',
  destinationType: 's3',
  destination: `${BUCKET_ARN}/vpc`,
  logGroupName: null,
  deliverLogsPermissionArn: null,
  logFormat: '${version} ${account-id}',
  maxAggregationInterval: 600,
  managed: false,
  deliverLogsStatus: 'SUCCESS',
  deliverLogsErrorMessage: null,
  ...extra,
});
const vpc = (flowLogList: FlowLogInfo[], tags: Record<string, string> = {}): VpcState => ({
  exists: true,
  vpcId: VPC,
  ownerId: ACCOUNT,
  isDefault: false,
  tags,
  flowLogs: flowLogList,
});

describe('flow-logs policy section', () => {
  it('applies defaults and accepts both destinations', () => {
    expect(policy).toEqual({ ...s3Section, trafficType: 'ALL' });
    const cwl = flowLogsPolicySchema.parse({
      destination: { type: 'cloud-watch-logs', logGroupArn: GROUP_ARN, deliveryRoleArn: ROLE },
      maxAggregationInterval: 60,
    });
    expect(cwl).toMatchObject({ mode: 'remediate', trafficType: 'ALL', maxAggregationInterval: 60 });
  });

  it('rejects what AWS would refuse or what is surely a typo', () => {
    const bad = (section: unknown) => flowLogsPolicySchema.safeParse(section).success;
    expect(bad({ destination: { type: 's3', bucketArn: BUCKET_ARN, prefix: 'AWSLogs' } })).toBe(false);
    expect(bad({ destination: { type: 's3', bucketArn: 'central-flow-logs' } })).toBe(false);
    expect(bad({ destination: { type: 'cloud-watch-logs', logGroupArn: GROUP_ARN } })).toBe(false);
    expect(bad({ destination: { type: 's3', bucketArn: BUCKET_ARN }, maxAggregationInterval: 300 })).toBe(false);
    expect(bad({ destination: { type: 's3', bucketArn: BUCKET_ARN }, trafficType: 'all' })).toBe(false);
    expect(bad({ destination: { type: 's3', bucketArn: BUCKET_ARN }, logFormat: 'srcaddr dstaddr' })).toBe(false);
    expect(bad({ destination: { type: 's3', bucketArn: BUCKET_ARN }, trafic: 'ALL' })).toBe(false);
    expect(bad({ destination: { type: 's3', bucketArn: BUCKET_ARN }, logFormat: '${version} ${vpc-id} ${srcaddr}' })).toBe(true);
  });

  it('declares iam:PassRole only for the delivery role, and only for CloudWatch Logs', () => {
    const cwl = flowLogsPolicySchema.parse({
      destination: { type: 'cloud-watch-logs', logGroupArn: GROUP_ARN, deliveryRoleArn: ROLE },
    });
    const passRole = (flowLogs.scopedPermissions?.(cwl) ?? []).filter((p) => p.actions.includes('iam:PassRole'));
    expect(passRole).toEqual([{ actions: ['iam:PassRole'], resources: [ROLE], passedToService: 'vpc-flow-logs.amazonaws.com' }]);
    const s3 = flowLogs.scopedPermissions?.(policy) ?? [];
    expect(s3.flatMap((p) => p.actions)).not.toContain('iam:PassRole');
  });
});

const GROUP_TEMPLATE = 'arn:{partition}:logs:{region}:{account}:log-group:/logwarden/vpc-flow-logs';
const ROLE_TEMPLATE = 'arn:{partition}:iam::{account}:role/logwarden-flow-logs-{region}';
const cwlTemplates = flowLogsPolicySchema.parse({
  destination: { type: 'cloud-watch-logs', logGroupArn: GROUP_TEMPLATE, deliveryRoleArn: ROLE_TEMPLATE },
});

describe('flow-logs destination placeholders (#17 item 3)', () => {
  const issues = (section: unknown) => {
    const r = flowLogsPolicySchema.safeParse(section);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts {account}, {region}, {partition} in the group and role, {account}/{region} in the prefix', () => {
    expect(cwlTemplates.destination).toEqual({
      type: 'cloud-watch-logs',
      logGroupArn: GROUP_TEMPLATE,
      deliveryRoleArn: ROLE_TEMPLATE,
    });
    expect(
      issues({
        destination: { type: 's3', bucketArn: 'arn:{partition}:s3:::central-flow-logs', prefix: 'vpc/{account}/{region}' },
      }),
    ).toEqual([]);
  });

  it('refuses unknown placeholders and placeholders where the value is central, naming the field', () => {
    expect(
      issues({
        destination: { type: 'cloud-watch-logs', logGroupArn: GROUP_TEMPLATE, deliveryRoleArn: 'arn:aws:iam::{acount}:role/x' },
      }),
    ).toEqual([
      'destination.deliveryRoleArn: unknown placeholder(s) {acount}; only {account}, {region}, {partition} may be used here',
    ]);
    // The central bucket is one for the organization: a per-account bucket would be the member admin's.
    expect(issues({ destination: { type: 's3', bucketArn: 'arn:aws:s3:::flow-logs-{account}' } })).toEqual([
      'destination.bucketArn: unknown placeholder(s) {account}; only {partition} may be used here',
    ]);
    expect(issues({ destination: { type: 's3', bucketArn: BUCKET_ARN, prefix: 'vpc/{partition}' } })).toEqual([
      'destination.prefix: unknown placeholder(s) {partition}; only {account}, {region} may be used here',
    ]);
    // A template is checked as the ARN it becomes: the account placeholder cannot stand in the region.
    expect(
      issues({
        destination: {
          type: 'cloud-watch-logs',
          logGroupArn: 'arn:aws:logs:{account}:{account}:log-group:x',
          deliveryRoleArn: ROLE,
        },
      }),
    ).toEqual([
      'destination.logGroupArn: must be a log group ARN without the trailing :* (placeholders: {account}, {region}, {partition})',
    ]);
    expect(
      issues({ destination: { type: 'cloud-watch-logs', logGroupArn: `${GROUP_ARN}:*`, deliveryRoleArn: ROLE } }),
    ).toHaveLength(1);
  });

  it('resolves per deployment with one pure function (partition from the region)', () => {
    expect(resolveDestination(cwlTemplates.destination, whereOf({ account: '210987654321', region: 'cn-north-1' }))).toEqual({
      type: 'cloud-watch-logs',
      logGroupArn: 'arn:aws-cn:logs:cn-north-1:210987654321:log-group:/logwarden/vpc-flow-logs',
      deliveryRoleArn: 'arn:aws-cn:iam::210987654321:role/logwarden-flow-logs-cn-north-1',
    });
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
    const s3 = flowLogsPolicySchema.parse({
      destination: { type: 's3', bucketArn: 'arn:{partition}:s3:::b-1', prefix: 'x/{account}' },
    });
    expect(desiredFlowLog(s3, scope).destination).toBe(`arn:aws:s3:::b-1/x/${ACCOUNT}`);
    // Literal ARNs are left as they are.
    expect(resolveDestination(policy.destination, whereOf(scope))).toEqual(policy.destination);
  });

  it('diff compares the resolved values: the group and role of this account match, another account’s do not', () => {
    const d = desiredFlowLog(cwlTemplates, { account: ACCOUNT, region: REGION });
    expect(d).toMatchObject({
      destination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/logwarden/vpc-flow-logs`,
      logGroupName: '/logwarden/vpc-flow-logs',
      deliveryRoleArn: `arn:aws:iam::${ACCOUNT}:role/logwarden-flow-logs-${REGION}`,
    });
    const own = fl({
      destinationType: 'cloud-watch-logs',
      destination: d.destination,
      deliverLogsPermissionArn: d.deliveryRoleArn,
    });
    expect(diffVpc(vpc([own]), d)).toEqual([]);
    const foreignRole = { ...own, deliverLogsPermissionArn: `arn:aws:iam::210987654321:role/logwarden-flow-logs-${REGION}` };
    expect(diffVpc(vpc([foreignRole]), d)[0]).toMatchObject({
      property: 'flowLog',
      observed: [{ deliverLogsPermissionArn: foreignRole.deliverLogsPermissionArn }],
      desired: { deliverLogsPermissionArn: d.deliveryRoleArn },
    });
    // The guardrail resolves with the ref's own account and region.
    const ref = { type: 'AWS::EC2::VPC' as const, id: VPC, arn: null, region: 'eu-west-1', account: '210987654321' };
    expect(flowLogs.desired(ref, cwlTemplates).deliveryRoleArn).toBe(
      'arn:aws:iam::210987654321:role/logwarden-flow-logs-eu-west-1',
    );
  });

  it('iam:PassRole: the role in the deploying account only, for VPC Flow Logs only (evaluated)', () => {
    const perms = (flowLogs.scopedPermissions?.(cwlTemplates) ?? []).filter((p) => p.actions.includes('iam:PassRole'));
    expect(perms).toEqual([
      {
        actions: ['iam:PassRole'],
        resources: ['arn:*:iam::*:role/logwarden-flow-logs-*'],
        passedToService: 'vpc-flow-logs.amazonaws.com',
      },
    ]);
    const grants = controllerGrants(flowLogs, cwlTemplates, { account: ACCOUNT, partition: 'aws' }).filter((g) =>
      g.actions.includes('iam:PassRole'),
    );
    const doc: PolicyDocument = {
      Version: '2012-10-17',
      Statement: grants.map((g) => ({ Effect: 'Allow', Action: g.actions, Resource: g.resources, Condition: g.conditions })),
    };
    const pass = (role: string, to = 'vpc-flow-logs.amazonaws.com') =>
      evaluate([doc], { action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': to } });
    const own = desiredFlowLog(cwlTemplates, scope).deliveryRoleArn as string;
    expect(pass(own)).toBe('allowed');
    expect(pass(`arn:aws:iam::${ACCOUNT}:role/logwarden-flow-logs-eu-west-1`)).toBe('allowed');
    expect(pass('arn:aws:iam::210987654321:role/logwarden-flow-logs-us-east-1')).toBe('implicit-deny');
    expect(pass(`arn:aws:iam::${ACCOUNT}:role/admin`)).toBe('implicit-deny');
    expect(pass(own, 'lambda.amazonaws.com')).toBe('implicit-deny');
  });
});

describe('flow-logs events (pure)', () => {
  const detail = (eventName: string, requestParameters: unknown, responseElements: unknown = null): CloudTrailDetail => ({
    eventName,
    eventSource: 'ec2.amazonaws.com',
    eventID: null,
    awsRegion: REGION,
    recipientAccountId: ACCOUNT,
    errorCode: null,
    userIdentity: null,
    requestParameters: requestParameters as Record<string, unknown>,
    responseElements: responseElements as Record<string, unknown>,
  });

  it('DeleteFlowLogs: one {content, tag} object or a list of them', () => {
    expect(flowLogIdsOf({ DeleteFlowLogsRequest: { FlowLogId: { content: 'fl-0123456789abcdef0', tag: 1 } } })).toEqual([
      'fl-0123456789abcdef0',
    ]);
    expect(
      flowLogIdsOf({
        DeleteFlowLogsRequest: {
          FlowLogId: [
            { content: 'fl-0123456789abcdef0', tag: 1 },
            { content: 'fl-0123456789abcdef1', tag: 2 },
            { content: 'fl-0123456789abcdef0', tag: 3 },
          ],
        },
      }),
    ).toEqual(['fl-0123456789abcdef0', 'fl-0123456789abcdef1']);
    expect(flowLogIdsOf(null)).toBe('DeleteFlowLogs event without requestParameters.DeleteFlowLogsRequest');
    expect(flowLogIdsOf({ DeleteFlowLogsRequest: {} })).toBe('DeleteFlowLogs event without a FlowLogId');
    expect(flowLogIdsOf({ DeleteFlowLogsRequest: { FlowLogId: [{ content: 42 }] } })).toContain('malformed FlowLogId');
  });

  it('CreateVpc / CreateDefaultVpc: the VPC id is in responseElements.vpc.vpcId', () => {
    expect(
      targetOfEvent(detail('CreateVpc', { cidrBlock: '10.0.0.0/16' }, { requestId: 'r', vpc: { vpcId: VPC } }), scope),
    ).toEqual({
      refs: [
        { type: 'AWS::EC2::VPC', id: VPC, arn: `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${VPC}`, region: REGION, account: ACCOUNT },
      ],
    });
    expect(targetOfEvent(detail('CreateDefaultVpc', {}, null), scope)).toEqual({
      ignore: 'CreateDefaultVpc event without responseElements.vpc.vpcId',
    });
    expect(resolveVpcId('subnet-0123', scope)).toMatchObject({ ignore: '"subnet-0123" is not a VPC id (vpc-...)' });
  });
});

describe('diffVpc and planVpc (pure)', () => {
  it('one compliant flow log is enough; mismatching ones next to it are not governed', () => {
    expect(diffVpc(vpc([fl()]), desired)).toEqual([]);
    expect(diffVpc(vpc([fl({ id: 'fl-0000000000000000a', trafficType: 'REJECT' }), fl()]), desired)).toEqual([]);
    expect(planVpc(vpc([fl()]), desired, [])).toEqual([]);
  });

  it('a trailing slash in the destination is the same place', () => {
    expect(diffVpc(vpc([fl({ destination: `${BUCKET_ARN}/vpc/` })]), desired)).toEqual([]);
  });

  it('REJECT-only and wrongly delivered flow logs are drift, listed with what differs', () => {
    const drift = diffVpc(
      vpc([
        fl({ id: 'fl-0000000000000000a', trafficType: 'REJECT' }),
        fl({ id: 'fl-0000000000000000b', destination: 'arn:aws:s3:::attacker' }),
      ]),
      desired,
    );
    expect(drift).toEqual([
      {
        property: 'flowLog',
        observed: [
          { id: 'fl-0000000000000000a', managedByLogwarden: false, trafficType: 'REJECT' },
          { id: 'fl-0000000000000000b', managedByLogwarden: false, destination: 'arn:aws:s3:::attacker' },
        ],
        desired: { status: 'ACTIVE', trafficType: 'ALL', destination: `${BUCKET_ARN}/vpc` },
      },
    ]);
  });

  it('log format and aggregation interval count only when the policy sets them', () => {
    const strict = desiredFlowLog(
      flowLogsPolicySchema.parse({ ...s3Section, logFormat: '${version} ${vpc-id}', maxAggregationInterval: 60 }),
      scope,
    );
    expect(diffVpc(vpc([fl()]), strict)[0]?.observed).toEqual([
      {
        id: 'fl-0123456789abcdef0',
        managedByLogwarden: false,
        logFormat: '${version} ${account-id}',
        maxAggregationInterval: 600,
      },
    ]);
  });

  it('CloudWatch Logs: the group is compared by name, whether AWS reports the name or the ARN', () => {
    const d = desiredFlowLog(
      flowLogsPolicySchema.parse({ destination: { type: 'cloud-watch-logs', logGroupArn: GROUP_ARN, deliveryRoleArn: ROLE } }),
      scope,
    );
    const base = { destinationType: 'cloud-watch-logs', deliverLogsPermissionArn: ROLE, destination: null };
    expect(diffVpc(vpc([fl({ ...base, logGroupName: '/vpc/flow-logs' })]), d)).toEqual([]);
    expect(diffVpc(vpc([fl({ ...base, destination: `${GROUP_ARN}:*` })]), d)).toEqual([]);
    expect(
      diffVpc(vpc([fl({ ...base, logGroupName: '/vpc/flow-logs', deliverLogsPermissionArn: 'arn:aws:iam::1:role/x' })]), d),
    ).toHaveLength(1);
  });

  it('delivery: a matching flow log whose DeliverLogsStatus is FAILED is drift with EC2 error; no write planned', () => {
    const failed = fl({ deliverLogsStatus: 'FAILED', deliverLogsErrorMessage: 'Access error' });
    const drift = diffVpc(vpc([failed]), desired);
    expect(drift).toEqual([
      {
        property: 'delivery',
        observed: [
          {
            id: failed.id,
            managedByLogwarden: false,
            deliverLogsStatus: 'FAILED',
            deliverLogsErrorMessage: 'Access error',
            deliverLogsPermissionArn: null,
          },
        ],
        desired: { deliverLogsStatus: 'SUCCESS' },
      },
    ]);
    expect(planVpc(vpc([failed]), desired, drift)).toEqual([]);
    // S3: the bucket is the log archive's, so the reason names the destination, not a role.
    expect(flowLogDeliveryProblem(drift, desired)).toContain(`the destination ${BUCKET_ARN}/vpc refuses delivery`);
    expect(flowLogDeliveryProblem(drift, desired)).toContain('(Access error)');
  });

  it('delivery: one delivering matching flow log is enough; a FAILED mismatching one is the old flowLog drift', () => {
    const failed = fl({ deliverLogsStatus: 'FAILED', deliverLogsErrorMessage: 'Unknown error' });
    expect(diffVpc(vpc([failed, fl({ id: 'fl-2' })]), desired)).toEqual([]);
    // EC2 may leave the status out: only FAILED counts.
    expect(diffVpc(vpc([fl({ deliverLogsStatus: null })]), desired)).toEqual([]);
    const rejectOnly = fl({ trafficType: 'REJECT', deliverLogsStatus: 'FAILED' });
    const drift = diffVpc(vpc([rejectOnly]), desired);
    expect(drift.map((d) => d.property)).toEqual(['flowLog']);
    expect(flowLogDeliveryProblem(drift, desired)).toBeNull();
    expect(planVpc(vpc([rejectOnly]), desired, drift).map((s) => s.api)).toEqual(['ec2:CreateFlowLogs']);
  });

  it('delivery: an access error on the policy delivery role names the role and the member stack', () => {
    const cwl = desiredFlowLog(
      flowLogsPolicySchema.parse({ destination: { type: 'cloud-watch-logs', logGroupArn: GROUP_ARN, deliveryRoleArn: ROLE } }),
      scope,
    );
    const failed = fl({
      destinationType: 'cloud-watch-logs',
      destination: GROUP_ARN,
      deliverLogsPermissionArn: ROLE,
      deliverLogsStatus: 'FAILED',
      deliverLogsErrorMessage: 'Access error',
    });
    const drift = diffVpc(vpc([failed]), cwl);
    expect(flowLogDeliveryProblem(drift, cwl)).toContain(`the delivery role ${ROLE}`);
    const throttled = diffVpc(vpc([{ ...failed, deliverLogsErrorMessage: 'Rate limited' }]), cwl);
    expect(flowLogDeliveryProblem(throttled, cwl)).toContain('refuses delivery');
  });

  it('the ClientToken is deterministic per event and VPC set, ≤ 64 characters, and new for a later event', () => {
    const first = clientToken([VPC, 'vpc-2'], desired, 'event-1');
    expect(first).toBe(clientToken(['vpc-2', VPC], desired, 'event-1'));
    expect(first.length).toBeLessThanOrEqual(64);
    expect(clientToken([VPC, 'vpc-2'], desired, 'event-2')).not.toBe(first);
    expect(clientToken([VPC], desired, 'event-1')).not.toBe(first);
    expect(planVpc(vpc([]), desired, diffVpc(vpc([]), desired))).toEqual([
      { api: 'ec2:CreateFlowLogs', description: `create a ALL flow log for ${VPC} delivering to ${BUCKET_ARN}/vpc` },
    ]);
  });
});

describe('flow-logs paths the emulator does not model (aws-sdk-client-mock)', () => {
  const ec2 = mockClient(EC2Client);
  const controller = (section: unknown = s3Section) =>
    new Controller({
      guardrails: [flowLogs],
      policy: parsePolicy(policyWith({ 'flow-logs': section }), [flowLogs]),
      account: ACCOUNT,
      clients: new AwsClients({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }),
      logger: createLogger('test'),
    });
  const awsVpc = { VpcId: VPC, OwnerId: ACCOUNT, IsDefault: false, Tags: [] };
  const awsFl = (extra: Partial<FlowLog> = {}): FlowLog => ({
    FlowLogId: 'fl-0aaaaaaaaaaaaaaa1',
    FlowLogStatus: 'ACTIVE',
    ResourceId: VPC,
    TrafficType: 'ALL',
    LogDestinationType: 's3',
    LogDestination: `${BUCKET_ARN}/vpc`,
    MaxAggregationInterval: 600,
    Tags: [{ Key: MANAGED_TAG, Value: 'true' }],
    ...extra,
  });
  const awsError = (name: string, status: number) =>
    Object.assign(new Error(`${name} from EC2`), { name, $metadata: { httpStatusCode: status } });

  beforeEach(() => {
    ec2.reset();
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [awsVpc] });
  });

  // The emulator never reports FAILED delivery for an S3 destination: only these mocks do.
  it('an S3 flow log with DeliverLogsStatus FAILED → failed with DeliverLogsErrorMessage, no write', async () => {
    ec2.on(DescribeFlowLogsCommand).resolves({
      FlowLogs: [awsFl({ DeliverLogsStatus: 'FAILED', DeliverLogsErrorMessage: 'Access error' })],
    });
    const [r] = await controller().handleEvent(createVpcEvent(VPC));
    expect(r).toMatchObject({ outcome: 'failed', retryable: false, actions: [] });
    expect(r?.reason).toContain('DeliverLogsStatus FAILED (Access error)');
    expect(r?.drift.map((d) => d.property)).toEqual(['delivery']);
    expect(ec2.commandCalls(CreateFlowLogsCommand)).toHaveLength(0);
  });

  it('sends the prefixed S3 destination, the ClientToken of the event and the managed tag; no bookkeeping write', async () => {
    ec2
      .on(DescribeFlowLogsCommand)
      .resolvesOnce({ FlowLogs: [] })
      .resolves({ FlowLogs: [awsFl()] });
    ec2.on(CreateFlowLogsCommand).resolves({ FlowLogIds: ['fl-0aaaaaaaaaaaaaaa1'], Unsuccessful: [] });
    const event = createVpcEvent(VPC);
    const [r] = await controller().handleEvent(event);
    expect(r).toMatchObject({ outcome: 'remediated', verified: true, actions: [{ api: 'ec2:CreateFlowLogs', ok: true }] });
    const input = ec2.commandCalls(CreateFlowLogsCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      ResourceType: 'VPC',
      ResourceIds: [VPC],
      TrafficType: 'ALL',
      LogDestinationType: 's3',
      LogDestination: `${BUCKET_ARN}/vpc`,
      // The run id of a CloudTrail event is its CloudTrail eventID, which a redelivery keeps.
      ClientToken: clientToken([VPC], desired, (event as { detail: { eventID: string } }).detail.eventID),
      TagSpecifications: [{ ResourceType: 'vpc-flow-log', Tags: expect.arrayContaining([{ Key: MANAGED_TAG, Value: 'true' }]) }],
    });
    expect(input?.DeliverLogsPermissionArn).toBeUndefined();
    expect(ec2.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'DescribeVpcsCommand',
      'DescribeFlowLogsCommand',
      'CreateFlowLogsCommand',
      'DescribeFlowLogsCommand',
    ]);
  });

  it('HTTP 200 with an Unsuccessful[] entry is a failure with EC2’s reason, not a success', async () => {
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [] });
    ec2.on(CreateFlowLogsCommand).resolves({
      FlowLogIds: [],
      Unsuccessful: [
        {
          ResourceId: VPC,
          Error: {
            Code: 'InvalidParameter',
            Message: 'Access Denied for LogDestination: central-flow-logs. Please check LogDestination permission',
          },
        },
      ],
    });
    const [r] = await controller().handleEvent(createVpcEvent(VPC));
    expect(r).toMatchObject({
      outcome: 'failed',
      retryable: false,
      actions: [{ api: 'ec2:CreateFlowLogs', ok: false }],
      reason: `ec2:CreateFlowLogs failed: FlowLogCreationRefused: EC2 refused the flow log for ${VPC} (InvalidParameter: Access Denied for LogDestination: central-flow-logs. Please check LogDestination permission)`,
    });
  });

  it('a throttled Unsuccessful[] entry is retryable', async () => {
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [] });
    ec2
      .on(CreateFlowLogsCommand)
      .resolves({ Unsuccessful: [{ ResourceId: VPC, Error: { Code: 'RequestLimitExceeded', Message: 'slow down' } }] });
    const [r] = await controller().handleEvent(createVpcEvent(VPC));
    expect(r).toMatchObject({ outcome: 'failed', retryable: true });
  });

  it('FlowLogAlreadyExists in Unsuccessful[] with an identical flow log (a racing invocation) is success', async () => {
    ec2
      .on(DescribeFlowLogsCommand)
      .resolvesOnce({ FlowLogs: [] })
      .resolves({ FlowLogs: [awsFl({ FlowLogId: 'fl-0bbbbbbbbbbbbbbb2' })] });
    ec2.on(CreateFlowLogsCommand).resolves({
      FlowLogIds: [],
      Unsuccessful: [
        {
          ResourceId: VPC,
          Error: {
            Code: 'FlowLogAlreadyExists',
            Message: 'Error. There is an existing Flow Log with the same configuration and log destination.',
          },
        },
      ],
    });
    const [r] = await controller().handleEvent(createVpcEvent(VPC));
    expect(r).toMatchObject({ outcome: 'remediated', verified: true });
  });

  it('FlowLogAlreadyExists (thrown) while the existing flow log is REJECT-only → failed, terminal, says why', async () => {
    const rejectOnly = awsFl({ FlowLogId: 'fl-0ccccccccccccccc3', TrafficType: 'REJECT', Tags: [] });
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [rejectOnly] });
    ec2.on(CreateFlowLogsCommand).rejects(awsError('FlowLogAlreadyExists', 400));
    const [r] = await controller().handleEvent(createVpcEvent(VPC));
    expect(r).toMatchObject({ outcome: 'failed', retryable: false });
    expect(r?.reason).toBe(
      `ec2:CreateFlowLogs failed: FlowLogAlreadyExists: EC2 refuses a second flow log to ${BUCKET_ARN}/vpc on ${VPC}, and the existing one does not match the policy (fl-0ccccccccccccccc3: trafficType=REJECT)`,
    );
  });

  it('throttling on CreateFlowLogs → failed and retryable (EventBridge retries the invocation)', async () => {
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [] });
    ec2.on(CreateFlowLogsCommand).rejects(awsError('RequestLimitExceeded', 503));
    const [r] = await controller().handleEvent(createVpcEvent(VPC));
    expect(r).toMatchObject({
      outcome: 'failed',
      retryable: true,
      reason: 'ec2:CreateFlowLogs failed: RequestLimitExceeded: RequestLimitExceeded from EC2',
    });
  });

  it('throttling while listing the region in a sweep → one failed, retryable sweep record', async () => {
    ec2.on(DescribeFlowLogsCommand).rejects(awsError('Throttling', 400));
    const records = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'flow-logs' }));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'failed', retryable: true, resource: { id: '*' } });
  });

  it('a VPC deleted after it was observed → InvalidVpcID.NotFound from CreateFlowLogs is a terminal failure', async () => {
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [] });
    ec2.on(CreateFlowLogsCommand).rejects(awsError('InvalidVpcID.NotFound', 400));
    const [r] = await controller().handleEvent(
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: 'AWS::EC2::VPC',
        resourceId: VPC,
        configRuleName: 'x',
      }),
    );
    expect(r).toMatchObject({ outcome: 'failed', retryable: false });
    expect(r?.reason).toContain('InvalidVpcID.NotFound');
  });

  it('a VPC shared from another account is left to its owner', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ ...awsVpc, OwnerId: '210987654321' }] });
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [] });
    const [r] = await controller().handleEvent(createVpcEvent(VPC));
    expect(r).toMatchObject({
      outcome: 'ignored',
      reason: `VPC ${VPC} is owned by account 210987654321 (shared with this account); it is governed there`,
    });
    expect(ec2.commandCalls(CreateFlowLogsCommand)).toHaveLength(0);
  });

  it('AWS ClientToken semantics (not modelled by moto): an event delivered ×10 at once → one flow log; a later event makes a new one', async () => {
    // A small EC2 fake: a repeated ClientToken returns the flow log first made with it, as EC2 does, even once deleted.
    const live = new Map<string, FlowLog>();
    const byToken = new Map<string, string>();
    let seq = 0;
    ec2.on(DescribeFlowLogsCommand).callsFake(async () => ({ FlowLogs: [...live.values()] }));
    ec2.on(CreateFlowLogsCommand).callsFake(async (input: { ClientToken: string }) => {
      await new Promise((r) => setTimeout(r, 5));
      const known = byToken.get(input.ClientToken);
      if (known) return { FlowLogIds: [known], Unsuccessful: [] };
      const id = `fl-${(++seq).toString(16).padStart(17, '0')}`;
      byToken.set(input.ClientToken, id);
      live.set(id, awsFl({ FlowLogId: id }));
      return { FlowLogIds: [id], Unsuccessful: [] };
    });

    // EventBridge redelivers an event with its id: ten deliveries of one event share one token.
    const created = createVpcEvent(VPC);
    const first = await Promise.all(Array.from({ length: 10 }, () => controller().handleEvent(created)));
    expect(first.flat().map((r) => r.outcome)).toEqual(Array(10).fill('remediated'));
    expect([...live.keys()]).toEqual(['fl-00000000000000001']);

    live.clear(); // DeleteFlowLogs by an attacker: a new event, a new token, never the deleted flow log's id
    const deleted = deleteFlowLogsEvent(['fl-00000000000000001']);
    const again = await Promise.all(Array.from({ length: 10 }, () => controller().handleEvent(deleted)));
    expect(again.flat().map((r) => r.outcome)).toEqual(Array(10).fill('remediated'));
    expect([...live.keys()]).toEqual(['fl-00000000000000002']);
  });

  it('sweep of 2,500 VPCs: 3 DescribeVpcs pages + 3 DescribeFlowLogs pages, no call per VPC', async () => {
    const ids = Array.from({ length: 2500 }, (_, i) => `vpc-${i.toString(16).padStart(17, '0')}`);
    const page = <T>(items: T[], n: number) => items.slice(n * 1000, (n + 1) * 1000);
    const vpcs = ids.map((VpcId) => ({ VpcId, OwnerId: ACCOUNT, Tags: [] }));
    // Every VPC covered, plus 100 subnet flow logs that the listing skips.
    const fls = [
      ...ids.map((id, i) => awsFl({ FlowLogId: `fl-${i.toString(16).padStart(17, '0')}`, ResourceId: id })),
      ...Array.from({ length: 100 }, (_, i) =>
        awsFl({ FlowLogId: `fl-f${i.toString(16).padStart(16, '0')}`, ResourceId: `subnet-${i}` }),
      ),
    ];
    ec2.on(DescribeVpcsCommand).callsFake((input: { NextToken?: string; MaxResults?: number }) => {
      expect(input.MaxResults).toBe(1000);
      const n = Number(input.NextToken ?? 0);
      return { Vpcs: page(vpcs, n), NextToken: (n + 1) * 1000 < vpcs.length ? String(n + 1) : undefined };
    });
    ec2.on(DescribeFlowLogsCommand).callsFake((input: { NextToken?: string; MaxResults?: number }) => {
      expect(input.MaxResults).toBe(1000);
      const n = Number(input.NextToken ?? 0);
      return { FlowLogs: page(fls, n), NextToken: (n + 1) * 1000 < fls.length ? String(n + 1) : undefined };
    });
    const records = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'flow-logs' }));
    expect(records).toHaveLength(2500);
    expect(records.every((r) => r.outcome === 'compliant')).toBe(true);
    expect(ec2.commandCalls(DescribeVpcsCommand)).toHaveLength(3);
    expect(ec2.commandCalls(DescribeFlowLogsCommand)).toHaveLength(3);
    expect(ec2.calls()).toHaveLength(6);
  });

  it('DeleteFlowLogs: one region listing (DescribeVpcs + DescribeFlowLogs) finds the VPCs left uncovered, no tag needed', async () => {
    const covered = { ...awsVpc, VpcId: 'vpc-0000000000000000c' };
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [awsVpc, covered] });
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [awsFl({ ResourceId: covered.VpcId })] });
    const records = await controller({ ...s3Section, mode: 'notify' }).handleEvent(deleteFlowLogsEvent(['fl-0aaaaaaaaaaaaaaa1']));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'drift-detected', resource: { id: VPC } });
    expect(ec2.calls()).toHaveLength(2);
  });
});

describe('flow-logs batched sweep (aws-sdk-client-mock: per-resource refusals the emulator never returns)', () => {
  const ec2 = mockClient(EC2Client);
  const controller = () =>
    new Controller({
      guardrails: [flowLogs],
      policy: parsePolicy(policyWith({ 'flow-logs': s3Section }), [flowLogs]),
      account: ACCOUNT,
      clients: new AwsClients({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }),
      logger: createLogger('test'),
    });
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `vpc-${i.toString(16).padStart(17, '0')}`);
  const compliant = (vpcId: string): FlowLog => ({
    FlowLogId: `fl-${vpcId.slice(4)}`,
    FlowLogStatus: 'ACTIVE',
    ResourceId: vpcId,
    TrafficType: 'ALL',
    LogDestinationType: 's3',
    LogDestination: `${BUCKET_ARN}/vpc`,
  });
  /** A region of VPCs, none covered; CreateFlowLogs creates for every id except the refused ones. */
  function region(vpcIds: string[], refuse: Record<string, { Code: string; Message: string }> = {}) {
    const live: FlowLog[] = [];
    ec2.reset();
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: vpcIds.map((VpcId) => ({ VpcId, OwnerId: ACCOUNT, Tags: [] })) });
    ec2.on(DescribeFlowLogsCommand).callsFake((input: { Filter?: { Values: string[] }[] }) => {
      const wanted = input.Filter?.[0]?.Values;
      return { FlowLogs: live.filter((f) => !wanted || wanted.includes(f.ResourceId as string)) };
    });
    ec2.on(CreateFlowLogsCommand).callsFake((input: { ResourceIds: string[] }) => {
      const ok = input.ResourceIds.filter((id) => !refuse[id]);
      live.push(...ok.map(compliant));
      const Unsuccessful = input.ResourceIds.filter((id) => refuse[id]).map((ResourceId) => ({
        ResourceId,
        Error: refuse[ResourceId],
      }));
      return { FlowLogIds: ok.map((id) => `fl-${id.slice(4)}`), Unsuccessful };
    });
  }
  const sweep = () => controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'flow-logs' }));

  it('one CreateFlowLogs carries every uncovered VPC; Unsuccessful[] entries fail only their own VPC, with their reason', async () => {
    const vpcIds = ids(5);
    region(vpcIds, {
      [vpcIds[1] as string]: { Code: 'InvalidParameter', Message: 'Access Denied for LogDestination' },
      [vpcIds[3] as string]: { Code: 'RequestLimitExceeded', Message: 'slow down' },
    });
    const records = await sweep();
    expect(records.map((r) => [r.resource.id, r.outcome, r.retryable])).toEqual([
      [vpcIds[0], 'remediated', false],
      [vpcIds[1], 'failed', false],
      [vpcIds[2], 'remediated', false],
      [vpcIds[3], 'failed', true],
      [vpcIds[4], 'remediated', false],
    ]);
    expect(records[1]).toMatchObject({
      actions: [{ api: 'ec2:CreateFlowLogs', ok: false }],
      reason: `ec2:CreateFlowLogs failed: FlowLogCreationRefused: EC2 refused the flow log for ${vpcIds[1]} (InvalidParameter: Access Denied for LogDestination)`,
    });
    expect(records[0]).toMatchObject({ verified: true, actions: [{ api: 'ec2:CreateFlowLogs', ok: true, error: null }] });
    expect(ec2.commandCalls(CreateFlowLogsCommand)).toHaveLength(1);
    expect(ec2.commandCalls(CreateFlowLogsCommand)[0]?.args[0].input.ResourceIds).toEqual(vpcIds);
    // The two listings, one write, one verification read of the three accepted VPCs.
    expect(ec2.calls()).toHaveLength(4);
    expect(ec2.commandCalls(DescribeFlowLogsCommand)[1]?.args[0].input.Filter?.[0]?.Values).toEqual([
      vpcIds[0],
      vpcIds[2],
      vpcIds[4],
    ]);
  });

  it('a batch call that fails as a whole fails every VPC of it, retryable as the error says; nothing is lost', async () => {
    const vpcIds = ids(3);
    region(vpcIds);
    ec2
      .on(CreateFlowLogsCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }));
    const records = await sweep();
    expect(records.map((r) => [r.outcome, r.retryable, r.reason])).toEqual(
      vpcIds.map(() => ['failed', true, 'ec2:CreateFlowLogs failed: RequestLimitExceeded: slow down']),
    );
  });

  it('1,500 uncovered VPCs: two CreateFlowLogs (1,000 ids at most) and eight verification reads (200 ids per filter)', async () => {
    const vpcIds = ids(1500);
    region(vpcIds);
    const records = await sweep();
    expect(records.filter((r) => r.outcome === 'remediated')).toHaveLength(1500);
    expect(ec2.commandCalls(CreateFlowLogsCommand).map((c) => c.args[0].input.ResourceIds?.length)).toEqual([1000, 500]);
    expect(ec2.commandCalls(DescribeFlowLogsCommand)).toHaveLength(1 + 8);
  });

  it('with a lease store: leases taken, one re-read under them; a VPC fixed meanwhile is compliant, a busy lease fails alone', async () => {
    const vpcIds = ids(3);
    region(vpcIds);
    const leaseStore = new MemoryLeaseStore();
    const ctl = new Controller({
      guardrails: [flowLogs],
      policy: parsePolicy(policyWith({ 'flow-logs': s3Section }), [flowLogs]),
      account: ACCOUNT,
      clients: new AwsClients({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }),
      logger: createLogger('test'),
      leaseStore,
      leaseSettings: { waitMs: 30, pollMs: 10 },
    });
    // Another invocation holds the third VPC's lease; the second VPC gets its flow log between the listing and the lease.
    leaseStore.forge(`flow-logs#${ACCOUNT}#AWS::EC2::VPC|${REGION}|${vpcIds[2]}`, 'someone-else', Date.now() + 10_000);
    const fixedMeanwhile = compliant(vpcIds[1] as string);
    let listings = 0;
    ec2.on(DescribeFlowLogsCommand).callsFake((input: { Filter?: { Values: string[] }[] }) => {
      if (!input.Filter) listings++;
      const wanted = input.Filter?.[0]?.Values ?? [];
      const made = ec2.commandCalls(CreateFlowLogsCommand).flatMap((c) => c.args[0].input.ResourceIds ?? []);
      return { FlowLogs: [fixedMeanwhile, ...made.map(compliant)].filter((f) => wanted.includes(f.ResourceId as string)) };
    });
    const records = await ctl.handleEvent(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'flow-logs' }));
    expect(records.map((r) => [r.resource.id, r.outcome, r.retryable])).toEqual([
      [vpcIds[0], 'remediated', false],
      [vpcIds[1], 'compliant', false],
      [vpcIds[2], 'failed', true],
    ]);
    expect(records[2]?.reason).toContain('another invocation has held the lease');
    expect(listings).toBe(1);
    expect(ec2.commandCalls(CreateFlowLogsCommand).map((c) => c.args[0].input.ResourceIds)).toEqual([[vpcIds[0]]]);
    // Listings (2), the re-read under the leases (1), the write (1), the verification (1).
    expect(ec2.calls()).toHaveLength(5);
  });

  it('a VPC whose verification read does not show the flow log fails verification alone', async () => {
    const vpcIds = ids(2);
    region(vpcIds);
    // EC2 accepts both but only the first appears.
    ec2.on(CreateFlowLogsCommand).resolves({ FlowLogIds: ['fl-1', 'fl-2'], Unsuccessful: [] });
    ec2
      .on(DescribeFlowLogsCommand)
      .callsFake((input: { Filter?: unknown[] }) => ({ FlowLogs: input.Filter ? [compliant(vpcIds[0] as string)] : [] }));
    const records = await sweep();
    expect(records.map((r) => [r.outcome, r.verified])).toEqual([
      ['remediated', true],
      ['failed', false],
    ]);
    expect(records[1]?.reason).toBe('verification failed: still different after remediation: flowLog');
  });
});
