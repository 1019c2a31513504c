import {
  CreateFlowLogsCommand,
  type CreateFlowLogsCommandInput,
  type CreateFlowLogsCommandOutput,
  CreateTagsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type FlowLog,
  paginateDescribeFlowLogs,
  paginateDescribeVpcs,
  type Tag,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { errorCode, RemediationError } from '../core/errors.js';
import { MANAGED_TAG } from '../core/tags.js';
import type { Listing, Observation, Resolution, Scope, StepOutputs } from '../core/types.js';
import {
  CREATED_FLOW_LOG,
  type DesiredFlowLog,
  desiredFlowLog,
  diffVpc,
  type FlowLogInfo,
  type FlowLogStep,
  INDEX_TAG,
  mismatches,
  type VpcState,
} from './diff.js';
import { type VpcRef, vpcRef } from './events.js';
import type { FlowLogsPolicy } from './policy.js';

/** The largest page DescribeVpcs and DescribeFlowLogs return. */
const PAGE_SIZE = 1000;
/** EC2 takes at most 200 values per filter. */
const FILTER_VALUES = 200;

/** EC2 accepted the call but refused to create the flow log (an `Unsuccessful[]` entry, or a conflicting one). */
class FlowLogCreationError extends RemediationError {
  readonly vpcId: string;
  /** The code EC2 gave, e.g. `400` or `FlowLogAlreadyExists`. */
  readonly awsCode: string;
  constructor(vpcId: string, awsCode: string, message: string, retryable: boolean) {
    super(awsCode === 'FlowLogAlreadyExists' ? 'FlowLogAlreadyExists' : 'FlowLogCreationRefused', message, retryable);
    this.vpcId = vpcId;
    this.awsCode = awsCode;
  }
}

const TRANSIENT = /Throttl|RequestLimitExceeded|InternalError|ServiceUnavailable|Unavailable|^5\d\d$/i;

const ec2 = (scope: Scope<FlowLogsPolicy>, region: string) => scope.clients.get(EC2Client, region);

function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}

function flowLogInfo(fl: FlowLog): FlowLogInfo {
  return {
    id: fl.FlowLogId ?? 'unknown',
    status: fl.FlowLogStatus ?? null,
    trafficType: fl.TrafficType ?? null,
    destinationType: fl.LogDestinationType ?? null,
    destination: fl.LogDestination || null,
    logGroupName: fl.LogGroupName || null,
    deliverLogsPermissionArn: fl.DeliverLogsPermissionArn || null,
    logFormat: fl.LogFormat ?? null,
    maxAggregationInterval: fl.MaxAggregationInterval ?? null,
    managed: tagsOf(fl.Tags)[MANAGED_TAG] === 'true',
  };
}

function vpcState(vpc: Vpc, flowLogs: FlowLogInfo[]): VpcState {
  return {
    exists: true,
    vpcId: vpc.VpcId as string,
    ownerId: vpc.OwnerId ?? null,
    isDefault: vpc.IsDefault === true,
    tags: tagsOf(vpc.Tags),
    flowLogs,
  };
}

/** The flow logs of one VPC (DescribeFlowLogs filtered by resource-id, paginated). */
async function flowLogsOf(vpcId: string, scope: Scope<FlowLogsPolicy>, region: string): Promise<FlowLogInfo[]> {
  const out: FlowLogInfo[] = [];
  for await (const page of paginateDescribeFlowLogs(
    { client: ec2(scope, region), pageSize: PAGE_SIZE },
    { Filter: [{ Name: 'resource-id', Values: [vpcId] }] },
  )) {
    for (const fl of page.FlowLogs ?? []) out.push(flowLogInfo(fl));
  }
  return out;
}

