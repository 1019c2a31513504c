import { partitionOf } from '../core/identity.js';
import type { AnyGuardrail, CloudTrailDetail, Resolution, ResourceRef } from '../core/types.js';

/** The governed resource is the VPC: a query logging configuration only matters through its associations. */
export const RESOURCE_TYPE = 'AWS::EC2::VPC';

/** EC2 events that bring a VPC without query logging into the region. */
export const VPC_EVENTS = ['CreateVpc', 'CreateDefaultVpc'] as const;
/** Route 53 Resolver events that end query logging for one VPC (disassociate) or for all of a config's VPCs (delete). */
export const RESOLVER_EVENTS = ['DisassociateResolverQueryLogConfig', 'DeleteResolverQueryLogConfig'] as const;

type Sample = AnyGuardrail['cloudTrailEvents'][number]['sample'];

const SAMPLE_ACCOUNT = '123456789012';
const SAMPLE_VPC = 'vpc-0123456789abcdef0';
const SAMPLE_CONFIG = 'rslvr-qlc-0a1b2c3d4e5f67890';
const createdVpc = (vpcId: string, cidrBlock: string, isDefault: boolean) => ({
  requestId: '8a1d0c6e-2f4b-4e0a-b1c9-7d3e5f6a7b8c',
  vpc: { vpcId, state: 'pending', ownerId: SAMPLE_ACCOUNT, cidrBlock, instanceTenancy: 'default', isDefault },
});

/** CreateVpc and CreateDefaultVpc (no parameters) answer the new VPC, not wrapped (EC2's XML-derived shape). */
export const VPC_EVENT_SAMPLE: Sample = {
  requestParameters: { cidrBlock: '10.30.0.0/16', instanceTenancy: 'default', amazonProvidedIpv6CidrBlock: false },
  responseElements: createdVpc(SAMPLE_VPC, '10.30.0.0/16', false),
  perEvent: {
    CreateDefaultVpc: { requestParameters: {}, responseElements: createdVpc('vpc-0a1b2c3d4e5f60718', '172.31.0.0/16', true) },
  },
};

/**
 * Route 53 Resolver records are JSON with lowerCamel keys: DisassociateResolverQueryLogConfig names
 * the config and the VPC (`resourceId`) and answers the association being deleted;
 * DeleteResolverQueryLogConfig names only the config and answers it (status DELETING).
 */
export const RESOLVER_EVENT_SAMPLE: Sample = {
  requestParameters: { resolverQueryLogConfigId: SAMPLE_CONFIG, resourceId: SAMPLE_VPC },
  responseElements: {
    resolverQueryLogConfigAssociation: {
      id: 'rslvr-qlcassoc-0f1e2d3c4b5a69788',
      resolverQueryLogConfigId: SAMPLE_CONFIG,
      resourceId: SAMPLE_VPC,
      status: 'DELETING',
      error: 'NONE',
      errorMessage: '',
      creationTime: '2024-05-02T09:14:21.512Z',
    },
  },
  perEvent: {
    DeleteResolverQueryLogConfig: {
      requestParameters: { resolverQueryLogConfigId: SAMPLE_CONFIG },
      responseElements: {
        resolverQueryLogConfig: {
          id: SAMPLE_CONFIG,
          ownerId: SAMPLE_ACCOUNT,
          status: 'DELETING',
          shareStatus: 'NOT_SHARED',
          associationCount: 0,
          arn: `arn:aws:route53resolver:us-east-1:${SAMPLE_ACCOUNT}:resolver-query-log-config/${SAMPLE_CONFIG}`,
          name: 'logwarden-query-logs',
          destinationArn: 'arn:aws:s3:::central-dns-query-logs',
          creatorRequestId: 'logwarden-5d41402abc4b2a76b9719d911017c592',
          creationTime: '2024-05-01T08:00:00.000Z',
        },
      },
    },
  },
};

export interface VpcRef extends ResourceRef {
  type: typeof RESOURCE_TYPE;
  /** VPC id. */
  id: string;
}

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
/** Resolver ids are `rslvr-qlc-` and hex digits; a little room for a longer form. */
const CONFIG_ID = /^rslvr-qlc-[0-9a-z]{8,40}$/;

