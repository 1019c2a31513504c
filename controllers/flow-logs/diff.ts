import { createHash } from 'node:crypto';
import type { Drift } from '../core/record.js';
import type { Step } from '../core/types.js';
import { type FlowLogsPolicy, resolveDestination, whereOf } from './policy.js';

/** One flow log attached to a VPC, as DescribeFlowLogs reports it. */
export interface FlowLogInfo {
  id: string;
  status: string | null;
  trafficType: string | null;
  destinationType: string | null;
  /** `LogDestination`: the bucket ARN (with prefix) or the log group ARN. */
  destination: string | null;
  logGroupName: string | null;
  deliverLogsPermissionArn: string | null;
  logFormat: string | null;
  maxAggregationInterval: number | null;
  managed: boolean;
  /** `DeliverLogsStatus`: SUCCESS, FAILED or null when EC2 does not say. */
  deliverLogsStatus: string | null;
  /** `DeliverLogsErrorMessage` when delivery failed (e.g. `Access error`, `Rate limited`). */
  deliverLogsErrorMessage: string | null;
}

/** What logwarden reads about a VPC. `exists: false` when DescribeVpcs says InvalidVpcID.NotFound. */
export type VpcState =
  | { exists: false; vpcId: string }
  | {
      exists: true;
      vpcId: string;
      ownerId: string | null;
      isDefault: boolean;
      tags: Record<string, string>;
      flowLogs: FlowLogInfo[];
    };

/** The flow log the policy wants on every VPC. */
export interface DesiredFlowLog {
  trafficType: 'ALL' | 'ACCEPT' | 'REJECT';
  destinationType: 's3' | 'cloud-watch-logs';
  /** Normalized LogDestination: `arn:aws:s3:::bucket[/prefix]` or the log group ARN. */
  destination: string;
  /** CloudWatch Logs only. */
  logGroupName: string | null;
  deliveryRoleArn: string | null;
  logFormat: string | null;
  maxAggregationInterval: 60 | 600 | null;
}

/** The one write: a flow log for the VPC (in a sweep, one call carries many VPCs). */
export type FlowLogStep = Step & { api: 'ec2:CreateFlowLogs' };

/** `arn:aws:logs:r:a:log-group:NAME` (or `...:NAME:*`) → NAME. */
function logGroupNameOf(arn: string): string | null {
  const m = /^arn:[^:]+:logs:[^:]*:\d*:log-group:([^:]+)(:\*)?$/.exec(arn);
  return m ? (m[1] as string) : null;
}

/** Trailing slashes and a trailing `:*` do not change where logs go. */
function normalizeDestination(destination: string): string {
  return destination.replace(/:\*$/, '').replace(/\/+$/, '');
}

/**
 * The desired flow log, from the policy, its destination's placeholders filled in for the account
 * and region governed (`where`): diff and verification compare resolved values. Pure.
 */
export function desiredFlowLog(policy: FlowLogsPolicy, where: { account: string; region: string }): DesiredFlowLog {
  const d = resolveDestination(policy.destination, whereOf(where));
  const common = {
    trafficType: policy.trafficType,
    logFormat: policy.logFormat ?? null,
    maxAggregationInterval: policy.maxAggregationInterval ?? null,
  };
  if (d.type === 's3') {
    return {
      ...common,
      destinationType: 's3',
      destination: d.prefix ? `${d.bucketArn}/${d.prefix}` : d.bucketArn,
      logGroupName: null,
      deliveryRoleArn: null,
    };
  }
  return {
    ...common,
    destinationType: 'cloud-watch-logs',
    destination: normalizeDestination(d.logGroupArn),
    logGroupName: logGroupNameOf(d.logGroupArn),
    deliveryRoleArn: d.deliveryRoleArn,
  };
}

/** The properties of one flow log that differ from the desired one. Empty: this flow log is compliant. Pure. */
export function mismatches(fl: FlowLogInfo, d: DesiredFlowLog): Record<string, { observed: unknown; desired: unknown }> {
  const out: Record<string, { observed: unknown; desired: unknown }> = {};
  const check = (property: string, observed: unknown, desired: unknown) => {
    if (observed !== desired) out[property] = { observed, desired };
  };
  check('status', fl.status, 'ACTIVE');
  check('trafficType', fl.trafficType, d.trafficType);
  check('destinationType', fl.destinationType, d.destinationType);
  if (d.destinationType === 's3') {
    check('destination', fl.destination ? normalizeDestination(fl.destination) : null, d.destination);
  } else {
    // Flow logs made with LogGroupName report the name; those made with a LogDestination ARN report the ARN.
    const group = fl.logGroupName ?? (fl.destination ? logGroupNameOf(fl.destination) : null);
    check('logGroupName', group, d.logGroupName);
    check('deliverLogsPermissionArn', fl.deliverLogsPermissionArn, d.deliveryRoleArn);
  }
  if (d.logFormat !== null) check('logFormat', fl.logFormat, d.logFormat);
  if (d.maxAggregationInterval !== null) check('maxAggregationInterval', fl.maxAggregationInterval, d.maxAggregationInterval);
  return out;
}