/** DescribeVpcs and DescribeFlowLogs for a whole region: one paginated listing each, not a call per VPC. */
async function listVpcStates(scope: Scope<FlowLogsPolicy>): Promise<Map<string, VpcState>> {
  const client = ec2(scope, scope.region);
  const vpcsTask = (async () => {
    const vpcs: Vpc[] = [];
    for await (const page of paginateDescribeVpcs({ client, pageSize: PAGE_SIZE }, {})) vpcs.push(...(page.Vpcs ?? []));
    return vpcs;
  })();
  const flowLogsTask = (async () => {
    // DescribeFlowLogs has no resource-type filter: list every flow log of the region and keep the VPCs' ones.
    const byVpc = new Map<string, FlowLogInfo[]>();
    for await (const page of paginateDescribeFlowLogs({ client, pageSize: PAGE_SIZE }, {})) {
      for (const fl of page.FlowLogs ?? []) {
        if (!fl.ResourceId?.startsWith('vpc-')) continue;
        const list = byVpc.get(fl.ResourceId) ?? [];
        list.push(flowLogInfo(fl));
        byVpc.set(fl.ResourceId, list);
      }
    }
    return byVpc;
  })();
  const [vpcs, byVpc] = await Promise.all([vpcsTask, flowLogsTask]);
  const states = new Map<string, VpcState>();
  for (const vpc of vpcs) if (vpc.VpcId) states.set(vpc.VpcId, vpcState(vpc, byVpc.get(vpc.VpcId) ?? []));
  return states;
}

/** Every VPC of the region, for a sweep, with the states the two listings read. */
export async function listVpcRefs(scope: Scope<FlowLogsPolicy>): Promise<Listing<VpcRef, VpcState>> {
  const states = await listVpcStates(scope);
  return { refs: [...states.keys()].map((id) => vpcRef(id, scope)), preread: states };
}

/**
 * DescribeVpcs and DescribeFlowLogs for one VPC, in parallel. To verify, only DescribeFlowLogs:
 * the writes only add a flow log (and a tag the diff does not compare).
 */
export async function observeVpc(
  ref: VpcRef,
  scope: Scope<FlowLogsPolicy>,
  observation?: Observation<VpcState, FlowLogStep>,
): Promise<VpcState> {
  if (observation?.purpose === 'verify' && observation.before.exists) {
    return { ...observation.before, flowLogs: await flowLogsOf(ref.id, scope, ref.region) };
  }
  const client = ec2(scope, ref.region);
  const vpcTask = (async () => {
    try {
      const res = await client.send(new DescribeVpcsCommand({ VpcIds: [ref.id] }));
      return res.Vpcs?.find((v) => v.VpcId === ref.id) ?? null;
    } catch (error) {
      if (errorCode(error) === 'InvalidVpcID.NotFound') return null;
      throw error;
    }
  })();
  const [vpc, flowLogs] = await Promise.all([vpcTask, flowLogsOf(ref.id, scope, ref.region)]);
  if (!vpc) return { exists: false, vpcId: ref.id };
  return vpcState(vpc, flowLogs);
}

/**
 * The VPCs that lost coverage when these flow logs were deleted. The event names only flow-log ids,
 * and a deleted flow log can no longer be described. First one DescribeVpcs on logwarden's index
 * tag (set on each VPC it covered); only for ids logwarden did not create, one region listing
 * (DescribeVpcs + DescribeFlowLogs, paginated) finds the VPCs left without a compliant flow log.
 */
export async function resolveDeletedFlowLogs(
  ids: readonly string[],
  scope: Scope<FlowLogsPolicy>,
): Promise<Resolution<VpcRef, VpcState>> {
  const client = ec2(scope, scope.region);
  const refs = new Map<string, VpcRef>();
  const indexed = new Set<string>();
  for (let i = 0; i < ids.length; i += FILTER_VALUES) {
    const chunk = ids.slice(i, i + FILTER_VALUES);
    for await (const page of paginateDescribeVpcs(
      { client, pageSize: PAGE_SIZE },
      { Filters: [{ Name: `tag:${INDEX_TAG}`, Values: chunk }] },
    )) {
      for (const vpc of page.Vpcs ?? []) {
        if (!vpc.VpcId) continue;
        refs.set(vpc.VpcId, vpcRef(vpc.VpcId, scope));
        const id = tagsOf(vpc.Tags)[INDEX_TAG];
        if (id) indexed.add(id);
      }
    }
  }
  const unknown = ids.filter((id) => !indexed.has(id));
  const uncovered = new Map<string, VpcState>();
  if (unknown.length > 0) {
    const desired = desiredFlowLog(scope.policy);
    for (const [id, state] of await listVpcStates(scope)) {
      if (!refs.has(id) && diffVpc(state, desired).length > 0) uncovered.set(id, state);
    }
    for (const id of uncovered.keys()) refs.set(id, vpcRef(id, scope));
  }
  if (refs.size === 0) {
    return {
      ignore: `deleted flow log(s) ${ids.join(', ').slice(0, 300)} were not logwarden's and no VPC in ${scope.region} is left without a compliant flow log (they belonged to no governed VPC, or the VPC has another compliant flow log)`,
      resource: { id: ids.length === 1 ? (ids[0] as string) : `${ids.length} flow logs` },
    };
  }
  return { refs: [...refs.values()], preread: uncovered };
}

