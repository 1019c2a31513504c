import {
  CreateFlowLogsCommand,
  CreateVpcCommand,
  DeleteFlowLogsCommand,
  DescribeFlowLogsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { repeats } from '../../cli/demo/repeats.js';
import { apiCallEvent } from '../../cli/events.js';
import type { DemoContext, DemoGuardrail } from '../core/demo.js';
import { flowLogs } from './index.js';

/** The central log-archive bucket (the infrastructure owns it). No prefix: moto 5.2.5 does not accept one. */
const BUCKET = 'central-vpc-flow-logs';
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
/** The VPCs the demo governs, by Name tag (the region's default VPC is governed too). */
const VPC_NAMES = ['prod-network', 'staging-network'];

const ec2 = (ctx: DemoContext) => ctx.clients.get(EC2Client, ctx.region);

const ec2Event = (
  ctx: DemoContext,
  eventName: string,
  requestParameters: Record<string, unknown>,
  responseElements: Record<string, unknown> | null,
) =>
  apiCallEvent({
    account: ctx.account,
    region: ctx.region,
    eventSource: 'ec2.amazonaws.com',
    eventName,
    requestParameters,
    responseElements,
    identity: { kind: 'assumed-role', account: ctx.account, roleName: 'DeveloperAccess', session: 'mallory' },
  });

/** `DeleteFlowLogs` as CloudTrail records it: one `{content, tag}` item, a list of them for several ids. */
const deleteEvent = (ctx: DemoContext, ids: string[]) => {
  const items = ids.map((content, i) => ({ content, tag: i + 1 }));
  return ec2Event(
    ctx,
    'DeleteFlowLogs',
    { DeleteFlowLogsRequest: { FlowLogId: items.length === 1 ? items[0] : items } },
    {
      DeleteFlowLogsResponse: {
        requestId: '3d9f7a52-4c1b-4b8e-9a57-5c0f1e2d3b4a',
        unsuccessful: '',
        xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
      },
    },
  );
};

async function vpcIdByName(ctx: DemoContext, name: string): Promise<string> {
  const res = await ec2(ctx).send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: [name] }] }));
  const id = res.Vpcs?.[0]?.VpcId;
  if (!id) throw new Error(`demo VPC ${name} not found`);
  return id;
}

async function flowLogIdsOf(ctx: DemoContext, vpcId: string): Promise<string[]> {
  const res = await ec2(ctx).send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: [vpcId] }] }));
  return (res.FlowLogs ?? []).map((fl) => fl.FlowLogId as string);
}

/** Null when every VPC of the region has an ACTIVE ALL flow log to the central bucket, else which ones do not. */
async function uncovered(ctx: DemoContext): Promise<string | null> {
  const vpcs = (await ec2(ctx).send(new DescribeVpcsCommand({}))).Vpcs ?? [];
  const fls = (await ec2(ctx).send(new DescribeFlowLogsCommand({}))).FlowLogs ?? [];
  const bad = vpcs
    .map((v) => v.VpcId as string)
    .filter(
      (id) =>
        !fls.some(
          (fl) =>
            fl.ResourceId === id && fl.FlowLogStatus === 'ACTIVE' && fl.TrafficType === 'ALL' && fl.LogDestination === BUCKET_ARN,
        ),
    );
  return bad.length > 0 ? `no compliant flow log on ${bad.join(', ')}` : null;
}

async function createVpc(ctx: DemoContext, cidr: string, name: string): Promise<string> {
  const res = await ec2(ctx).send(
    new CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: name }] }] }),
  );
  return res.Vpc?.VpcId as string;
}

/** `CreateVpc`: the response is not wrapped, the id is `responseElements.vpc.vpcId`. */
const createVpcEvent = (ctx: DemoContext, vpcId: string, cidr: string) =>
  ec2Event(
    ctx,
    'CreateVpc',
    { cidrBlock: cidr, instanceTenancy: 'default', amazonProvidedIpv6CidrBlock: false },
    {
      requestId: '8a1d0c6e-2f4b-4e0a-b1c9-7d3e5f6a7b8c',
      vpc: { vpcId, state: 'pending', ownerId: ctx.account, cidrBlock: cidr, instanceTenancy: 'default', isDefault: false },
    },
  );

