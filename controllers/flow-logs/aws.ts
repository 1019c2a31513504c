import {
  CreateFlowLogsCommand,
  type CreateFlowLogsCommandInput,
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
import type { BatchItem, Listing, Observation, Resolution, Scope } from '../core/types.js';
import {
  clientToken,
  type DesiredFlowLog,
  desiredFlowLog,
  diffVpc,
  type FlowLogInfo,
  type FlowLogStep,
  mismatches,
  type VpcState,
} from './diff.js';
import { type VpcRef, vpcRef } from './events.js';
import type { FlowLogsPolicy } from './policy.js';

/** The largest page DescribeVpcs and DescribeFlowLogs return. */
const PAGE_SIZE = 1000;
/** EC2 takes at most 200 values per filter. */
const FILTER_VALUES = 200;
/** CreateFlowLogs takes at most 1,000 VPC ids. */
const CREATE_LIMIT = 1000;

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
    deliverLogsStatus: fl.DeliverLogsStatus ?? null,
    deliverLogsErrorMessage: fl.DeliverLogsErrorMessage || null,
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
 * the write only adds a flow log.
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
 * and a deleted flow log can no longer be described: one region listing (DescribeVpcs +
 * DescribeFlowLogs, paginated) finds the VPCs left without a compliant flow log, with their states.
 */
export async function resolveDeletedFlowLogs(
  ids: readonly string[],
  scope: Scope<FlowLogsPolicy>,
): Promise<Resolution<VpcRef, VpcState>> {
  const desired = desiredFlowLog(scope.policy, scope);
  const uncovered = new Map<string, VpcState>();
  for (const [id, state] of await listVpcStates(scope)) if (diffVpc(state, desired).length > 0) uncovered.set(id, state);
  if (uncovered.size === 0) {
    return {
      ignore: `deleted flow log(s) ${ids.join(', ').slice(0, 300)}: no VPC in ${scope.region} is left without a compliant flow log (they belonged to no governed VPC, or the VPC has another compliant flow log)`,
      resource: { id: ids.length === 1 ? (ids[0] as string) : `${ids.length} flow logs` },
    };
  }
  return { refs: [...uncovered.keys()].map((id) => vpcRef(id, scope)), preread: uncovered };
}

/** Is there a compliant flow log on the VPC now? Used when EC2 says one with this destination exists. */
async function confirmExisting(vpcId: string, d: DesiredFlowLog, scope: Scope<FlowLogsPolicy>): Promise<void> {
  const flowLogs = await flowLogsOf(vpcId, scope, scope.region);
  // A concurrent invocation (or an earlier attempt) made the identical flow log: that is success.
  if (flowLogs.some((fl) => Object.keys(mismatches(fl, d)).length === 0)) return;
  const clash = flowLogs
    .map(
      (fl) =>
        `${fl.id}: ${Object.entries(mismatches(fl, d))
          .map(([k, v]) => `${k}=${String(v.observed)}`)
          .join(', ')}`,
    )
    .join('; ');
  throw new FlowLogCreationError(
    vpcId,
    'FlowLogAlreadyExists',
    `EC2 refuses a second flow log to ${d.destination} on ${vpcId}, and the existing one does not match the policy (${clash || 'not visible yet'})`,
    false,
  );
}

/** Event-driven remediation: one CreateFlowLogs for the VPC. */
export async function applyFlowLogStep(
  _step: FlowLogStep,
  ref: VpcRef,
  d: DesiredFlowLog,
  scope: Scope<FlowLogsPolicy>,
): Promise<void> {
  let refused: unknown;
  try {
    refused = (await createFlowLogs([ref.id], d, scope)).get(ref.id);
  } catch (error) {
    refused = error;
  }
  if (refused === undefined) return;
  const code = refused instanceof FlowLogCreationError ? refused.awsCode : errorCode(refused);
  if (code === 'FlowLogAlreadyExists') return confirmExisting(ref.id, d, scope);
  throw refused;
}

/** The request for flow logs on these VPCs; logwarden's tag marks them (the flow log names its VPC itself). */
function createRequest(vpcIds: string[], d: DesiredFlowLog, runId: string): CreateFlowLogsCommandInput {
  const input: CreateFlowLogsCommandInput = {
    ResourceType: 'VPC',
    ResourceIds: vpcIds,
    TrafficType: d.trafficType,
    LogDestinationType: d.destinationType,
    LogDestination: d.destination,
    ClientToken: clientToken(vpcIds, d, runId),
    TagSpecifications: [
      {
        ResourceType: 'vpc-flow-log',
        Tags: [
          { Key: MANAGED_TAG, Value: 'true' },
          { Key: 'Name', Value: 'logwarden' },
        ],
      },
    ],
  };
  if (d.deliveryRoleArn) input.DeliverLogsPermissionArn = d.deliveryRoleArn;
  if (d.logFormat) input.LogFormat = d.logFormat;
  if (d.maxAggregationInterval) input.MaxAggregationInterval = d.maxAggregationInterval;
  return input;
}

/**
 * CreateFlowLogs for many VPCs, at most 1,000 per call (EC2's limit). HTTP 200 does not mean created:
 * each refused VPC is an `Unsuccessful[]` entry, returned here as its error by VPC id. A call that
 * fails as a whole throws.
 */
async function createFlowLogs(
  vpcIds: readonly string[],
  d: DesiredFlowLog,
  scope: Scope<FlowLogsPolicy>,
): Promise<Map<string, unknown>> {
  const refused = new Map<string, unknown>();
  for (let i = 0; i < vpcIds.length; i += CREATE_LIMIT) {
    const chunk = vpcIds.slice(i, i + CREATE_LIMIT);
    const res = await ec2(scope, scope.region).send(new CreateFlowLogsCommand(createRequest(chunk, d, scope.runId)));
    for (const u of res.Unsuccessful ?? []) {
      const code = u.Error?.Code ?? 'Unknown';
      // An entry without a resource id cannot be told apart: it refuses the whole chunk.
      for (const vpcId of u.ResourceId ? [u.ResourceId] : chunk) {
        const message = `EC2 refused the flow log for ${vpcId} (${code}: ${u.Error?.Message ?? 'no message'})`;
        refused.set(vpcId, new FlowLogCreationError(vpcId, code, message, TRANSIENT.test(code)));
      }
    }
  }
  return refused;
}

/** The flow logs of many VPCs (DescribeFlowLogs filtered by resource-id, 200 per filter, paginated). */
async function flowLogsOfMany(vpcIds: readonly string[], scope: Scope<FlowLogsPolicy>): Promise<Map<string, FlowLogInfo[]>> {
  const byVpc = new Map<string, FlowLogInfo[]>(vpcIds.map((id) => [id, []]));
  for (let i = 0; i < vpcIds.length; i += FILTER_VALUES) {
    const filter = [{ Name: 'resource-id', Values: vpcIds.slice(i, i + FILTER_VALUES) }];
    for await (const page of paginateDescribeFlowLogs(
      { client: ec2(scope, scope.region), pageSize: PAGE_SIZE },
      { Filter: filter },
    )) {
      for (const fl of page.FlowLogs ?? []) if (fl.ResourceId) byVpc.get(fl.ResourceId)?.push(flowLogInfo(fl));
    }
  }
  return byVpc;
}

/**
 * A sweep's batched write. A VPC refused with `FlowLogAlreadyExists` (a racing invocation made one) is
 * not failed here: the batched verification read decides whether its flow log is compliant.
 */
export async function applyFlowLogBatch(
  items: readonly BatchItem<VpcRef, VpcState, FlowLogStep>[],
  d: DesiredFlowLog,
  scope: Scope<FlowLogsPolicy>,
): Promise<Map<string, unknown>> {
  const refused = await createFlowLogs(
    items.map((item) => item.ref.id),
    d,
    scope,
  );
  for (const [vpcId, error] of refused) {
    if (error instanceof FlowLogCreationError && error.awsCode === 'FlowLogAlreadyExists') refused.delete(vpcId);
  }
  return refused;
}

/** The batched re-read: each VPC's flow logs again (filtered listing); the VPC itself as the decision saw it. */
export async function observeFlowLogBatch(
  items: readonly BatchItem<VpcRef, VpcState, FlowLogStep>[],
  scope: Scope<FlowLogsPolicy>,
): Promise<Map<string, VpcState>> {
  const flowLogs = await flowLogsOfMany(
    items.map((item) => item.ref.id),
    scope,
  );
  return new Map(
    items.map(({ ref, state }) => [ref.id, state.exists ? { ...state, flowLogs: flowLogs.get(ref.id) ?? [] } : state]),
  );
}