/** Is there a compliant flow log on the VPC now? Used when EC2 says one with this destination exists. */
async function confirmExisting(ref: VpcRef, d: DesiredFlowLog, scope: Scope<FlowLogsPolicy>): Promise<StepOutputs> {
  const flowLogs = await flowLogsOf(ref.id, scope, ref.region);
  const match = flowLogs.find((fl) => Object.keys(mismatches(fl, d)).length === 0);
  // A concurrent invocation (or an earlier attempt) made the identical flow log: that is success.
  if (match) return { [CREATED_FLOW_LOG]: match.id };
  const clash = flowLogs
    .map(
      (fl) =>
        `${fl.id}: ${Object.entries(mismatches(fl, d))
          .map(([k, v]) => `${k}=${String(v.observed)}`)
          .join(', ')}`,
    )
    .join('; ');
  throw new FlowLogCreationError(
    ref.id,
    'FlowLogAlreadyExists',
    `EC2 refuses a second flow log to ${d.destination} on ${ref.id}, and the existing one does not match the policy (${clash || 'not visible yet'})`,
    false,
  );
}

/** Make one write: CreateFlowLogs returns the new flow log's id, which CreateTags records on the VPC. */
export async function applyFlowLogStep(
  step: FlowLogStep,
  ref: VpcRef,
  d: DesiredFlowLog,
  scope: Scope<FlowLogsPolicy>,
  earlier: StepOutputs,
): Promise<StepOutputs> {
  if (step.api === 'ec2:CreateFlowLogs') return createFlowLog(step, ref, d, scope);
  const flowLogId = earlier[CREATED_FLOW_LOG];
  if (!flowLogId) throw new RemediationError('FlowLogIdUnknown', `no flow-log id to record on ${ref.id}`, true);
  const tags = [{ Key: INDEX_TAG, Value: flowLogId }];
  await ec2(scope, ref.region).send(new CreateTagsCommand({ Resources: [ref.id], Tags: tags }));
  return {};
}

async function createFlowLog(
  step: Extract<FlowLogStep, { api: 'ec2:CreateFlowLogs' }>,
  ref: VpcRef,
  d: DesiredFlowLog,
  scope: Scope<FlowLogsPolicy>,
): Promise<StepOutputs> {
  const input: CreateFlowLogsCommandInput = {
    ResourceType: 'VPC',
    ResourceIds: [ref.id],
    TrafficType: d.trafficType,
    LogDestinationType: d.destinationType,
    LogDestination: d.destination,
    ClientToken: step.clientToken,
    TagSpecifications: [
      {
        ResourceType: 'vpc-flow-log',
        Tags: [
          { Key: MANAGED_TAG, Value: 'true' },
          { Key: 'Name', Value: `logwarden-${ref.id}` },
        ],
      },
    ],
  };
  if (d.deliveryRoleArn) input.DeliverLogsPermissionArn = d.deliveryRoleArn;
  if (d.logFormat) input.LogFormat = d.logFormat;
  if (d.maxAggregationInterval) input.MaxAggregationInterval = d.maxAggregationInterval;
  let res: CreateFlowLogsCommandOutput;
  try {
    res = await ec2(scope, ref.region).send(new CreateFlowLogsCommand(input));
  } catch (error) {
    if (errorCode(error) === 'FlowLogAlreadyExists') return confirmExisting(ref, d, scope);
    throw error;
  }
  // HTTP 200 does not mean created: each refused resource is an Unsuccessful[] entry.
  const refused = (res.Unsuccessful ?? []).find((u) => !u.ResourceId || u.ResourceId === ref.id);
  if (refused) {
    const code = refused.Error?.Code ?? 'Unknown';
    if (code === 'FlowLogAlreadyExists') return confirmExisting(ref, d, scope);
    throw new FlowLogCreationError(
      ref.id,
      code,
      `EC2 refused the flow log for ${ref.id} (${code}: ${refused.Error?.Message ?? 'no message'})`,
      TRANSIENT.test(code),
    );
  }
  const id = res.FlowLogIds?.[0];
  if (!id) throw new RemediationError('FlowLogIdMissing', `CreateFlowLogs answered without a flow-log id for ${ref.id}`, true);
  return { [CREATED_FLOW_LOG]: id };
}
