import type { Guardrail } from '../core/types.js';
import { applyClusterStep, listClusterRefs, observeCluster, RUNBOOK } from './aws.js';
import {
  type ClusterState,
  type ClusterStep,
  type DesiredLogging,
  desiredLogging,
  diffLogging,
  LOGGING_OFF_DRIFT,
  planLogging,
  reportOnlyReason,
  skipReasonOf,
} from './diff.js';
import { CLUSTER_EVENT_SAMPLE, CLUSTER_EVENTS, type ClusterRef, RESOURCE_TYPE, refsFromEvent, resolveCluster } from './events.js';
import { type EksControlPlaneLogsPolicy, eksControlPlaneLogsPolicySchema } from './policy.js';

/**
 * EKS control-plane logs guardrail: every EKS cluster of the account exports the policy's
 * control-plane log types (default `api`, `audit`, `authenticator`) to CloudWatch Logs. Only the
 * missing types are enabled; types the policy does not list are never touched.
 *
 * @example
 * // policy.json
 * { "guardrails": { "eks-control-plane-logs": { "logTypes": ["api", "audit", "authenticator"] } } }
 */
export const eksControlPlaneLogs: Guardrail<EksControlPlaneLogsPolicy, ClusterRef, ClusterState, DesiredLogging, ClusterStep> = {
  name: 'eks-control-plane-logs',
  title: 'EKS clusters keep their control-plane logs',
  resourceType: RESOURCE_TYPE,
  runbook: RUNBOOK,
  policySchema: eksControlPlaneLogsPolicySchema,
  // Every drift is a log type switched off.
  loggingOffDrift: LOGGING_OFF_DRIFT,
  iamActions: ['eks:ListClusters', 'eks:DescribeCluster', 'eks:UpdateClusterConfig', 'eks:DescribeUpdate'],
  // Every cluster of the account is governed: the write on the account's clusters, nothing else.
  scopedPermissions: () => [{ actions: ['eks:UpdateClusterConfig'], resources: ['arn:{partition}:eks:*:*:cluster/*'] }],
  unscopedActions: [
    {
      actions: ['eks:ListClusters', 'eks:DescribeCluster', 'eks:DescribeUpdate'],
      why: 'reads: listing has no resource-level permissions, and any cluster of the account may be named by an event',
    },
  ],
  cloudTrailEvents: [{ source: 'aws.eks', eventNames: CLUSTER_EVENTS, sample: CLUSTER_EVENT_SAMPLE }],
  refsFromCloudTrail: (detail, scope) => refsFromEvent(detail, scope),
  refFromResourceId: (id, scope) => resolveCluster(id, scope),
  listRefs: listClusterRefs,
  desired: desiredLogging,
  observe: observeCluster,
  tagsOf: (state) => (state.kind === 'cluster' ? state.tags : {}),
  skipReason: (ref, state) => skipReasonOf(ref, state),
  reportOnly: (_ref, state) => reportOnlyReason(state, RUNBOOK),
  diff: diffLogging,
  plan: planLogging,
  apply: applyClusterStep,
};