export function vpcRef(vpcId: string, scope: { account: string; region: string }): VpcRef {
  return {
    type: RESOURCE_TYPE,
    id: vpcId,
    arn: `arn:${partitionOf(scope.region)}:ec2:${scope.region}:${scope.account}:vpc/${vpcId}`,
    region: scope.region,
  };
}

/** The account of a VPC ref (from its ARN, which `vpcRef` builds). */
export function accountOfRef(ref: VpcRef): string {
  return /^arn:[^:]+:ec2:[^:]*:(\d{12}):/.exec(ref.arn ?? '')?.[1] ?? '';
}

/** A VPC id from Config or the CLI. Pure. */
export function resolveVpcId(id: string, scope: { account: string; region: string }): Resolution<VpcRef> {
  if (!VPC_ID.test(id)) return { ignore: `"${id.slice(0, 100)}" is not a VPC id (vpc-...)`, resource: { id: id.slice(0, 100) } };
  return { refs: [vpcRef(id, scope)] };
}

/** What an event asks for: VPCs named in it, or a deleted configuration whose former VPCs must be found. */
export type EventTarget = Resolution<VpcRef> | { deletedConfigId: string };

const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const clip = (v: unknown) => JSON.stringify(v ?? null).slice(0, 100);

/** The VPC of a DisassociateResolverQueryLogConfig record: the request's `resourceId`, else the response's. Pure. */
function disassociatedVpc(detail: CloudTrailDetail, scope: { account: string; region: string }): Resolution<VpcRef> {
  const association = obj(detail.responseElements?.resolverQueryLogConfigAssociation);
  const vpcId = str(detail.requestParameters?.resourceId) ?? str(association?.resourceId);
  if (!vpcId) return { ignore: 'DisassociateResolverQueryLogConfig event without requestParameters.resourceId' };
  if (!VPC_ID.test(vpcId)) {
    return {
      ignore: `DisassociateResolverQueryLogConfig event with a malformed resourceId (${clip(vpcId)})`,
      resource: { id: vpcId.slice(0, 100) },
    };
  }
  return { refs: [vpcRef(vpcId, scope)] };
}

/**
 * The configuration of a DeleteResolverQueryLogConfig record. One owned by another account (shared
 * through RAM) is its owner's to govern: this account cannot delete it, nor repair it. Pure.
 */
function deletedConfig(detail: CloudTrailDetail, scope: { account: string }): EventTarget {
  const configId = str(detail.requestParameters?.resolverQueryLogConfigId);
  if (!configId) return { ignore: 'DeleteResolverQueryLogConfig event without requestParameters.resolverQueryLogConfigId' };
  if (!CONFIG_ID.test(configId)) {
    return { ignore: `DeleteResolverQueryLogConfig event with a malformed resolverQueryLogConfigId (${clip(configId)})` };
  }
  const owner = str(obj(detail.responseElements?.resolverQueryLogConfig)?.ownerId);
  if (owner && owner !== scope.account) {
    return {
      ignore: `query logging configuration ${configId} is owned by account ${owner} (shared through RAM): only its owner can delete or repair it, and that account's logwarden governs it`,
      resource: { id: configId },
    };
  }
  return { deletedConfigId: configId };
}

/** Which VPCs (or which deleted configuration) a CloudTrail API-call event is about. Pure. */
export function targetOfEvent(detail: CloudTrailDetail, scope: { account: string; region: string }): EventTarget {
  if (detail.eventName === 'DisassociateResolverQueryLogConfig') return disassociatedVpc(detail, scope);
  if (detail.eventName === 'DeleteResolverQueryLogConfig') return deletedConfig(detail, scope);
  // CreateVpc / CreateDefaultVpc: the response is not wrapped: {requestId, vpc: {vpcId, state, ...}}.
  const vpcId = obj(detail.responseElements?.vpc)?.vpcId;
  if (typeof vpcId !== 'string') return { ignore: `${detail.eventName} event without responseElements.vpc.vpcId` };
  return resolveVpcId(vpcId, scope);
}
