import type { Drift } from '../core/record.js';
import type { Step } from '../core/types.js';
import type { ClusterRef } from './events.js';
import { type EksControlPlaneLogsPolicy, LOG_TYPES, type LogType } from './policy.js';

/**
 * A logging update EKS accepted and has not failed (DescribeUpdate `InProgress` or `Successful`).
 * Only read to verify logwarden's own write: EKS applies logging changes asynchronously.
 */
export interface AcceptedUpdate {
  id: string;
  status: 'InProgress' | 'Successful';
  types: LogType[];
}

/** What logwarden reads about a cluster (DescribeCluster). `missing` on ResourceNotFoundException. */
export type ClusterState =
  | { kind: 'missing' }
  | {
      kind: 'cluster';
      arn: string;
      /** CREATING, ACTIVE, DELETING, FAILED, UPDATING or PENDING. */
      status: string;
      /** A cluster registered with the EKS Connector: EKS does not run its control plane. */
      connected: boolean;
      /** The log types DescribeCluster reports enabled. */
      enabledTypes: string[];
      tags: Record<string, string>;
      acceptedUpdate: AcceptedUpdate | null;
    };

export interface DesiredLogging {
  logTypes: LogType[];
}

/** One UpdateClusterConfig enabling the missing types; `clusterStatus` is the status the decision saw. */
export type ClusterStep = Step & { api: 'eks:UpdateClusterConfig'; types: LogType[]; clusterStatus: string };

/** Statuses in which EKS refuses a configuration update for now; a later delivery or the sweep succeeds. */
export const NOT_READY_STATUSES: readonly string[] = ['CREATING', 'UPDATING', 'PENDING'];

/** The drift property of a log type (every one of them means logging is off). */
const driftProperty = (type: LogType) => `logTypes.${type}`;
export const LOGGING_OFF_DRIFT: readonly string[] = LOG_TYPES.map(driftProperty);

export function desiredLogging(_ref: ClusterRef, policy: EksControlPlaneLogsPolicy): DesiredLogging {
  return { logTypes: [...policy.logTypes] };
}

/** The policy's types the cluster does not export, in policy order. Pure. */
function missingTypes(state: ClusterState, d: DesiredLogging): LogType[] {
  if (state.kind !== 'cluster') return [];
  const accepted = state.acceptedUpdate?.types ?? [];
  return d.logTypes.filter((t) => !state.enabledTypes.includes(t) && !accepted.includes(t));
}

/** One drift per policy type that is not exported. Extra enabled types are fine. Pure. */
export function diffLogging(state: ClusterState, d: DesiredLogging): Drift[] {
  return missingTypes(state, d).map((t) => ({ property: driftProperty(t), observed: false, desired: true }));
}

/** One UpdateClusterConfig that enables only the missing types (EKS merges per type). Pure. */
export function planLogging(state: ClusterState, d: DesiredLogging, drift: readonly Drift[]): ClusterStep[] {
  const types = missingTypes(state, d);
  if (state.kind !== 'cluster' || drift.length === 0 || types.length === 0) return [];
  return [
    {
      api: 'eks:UpdateClusterConfig',
      description: `enable control-plane log type(s) ${types.join(', ')}`,
      types,
      clusterStatus: state.status,
    },
  ];
}

/** Why a cluster is not this guardrail's to change, or null. Pure. */
export function skipReasonOf(ref: ClusterRef, state: ClusterState): string | null {
  if (state.kind === 'missing') {
    return `cluster ${ref.id} does not exist (ResourceNotFoundException): deleted before it could be checked; nothing to do`;
  }
  if (state.status === 'DELETING') {
    return `cluster ${ref.id} is being deleted (status DELETING): its control plane and its logs go with it; nothing to restore`;
  }
  if (state.connected) {
    return `cluster ${ref.id} is a connected cluster (EKS Connector): EKS does not run its control plane, so it has no control-plane logs`;
  }
  return null;
}

/**
 * A FAILED cluster is reported, never written: EKS accepts no configuration update on it, and only a
 * person can decide to repair or delete it. Pure.
 */
export function reportOnlyReason(state: ClusterState, runbook: string): string | null {
  if (state.kind !== 'cluster' || state.status !== 'FAILED') return null;
  return `cluster is FAILED: EKS accepts no logging update on it; repair or delete it (see ${runbook})`;
}
