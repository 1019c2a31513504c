import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AssociateResolverQueryLogConfigCommand,
  CreateResolverQueryLogConfigCommand,
  ListResolverQueryLogConfigAssociationsCommand,
  ListResolverQueryLogConfigsCommand,
  type ResolverQueryLogConfig,
  type ResolverQueryLogConfigAssociation,
  Route53ResolverClient,
} from '@aws-sdk/client-route53resolver';
import { apiCallEvent, type Identity } from '../../cli/events.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { ACCOUNT, REGION } from './emulator.js';

export const DNS_BUCKET_ARN = 'arn:aws:s3:::central-dns-query-logs';

export function queryLogsPolicy(extra: Record<string, unknown> = {}) {
  return { mode: 'remediate', destination: { type: 's3', bucketArn: DNS_BUCKET_ARN }, ...extra };
}

const resolverOf = (clients: AwsClients) => clients.get(Route53ResolverClient, REGION);
const ec2Of = (clients: AwsClients) => clients.get(EC2Client, REGION);

/** A VPC as a user would create it; returns its id. */
export async function createVpc(clients: AwsClients, cidr = '10.0.0.0/16'): Promise<string> {
  return (await ec2Of(clients).send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc?.VpcId as string;
}

export async function allVpcIds(clients: AwsClients): Promise<string[]> {
  return ((await ec2Of(clients).send(new DescribeVpcsCommand({}))).Vpcs ?? []).map((v) => v.VpcId as string);
}

/** A configuration made by someone else (a user, an attacker). Returns its id. */
export async function userConfig(clients: AwsClients, destinationArn: string, name = 'team-dns-logs'): Promise<string> {
  const res = await resolverOf(clients).send(
    new CreateResolverQueryLogConfigCommand({
      Name: name,
      DestinationArn: destinationArn,
      CreatorRequestId: `user-${name}-${destinationArn}`,
    }),
  );
  return res.ResolverQueryLogConfig?.Id as string;
}

export async function associate(clients: AwsClients, configId: string, vpcId: string): Promise<void> {
  await resolverOf(clients).send(
    new AssociateResolverQueryLogConfigCommand({ ResolverQueryLogConfigId: configId, ResourceId: vpcId }),
  );
}

export async function configs(clients: AwsClients): Promise<ResolverQueryLogConfig[]> {
  return (
    (await resolverOf(clients).send(new ListResolverQueryLogConfigsCommand({ MaxResults: 100 }))).ResolverQueryLogConfigs ?? []
  );
}

export async function associationsOf(clients: AwsClients, vpcId: string): Promise<ResolverQueryLogConfigAssociation[]> {
  const res = await resolverOf(clients).send(
    new ListResolverQueryLogConfigAssociationsCommand({ Filters: [{ Name: 'ResourceId', Values: [vpcId] }], MaxResults: 100 }),
  );
  return res.ResolverQueryLogConfigAssociations ?? [];
}

/** The ids of the configurations delivering to `destination` that the VPC is actively associated with. */
export async function loggedTo(clients: AwsClients, vpcId: string, destination = DNS_BUCKET_ARN): Promise<string[]> {
  const toDestination = new Set((await configs(clients)).filter((c) => c.DestinationArn === destination).map((c) => c.Id));
  return (await associationsOf(clients, vpcId))
    .filter((a) => a.Status === 'ACTIVE' && toDestination.has(a.ResolverQueryLogConfigId))
    .map((a) => a.ResolverQueryLogConfigId as string);
}

/** `CreateVpc` (or `CreateDefaultVpc`): EC2's response is not wrapped. */
export function createVpcEvent(vpcId: string, opts: { eventName?: string; errorCode?: string; identity?: Identity } = {}) {
  const name = opts.eventName ?? 'CreateVpc';
  return apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource: 'ec2.amazonaws.com',
    eventName: name,
    requestParameters:
      name === 'CreateVpc' ? { cidrBlock: '10.0.0.0/16', instanceTenancy: 'default', amazonProvidedIpv6CidrBlock: false } : {},
    responseElements: opts.errorCode
      ? null
      : {
          requestId: '5f0e6a1c-7b7e-4a53-8a0a-2c6f1d9e8b7a',
          vpc: { vpcId, state: 'pending', ownerId: ACCOUNT, cidrBlock: '10.0.0.0/16', isDefault: name === 'CreateDefaultVpc' },
        },
    identity: opts.identity,
    errorCode: opts.errorCode,
  });
}

function resolverEvent(
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  responseElements: Record<string, unknown> | null,
  opts: { identity?: Identity; errorCode?: string } = {},
) {
  return apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource: 'route53resolver.amazonaws.com',
    eventName,
    requestParameters,
    responseElements,
    identity: opts.identity,
    errorCode: opts.errorCode,
  });
}

/** `DisassociateResolverQueryLogConfig` as CloudTrail records it (lowerCamel; the response is the association being deleted). */
export function disassociateEvent(configId: string, vpcId: string, opts: { identity?: Identity } = {}) {
  return resolverEvent(
    'DisassociateResolverQueryLogConfig',
    { resolverQueryLogConfigId: configId, resourceId: vpcId },
    {
      resolverQueryLogConfigAssociation: {
        id: 'rslvr-qlcassoc-0f1e2d3c4b5a69788',
        resolverQueryLogConfigId: configId,
        resourceId: vpcId,
        status: 'DELETING',
        error: 'NONE',
        errorMessage: '',
        creationTime: '2024-05-02T09:14:21.512Z',
      },
    },
    opts,
  );
}

/** `DeleteResolverQueryLogConfig` as CloudTrail records it: the response is the configuration, status DELETING. */
export function deleteConfigEvent(configId: string, opts: { ownerId?: string; errorCode?: string; identity?: Identity } = {}) {
  const owner = opts.ownerId ?? ACCOUNT;
  return resolverEvent(
    'DeleteResolverQueryLogConfig',
    { resolverQueryLogConfigId: configId },
    opts.errorCode
      ? null
      : {
          resolverQueryLogConfig: {
            id: configId,
            ownerId: owner,
            status: 'DELETING',
            shareStatus: owner === ACCOUNT ? 'NOT_SHARED' : 'SHARED_WITH_ME',
            associationCount: 0,
            arn: `arn:aws:route53resolver:${REGION}:${owner}:resolver-query-log-config/${configId}`,
            name: 'logwarden-query-logs',
            destinationArn: DNS_BUCKET_ARN,
            creatorRequestId: 'logwarden-0000',
            creationTime: '2024-05-01T08:00:00.000Z',
          },
        },
    opts,
  );
}
