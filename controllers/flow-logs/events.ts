import { partitionOf } from '../core/identity.js';
import type { AnyGuardrail, CloudTrailDetail, Resolution, ResourceRef } from '../core/types.js';

export const RESOURCE_TYPE = 'AWS::EC2::VPC';

/** The EC2 events that leave a VPC without a flow log. */
export const FLOW_LOG_EVENTS = ['CreateVpc', 'CreateDefaultVpc', 'DeleteFlowLogs'] as const;

const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const createdVpc = (cidrBlock: string, isDefault: boolean) => ({
  requestId: '8a1d0c6e-2f4b-4e0a-b1c9-7d3e5f6a7b8c',
  vpc: {
    vpcId: isDefault ? 'vpc-0a1b2c3d4e5f60718' : 'vpc-0123456789abcdef0',
    state: 'pending',
    ownerId: '123456789012',
    cidrBlock,
    instanceTenancy: 'default',
    isDefault,
  },
});

/**
 * Plausible records of {@link FLOW_LOG_EVENTS} (XML-derived keys): DeleteFlowLogs names one flow log
 * as `{content, tag}` inside `DeleteFlowLogsRequest`; CreateVpc and CreateDefaultVpc (which takes no
 * parameters) answer the new VPC, not wrapped.
 */
export const FLOW_LOG_EVENT_SAMPLE: AnyGuardrail['cloudTrailEvents'][number]['sample'] = {
  requestParameters: { DeleteFlowLogsRequest: { FlowLogId: { content: 'fl-0123456789abcdef0', tag: 1 } } },
  responseElements: {
    DeleteFlowLogsResponse: { requestId: '3d9f7a52-4c1b-4b8e-9a57-5c0f1e2d3b4a', unsuccessful: '', xmlns: EC2_XMLNS },
  },
  perEvent: {
    CreateVpc: {
      requestParameters: { cidrBlock: '10.30.0.0/16', instanceTenancy: 'default', amazonProvidedIpv6CidrBlock: false },
      responseElements: createdVpc('10.30.0.0/16', false),
    },
    CreateDefaultVpc: { requestParameters: {}, responseElements: createdVpc('172.31.0.0/16', true) },
  },
};

/** DeleteFlowLogs takes at most 1,000 ids; anything more did not come from EC2. */
const MAX_FLOW_LOG_IDS = 1000;

export interface VpcRef extends ResourceRef {
  type: typeof RESOURCE_TYPE;
  /** VPC id. */
  id: string;
  /** The governed account: the policy's destination templates are filled in with it. */
  account: string;
}

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const FLOW_LOG_ID = /^fl-[0-9a-f]{8,17}$/;

function vpcArn(account: string, region: string, vpcId: string): string {
  return `arn:${partitionOf(region)}:ec2:${region}:${account}:vpc/${vpcId}`;
}

export function vpcRef(vpcId: string, scope: { account: string; region: string }): VpcRef {
  return {
    type: RESOURCE_TYPE,
    id: vpcId,
    arn: vpcArn(scope.account, scope.region, vpcId),
    region: scope.region,
    account: scope.account,
  };
}

/** A VPC id from Config or the CLI. Pure. */
export function resolveVpcId(id: string, scope: { account: string; region: string }): Resolution<VpcRef> {
  if (!VPC_ID.test(id)) return { ignore: `"${id.slice(0, 100)}" is not a VPC id (vpc-...)`, resource: { id: id.slice(0, 100) } };
  return { refs: [vpcRef(id, scope)] };
}

/** What an event asks for: VPCs named in it, or flow-log ids whose VPCs must be found. */
export type EventTarget = Resolution<VpcRef> | { flowLogIds: string[] };

const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/**
 * The flow-log ids of a DeleteFlowLogs record: `requestParameters.DeleteFlowLogsRequest.FlowLogId`
 * is one `{content, tag}` object, or a list of them when several ids were sent. Pure.
 */
export function flowLogIdsOf(requestParameters: Record<string, unknown> | null): string[] | string {
  const req = obj(requestParameters?.DeleteFlowLogsRequest);
  if (!req) return 'DeleteFlowLogs event without requestParameters.DeleteFlowLogsRequest';
  const raw = req.FlowLogId;
  const items = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  if (items.length === 0) return 'DeleteFlowLogs event without a FlowLogId';
  if (items.length > MAX_FLOW_LOG_IDS)
    return `DeleteFlowLogs event with ${items.length} flow-log ids (EC2 accepts ${MAX_FLOW_LOG_IDS})`;
  const ids: string[] = [];
  for (const item of items) {
    const value = typeof item === 'string' ? item : obj(item)?.content;
    if (typeof value !== 'string' || !FLOW_LOG_ID.test(value)) {
      return `DeleteFlowLogs event with a malformed FlowLogId (${JSON.stringify(item).slice(0, 100)})`;
    }
    ids.push(value);
  }
  return [...new Set(ids)];
}

/** Which VPCs (or flow-log ids) a CloudTrail API-call event is about. Pure. */
export function targetOfEvent(detail: CloudTrailDetail, scope: { account: string; region: string }): EventTarget {
  if (detail.eventName === 'DeleteFlowLogs') {
    const ids = flowLogIdsOf(detail.requestParameters);
    return typeof ids === 'string' ? { ignore: ids } : { flowLogIds: ids };
  }
  // CreateVpc / CreateDefaultVpc: the response is not wrapped: {requestId, vpc: {vpcId, state, ...}}.
  const vpcId = obj(detail.responseElements?.vpc)?.vpcId;
  if (typeof vpcId !== 'string') return { ignore: `${detail.eventName} event without responseElements.vpc.vpcId` };
  return resolveVpcId(vpcId, scope);
}
