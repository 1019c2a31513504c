import type { Guardrail } from '../core/types.js';
import { applyLoadBalancerStep, listLoadBalancerRefs, observeLoadBalancer, RUNBOOK } from './aws.js';
import { type DesiredLogs, desiredLogs, diffLogs, type LoadBalancerState, type LoadBalancerStep, planLogs } from './diff.js';
import {
  LOAD_BALANCER_EVENT_SAMPLE,
  LOAD_BALANCER_EVENTS,
  type LoadBalancerRef,
  RESOURCE_TYPE,
  refsFromEvent,
  resolveLoadBalancer,
} from './events.js';
import { type LoadBalancerLogsPolicy, loadBalancerLogsPolicySchema } from './policy.js';

/**
 * Load-balancer logs guardrail: every Application Load Balancer, and every Network Load Balancer
 * with a TLS listener, keeps access logs on to the account's log bucket of its region under the
 * policy's prefix; optionally ALB connection logs too. Gateway and Classic Load Balancers are not
 * governed.
 *
 * @example
 * // policy.guardrails["load-balancer-logs"]
 * { "mode": "remediate", "bucket": "elb-logs-{account}-{region}", "prefix": "lb", "connectionLogs": true }
 */
export const loadBalancerLogs: Guardrail<
  LoadBalancerLogsPolicy,
  LoadBalancerRef,
  LoadBalancerState,
  DesiredLogs,
  LoadBalancerStep
> = {
  name: 'load-balancer-logs',
  title: 'Load balancers keep access logs to the log bucket',
  resourceType: RESOURCE_TYPE,
  runbook: RUNBOOK,
  policySchema: loadBalancerLogsPolicySchema,
  // Off, or delivered to a bucket that is not the policy's (logs the organization never sees). A prefix is settings-level.
  loggingOffDrift: ['accessLogsEnabled', 'accessLogsBucket', 'connectionLogsEnabled', 'connectionLogsBucket'],
  iamActions: [
    'elasticloadbalancing:DescribeLoadBalancers',
    'elasticloadbalancing:DescribeLoadBalancerAttributes',
    'elasticloadbalancing:DescribeListeners',
    'elasticloadbalancing:DescribeTags',
    'elasticloadbalancing:ModifyLoadBalancerAttributes',
    's3:GetBucketLocation',
    's3:GetBucketPolicy',
  ],
  // Application and Network Load Balancers of the account only: Gateway and Classic ones are not governed.
  scopedPermissions: () => [
    {
      actions: ['elasticloadbalancing:ModifyLoadBalancerAttributes'],
      resources: [
        'arn:{partition}:elasticloadbalancing:*:*:loadbalancer/app/*',
        'arn:{partition}:elasticloadbalancing:*:*:loadbalancer/net/*',
      ],
    },
  ],
  unscopedActions: [
    {
      actions: [
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeLoadBalancerAttributes',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeTags',
        's3:GetBucketLocation',
        's3:GetBucketPolicy',
      ],
      why: 'reads: ELB Describe calls have no resource-level permissions; the log bucket is read to check delivery',
    },
  ],
  cloudTrailEvents: [
    { source: 'aws.elasticloadbalancing', eventNames: LOAD_BALANCER_EVENTS, sample: LOAD_BALANCER_EVENT_SAMPLE },
  ],
  refsFromCloudTrail: (detail, scope) => refsFromEvent(detail, scope),
  refFromResourceId: (id, scope) => resolveLoadBalancer(id, scope),
  listRefs: listLoadBalancerRefs,
  desired: desiredLogs,
  observe: observeLoadBalancer,
  tagsOf: (state) => (state.kind === 'balancer' ? state.tags : {}),
  skipReason: (ref, state) => {
    if (state.kind === 'missing') {
      return `load balancer ${ref.name} does not exist (LoadBalancerNotFound): deleted before it could be checked; nothing to do`;
    }
    return state.kind === 'ungoverned' ? state.reason : null;
  },
  diff: diffLogs,
  plan: planLogs,
  apply: applyLoadBalancerStep,
};