/** The desired flow log, as shown in drift records. */
function summary(d: DesiredFlowLog): Record<string, unknown> {
  const out: Record<string, unknown> = { status: 'ACTIVE', trafficType: d.trafficType, destination: d.destination };
  if (d.deliveryRoleArn) out.deliverLogsPermissionArn = d.deliveryRoleArn;
  if (d.logFormat) out.logFormat = d.logFormat;
  if (d.maxAggregationInterval) out.maxAggregationInterval = d.maxAggregationInterval;
  return out;
}

/**
 * Compare a VPC's flow logs with the policy. Pure. Compliant when at least one flow log matches;
 * otherwise one `flowLog` drift whose `observed` lists every existing flow log with what differs
 * (a REJECT-only or wrongly delivered flow log is drift, and it is kept: logwarden adds a compliant one).
 */
export function diffVpc(state: VpcState, d: DesiredFlowLog): Drift[] {
  if (!state.exists) return [{ property: 'vpc', observed: 'not found', desired: 'exists' }];
  const existing = state.flowLogs.map((fl) => ({ fl, diff: mismatches(fl, d) }));
  const matching = existing.filter((e) => Object.keys(e.diff).length === 0).map((e) => e.fl);
  if (matching.some((fl) => fl.deliverLogsStatus !== 'FAILED')) return [];
  if (matching.length > 0) return [deliveryDrift(matching)];
  const observed =
    existing.length === 0
      ? 'no flow log'
      : existing.map(({ fl, diff }) => ({
          id: fl.id,
          managedByLogwarden: fl.managed,
          ...Object.fromEntries(Object.entries(diff).map(([k, v]) => [k, v.observed])),
        }));
  return [{ property: 'flowLog', observed, desired: summary(d) }];
}

/** The policy's flow logs exist but EC2 says none of them delivers. Pure. */
function deliveryDrift(failed: readonly FlowLogInfo[]): Drift {
  return {
    property: 'delivery',
    observed: failed.map((fl) => ({
      id: fl.id,
      managedByLogwarden: fl.managed,
      deliverLogsStatus: fl.deliverLogsStatus,
      deliverLogsErrorMessage: fl.deliverLogsErrorMessage,
      deliverLogsPermissionArn: fl.deliverLogsPermissionArn,
    })),
    desired: { deliverLogsStatus: 'SUCCESS' },
  };
}

/** EC2's messages for a delivery role that cannot be assumed or lacks permissions. */
const ROLE_ERROR = /access|role|permission|assume/i;

/**
 * Why failed delivery is only reported. Pure. logwarden never writes a second identical flow log
 * (EC2 refuses it) nor deletes one, and what fails is the destination or its delivery role: the
 * role and log group of the member stack (a StackSet repair), or a destination of the log archive.
 * The reason says which, with EC2's error.
 */
export function flowLogDeliveryProblem(drift: readonly Drift[], d: DesiredFlowLog): string | null {
  const delivery = drift.find((x) => x.property === 'delivery');
  if (!delivery || drift.length > 1) return null;
  const failed = delivery.observed as {
    id: string;
    deliverLogsErrorMessage: string | null;
    deliverLogsPermissionArn: string | null;
  }[];
  const errors = [...new Set(failed.map((f) => f.deliverLogsErrorMessage ?? 'no error message'))].join('; ');
  const ids = failed.map((f) => f.id).join(', ');
  const roleCause = d.deliveryRoleArn !== null && failed.some((f) => ROLE_ERROR.test(f.deliverLogsErrorMessage ?? ''));
  const cause = roleCause
    ? `the delivery role ${d.deliveryRoleArn} (logwarden's member stack owns it and log group ${d.logGroupName}) is missing or changed: repair the member stack; EC2 resumes delivery on the same flow log`
    : `the destination ${d.destination} refuses delivery; it is not logwarden's to change`;
  return `flow log(s) ${ids} match the policy but EC2 reports DeliverLogsStatus FAILED (${errors}): ${cause} (runbooks/flow-logs.md#delivery)`;
}

/**
 * A deterministic ClientToken for one CreateFlowLogs call: the same for a redelivery of the same
 * event with the same VPCs (so repeated deliveries make one flow log each), different for any
 * later event (so a recreation after a deletion is never answered with the deleted flow log's id).
 * At most 64 ASCII characters.
 */
export function clientToken(vpcIds: readonly string[], d: DesiredFlowLog, runId: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([[...vpcIds].sort(), d, runId]))
    .digest('hex');
  return `logwarden-${hash.slice(0, 48)}`;
}

/** The write that gives the VPC a compliant flow log. Pure. */
export function planVpc(state: VpcState, d: DesiredFlowLog, drift: readonly Drift[]): FlowLogStep[] {
  // Failed delivery has no write: a second identical flow log is refused (see flowLogDeliveryProblem).
  if (!state.exists || !drift.some((x) => x.property === 'flowLog')) return [];
  const where = d.destinationType === 's3' ? d.destination : `log group ${d.logGroupName}`;
  return [
    {
      api: 'ec2:CreateFlowLogs',
      description: `create a ${d.trafficType} flow log for ${state.vpcId} delivering to ${where}`,
    },
  ];
}