/** The flow-logs part of the demo: two governed VPCs (and the default one) lose their flow logs; a new VPC is born without one. */
export const demo: DemoGuardrail = {
  guardrail: flowLogs,
  policySection: () => ({ mode: 'remediate', trafficType: 'ALL', destination: { type: 's3', bucketArn: BUCKET_ARN } }),
  async prepare(ctx) {
    await ctx.clients.get(S3Client, ctx.region).send(new CreateBucketCommand({ Bucket: BUCKET }));
    await createVpc(ctx, '10.10.0.0/16', 'prod-network');
    await createVpc(ctx, '10.20.0.0/16', 'staging-network');
    await ctx.clients.get(S3Client, ctx.region).send(new CreateBucketCommand({ Bucket: 'team-rejects-only' }));
  },
  async duplicates(ctx) {
    const fls = (await ec2(ctx).send(new DescribeFlowLogsCommand({}))).FlowLogs ?? [];
    // Only the ALL flow logs are logwarden's to add; the tampering's REJECT-only one is someone else's.
    return repeats(
      fls.filter((fl) => fl.TrafficType === 'ALL').map((fl) => fl.ResourceId ?? '?'),
      (vpc, n) => `${n} ALL flow logs on ${vpc}`,
    );
  },
  scenarios: [
    {
      title: 'Flow logs: DeleteFlowLogs on the prod VPC (defence evasion)',
      minimum: {
        calls: 4,
        why: 'DescribeFlowLogs + DescribeVpcs (the event names only flow-log ids: which VPC is left uncovered, and that it still exists), CreateFlowLogs, DescribeFlowLogs (verify).',
      },
      async tamper(ctx) {
        const ids = await flowLogIdsOf(ctx, await vpcIdByName(ctx, 'prod-network'));
        await ec2(ctx).send(new DeleteFlowLogsCommand({ FlowLogIds: ids }));
        return [deleteEvent(ctx, ids)];
      },
      check: uncovered,
    },
    {
      title: 'Flow logs: one DeleteFlowLogs call removes the flow logs of two VPCs',
      minimum: {
        calls: 4,
        why: 'DescribeFlowLogs + DescribeVpcs (both VPCs), one CreateFlowLogs carrying both, one DescribeFlowLogs (verify). logwarden batches only sweeps: an event is remediated per VPC (own lease, record and verification), 6 calls.',
      },
      async tamper(ctx) {
        const ids = [];
        for (const name of VPC_NAMES) ids.push(...(await flowLogIdsOf(ctx, await vpcIdByName(ctx, name))));
        await ec2(ctx).send(new DeleteFlowLogsCommand({ FlowLogIds: ids }));
        return [deleteEvent(ctx, ids)];
      },
      check: uncovered,
    },
    {
      title: 'Flow logs: the ALL flow log is swapped for a REJECT-only one (kept; a compliant one is added)',
      minimum: {
        calls: 4,
        why: 'As a deleted flow log: DescribeFlowLogs + DescribeVpcs, CreateFlowLogs, DescribeFlowLogs (verify).',
      },
      async tamper(ctx) {
        const vpcId = await vpcIdByName(ctx, 'staging-network');
        const ids = await flowLogIdsOf(ctx, vpcId);
        await ec2(ctx).send(
          new CreateFlowLogsCommand({
            ResourceType: 'VPC',
            ResourceIds: [vpcId],
            TrafficType: 'REJECT',
            LogDestinationType: 's3',
            LogDestination: 'arn:aws:s3:::team-rejects-only',
          }),
        );
        await ec2(ctx).send(new DeleteFlowLogsCommand({ FlowLogIds: ids }));
        return [deleteEvent(ctx, ids)];
      },
      check: uncovered,
    },
    {
      title: 'Flow logs: a new VPC is born without a flow log (CreateVpc)',
      minimum: {
        calls: 3,
        why: 'DescribeFlowLogs (none on the VPC named by the event), CreateFlowLogs, DescribeFlowLogs (verify).',
      },
      async tamper(ctx) {
        const vpcId = await createVpc(ctx, '10.30.0.0/16', 'shadow-it-network');
        return [createVpcEvent(ctx, vpcId, '10.30.0.0/16')];
      },
      check: uncovered,
    },
    {
      title: 'Flow logs: a CreateVpc call that failed (VpcLimitExceeded) changes nothing',
      minimum: { calls: 0, why: 'The event carries errorCode: nothing changed, nothing to read.' },
      async tamper(ctx) {
        const event = createVpcEvent(ctx, 'vpc-0fffffffffffffff0', '10.40.0.0/16');
        const detail = event.detail as Record<string, unknown>;
        detail.errorCode = 'VpcLimitExceeded';
        detail.errorMessage = 'The maximum number of VPCs has been reached.';
        detail.responseElements = null;
        return [event];
      },
      check: uncovered,
      expect: ['ignored'],
    },
  ],
};
