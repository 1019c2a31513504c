import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFlowLogsCommand,
  type CreateFlowLogsCommandInput,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteFlowLogsCommand,
  DescribeFlowLogsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type FlowLog,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { apiCallEvent, type Identity } from '../../cli/events.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { MANAGED_TAG } from '../../controllers/core/tags.js';
import { ACCOUNT, REGION } from './emulator.js';

const FLOW_BUCKET = 'central-flow-logs';
const FLOW_BUCKET_ARN = `arn:aws:s3:::${FLOW_BUCKET}`;
/**
 * Where the policy wants flow logs: the central bucket. Emulator gap: moto 5.2.5 looks up
 * `<bucket>/<prefix>` as a bucket name and answers "does not exist", so emulator tests use no
 * prefix; prefixes are covered by the unit tests.
 */
export const FLOW_DESTINATION = FLOW_BUCKET_ARN;
export const FLOW_LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/vpc/flow-logs`;
export const FLOW_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/vpc-flow-logs-delivery`;

export function flowLogsPolicy(extra: Record<string, unknown> = {}) {
  return {
    mode: 'remediate',
    trafficType: 'ALL',
    destination: { type: 's3', bucketArn: FLOW_BUCKET_ARN },
    ...extra,
  };
}

export const ec2Of = (clients: AwsClients) => clients.get(EC2Client, REGION);

export async function createFlowBucket(clients: AwsClients, bucket = FLOW_BUCKET): Promise<void> {
  await clients.get(S3Client, REGION).send(new CreateBucketCommand({ Bucket: bucket }));
}

/**
 * The flow-log group of {@link FLOW_LOG_GROUP_ARN}, as the member stack creates it. The emulator marks
 * a flow log to a missing group `DeliverLogsStatus: FAILED` ("Access error"), as EC2 would report it.
 */
export async function createFlowLogGroup(clients: AwsClients): Promise<void> {
  await clients.get(CloudWatchLogsClient, REGION).send(new CreateLogGroupCommand({ logGroupName: '/vpc/flow-logs' }));
}

/** A VPC as a user would create it; returns its id. */
export async function createVpc(clients: AwsClients, cidr = '10.0.0.0/16', tags: Record<string, string> = {}): Promise<string> {
  const res = await ec2Of(clients).send(
    new CreateVpcCommand({
      CidrBlock: cidr,
      TagSpecifications: Object.keys(tags).length
        ? [{ ResourceType: 'vpc', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }]
        : undefined,
    }),
  );
  return res.Vpc?.VpcId as string;
}

export async function tagVpc(clients: AwsClients, vpcId: string, tags: Record<string, string>): Promise<void> {
  await ec2Of(clients).send(
    new CreateTagsCommand({ Resources: [vpcId], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
  );
}

/** A flow log made by someone else (a user, the infrastructure). Returns its id. */
export async function userFlowLog(clients: AwsClients, vpcId: string, extra: Partial<CreateFlowLogsCommandInput> = {}) {
  const res = await ec2Of(clients).send(
    new CreateFlowLogsCommand({
      ResourceType: 'VPC',
      ResourceIds: [vpcId],
      TrafficType: 'ALL',
      LogDestinationType: 's3',
      LogDestination: FLOW_DESTINATION,
      ...extra,
    }),
  );
  if (res.Unsuccessful?.length) throw new Error(`user flow log refused: ${JSON.stringify(res.Unsuccessful)}`);
  return res.FlowLogIds?.[0] as string;
}

export async function flowLogsOf(clients: AwsClients, vpcId: string): Promise<FlowLog[]> {
  const res = await ec2Of(clients).send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: [vpcId] }] }));
  return res.FlowLogs ?? [];
}

export const isManaged = (fl: FlowLog) => (fl.Tags ?? []).some((t) => t.Key === MANAGED_TAG && t.Value === 'true');

export async function deleteFlowLogs(clients: AwsClients, ids: string[]): Promise<void> {
  await ec2Of(clients).send(new DeleteFlowLogsCommand({ FlowLogIds: ids }));
}

export async function allVpcIds(clients: AwsClients): Promise<string[]> {
  return ((await ec2Of(clients).send(new DescribeVpcsCommand({}))).Vpcs ?? []).map((v) => v.VpcId as string);
}

/** An EC2 API-call event (XML-derived record shapes). */
function ec2Event(
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  opts: { identity?: Identity; errorCode?: string; responseElements?: Record<string, unknown> | null; account?: string } = {},
) {
  return apiCallEvent({
    account: opts.account ?? ACCOUNT,
    region: REGION,
    eventSource: 'ec2.amazonaws.com',
    eventName,
    requestParameters,
    responseElements: opts.responseElements ?? null,
    identity: opts.identity,
    errorCode: opts.errorCode,
  });
}

/** `DeleteFlowLogs` as CloudTrail records it: one `{content, tag}` item, or a list of them. */
export function deleteFlowLogsEvent(ids: string[], opts: { identity?: Identity } = {}) {
  const items = ids.map((content, i) => ({ content, tag: i + 1 }));
  return ec2Event(
    'DeleteFlowLogs',
    { DeleteFlowLogsRequest: { FlowLogId: items.length === 1 ? items[0] : items } },
    {
      ...opts,
      responseElements: {
        DeleteFlowLogsResponse: {
          requestId: 'c0f1e1b5-3f1f-4a4e-9d61-0f6a1c2b3d4e',
          unsuccessful: '',
          xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
        },
      },
    },
  );
}

/** `CreateVpc` (or `CreateDefaultVpc`): the response is not wrapped. */
export function createVpcEvent(vpcId: string, opts: { eventName?: string; errorCode?: string; identity?: Identity } = {}) {
  const name = opts.eventName ?? 'CreateVpc';
  return ec2Event(
    name,
    name === 'CreateVpc' ? { cidrBlock: '10.0.0.0/16', instanceTenancy: 'default', amazonProvidedIpv6CidrBlock: false } : {},
    {
      ...opts,
      responseElements: opts.errorCode
        ? null
        : {
            requestId: '5f0e6a1c-7b7e-4a53-8a0a-2c6f1d9e8b7a',
            vpc: {
              vpcId,
              state: 'pending',
              ownerId: ACCOUNT,
              cidrBlock: '10.0.0.0/16',
              cidrBlockAssociationSet: {
                items: [
                  { cidrBlock: '10.0.0.0/16', associationId: 'vpc-cidr-assoc-0a1b2c3d', cidrBlockState: { state: 'associated' } },
                ],
              },
              ipv6CidrBlockAssociationSet: {},
              dhcpOptionsId: 'dopt-0a1b2c3d',
              instanceTenancy: 'default',
              tagSet: {},
              isDefault: name === 'CreateDefaultVpc',
            },
          },
    },
  );
}
