import type { Guardrail } from '../core/types.js';
import {
  applyFlowLogBatch,
  applyFlowLogStep,
  listVpcRefs,
  observeFlowLogBatch,
  observeVpc,
  resolveDeletedFlowLogs,
} from './aws.js';
import {
  type DesiredFlowLog,
  desiredFlowLog,
  diffVpc,
  type FlowLogStep,
  flowLogDeliveryProblem,
  planVpc,
  type VpcState,
} from './diff.js';
import { FLOW_LOG_EVENT_SAMPLE, FLOW_LOG_EVENTS, RESOURCE_TYPE, resolveVpcId, targetOfEvent, type VpcRef } from './events.js';
import { deliveryRoleGrant, type FlowLogsPolicy, flowLogsPolicySchema } from './policy.js';

/**
 * VPC flow-logs guardrail: every VPC of a governed region keeps at least one ACTIVE flow log with
 * the policy's traffic type, destination, format and aggregation interval. Missing coverage is
 * fixed with `CreateFlowLogs` (in a sweep, one call for many VPCs); flow logs that do not match are
 * reported and kept, never deleted. A compliant flow log whose delivery EC2 reports FAILED is reported
 * with EC2's error (`delivery`).
 *
 * @example
 * // policy.guardrails["flow-logs"]
 * { "mode": "remediate", "trafficType": "ALL",
 *   "destination": { "type": "s3", "bucketArn": "arn:aws:s3:::central-flow-logs", "prefix": "vpc" } }
 * // or, to each account's own group and role (the member stack's; placeholders filled in per deployment):
 * { "mode": "remediate", "destination": { "type": "cloud-watch-logs",
 *   "logGroupArn": "arn:{partition}:logs:{region}:{account}:log-group:/logwarden/vpc-flow-logs",
 *   "deliveryRoleArn": "arn:{partition}:iam::{account}:role/logwarden-flow-logs-{region}" } }
 */
export const flowLogs: Guardrail<FlowLogsPolicy, VpcRef, VpcState, DesiredFlowLog, FlowLogStep> = {
  name: 'flow-logs',
  title: 'Every VPC keeps an active flow log',
  resourceType: RESOURCE_TYPE,
  runbook: 'runbooks/flow-logs.md',
  policySchema: flowLogsPolicySchema,
  // No flow log to the policy destination (deleted, or only wrong ones left). `vpc`: the VPC is gone, nothing to log.
  loggingOffDrift: ['flowLog'],
  iamActions: ['ec2:DescribeVpcs', 'ec2:DescribeFlowLogs', 'ec2:CreateFlowLogs'],
  unscopedActions: [
    { actions: ['ec2:DescribeVpcs', 'ec2:DescribeFlowLogs'], why: 'EC2 Describe calls have no resource-level permissions' },
  ],
  scopedPermissions: (policy) => [
    // Every VPC of the account is governed: flow logs on the account's VPCs, tagged on creation (CreateTags on the new flow log).
    {
      actions: ['ec2:CreateFlowLogs'],
      resources: ['arn:{partition}:ec2:*:*:vpc/*', 'arn:{partition}:ec2:*:*:vpc-flow-log/*'],
    },
    { actions: ['ec2:CreateTags'], resources: ['arn:{partition}:ec2:*:*:vpc-flow-log/*'] },
    ...(policy.destination.type === 'cloud-watch-logs'
      ? // EC2 checks iam:PassRole on the delivery role when the flow log is created.
        [
          {
            actions: ['iam:PassRole'],
            resources: [deliveryRoleGrant(policy.destination.deliveryRoleArn)],
            passedToService: 'vpc-flow-logs.amazonaws.com',
          },
        ]
      : [
          {
            actions: ['logs:CreateLogDelivery', 'logs:DeleteLogDelivery'],
            resources: ['*'],
            why: 'publishing flow logs to S3 needs the log-delivery permissions, which have no resource-level permissions',
          },
        ]),
  ],
  cloudTrailEvents: [{ source: 'aws.ec2', eventNames: FLOW_LOG_EVENTS, sample: FLOW_LOG_EVENT_SAMPLE }],
  refsFromCloudTrail: async (detail, scope) => {
    const target = targetOfEvent(detail, scope);
    return 'flowLogIds' in target ? resolveDeletedFlowLogs(target.flowLogIds, scope) : target;
  },
  refFromResourceId: (id, scope) => resolveVpcId(id, scope),
  listRefs: listVpcRefs,
  desired: (ref, policy) => desiredFlowLog(policy, ref),
  observe: observeVpc,
  tagsOf: (state) => (state.exists ? state.tags : {}),
  skipReason: (ref, state, scope) => {
    if (!state.exists) return `VPC ${ref.id} no longer exists (InvalidVpcID.NotFound); there is nothing to cover`;
    if (state.ownerId && state.ownerId !== scope.account) {
      return `VPC ${ref.id} is owned by account ${state.ownerId} (shared with this account); it is governed there`;
    }
    return null;
  },
  // Logs not delivered: the destination is not logwarden's to fix; `failed` pages on-call (#13).
  unrestorable: (ref, _state, drift, policy) => flowLogDeliveryProblem(drift, desiredFlowLog(policy, ref)),
  diff: diffVpc,
  plan: planVpc,
  apply: applyFlowLogStep,
  // A sweep gives every uncovered VPC its flow log in one CreateFlowLogs per 1,000 VPCs and verifies
  // them with one filtered DescribeFlowLogs per 200: the policy's flow log is the same for all.
  batch: { groupOf: (step) => step.api, applyMany: applyFlowLogBatch, observeMany: observeFlowLogBatch },
};
