import type { Guardrail, ScopedPermission } from '../core/types.js';
import { applyQueryLogStep, listVpcRefs, observeVpc, resolveDeletedConfig } from './aws.js';
import { type DesiredQueryLogging, desiredQueryLogging, diffVpc, planVpc, type QueryLogStep, type VpcState } from './diff.js';
import {
  accountOfRef,
  RESOLVER_EVENT_SAMPLE,
  RESOLVER_EVENTS,
  RESOURCE_TYPE,
  resolveVpcId,
  targetOfEvent,
  VPC_EVENT_SAMPLE,
  VPC_EVENTS,
  type VpcRef,
} from './events.js';
import {
  ACCOUNT_PLACEHOLDER,
  REGION_PLACEHOLDER,
  type ResolverQueryLogsPolicy,
  resolverQueryLogsPolicySchema,
} from './policy.js';

/** The destination ARN as an IAM resource: placeholders become wildcards (the infrastructure narrows the account). */
function destinationResource(policy: ResolverQueryLogsPolicy): string {
  const d = policy.destination;
  const arn = d.type === 's3' ? d.bucketArn.split('/')[0] : d.type === 'cloud-watch-logs' ? d.logGroupArn : d.deliveryStreamArn;
  return (arn as string).split(ACCOUNT_PLACEHOLDER).join('*').split(REGION_PLACEHOLDER).join('*');
}

/**
 * Permissions AWS checks on the caller of CreateResolverQueryLogConfig although the code does not call
 * them ("Permissions required to configure Resolver query logging", Route 53 developer guide): the
 * vended-logs delivery actions (no resource-level scoping), tagging on create, and per destination
 * type the destination's resource policy (S3, CloudWatch Logs) or the service-linked role and stream
 * tag (Firehose).
 */
function deliveryPermissions(policy: ResolverQueryLogsPolicy): ScopedPermission[] {
  const delivery = {
    actions: [
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'route53resolver:TagResource',
    ],
    resources: ['*'],
    why: 'the vended-logs delivery actions have no resource-level permissions; TagResource tags the configuration being created',
  };
  const target = destinationResource(policy);
  if (policy.destination.type === 's3')
    return [delivery, { actions: ['s3:GetBucketPolicy', 's3:PutBucketPolicy'], resources: [target] }];
  if (policy.destination.type === 'cloud-watch-logs') {
    return [
      delivery,
      // CloudWatch Logs resource policies and group listing are account-level: no resource scoping exists.
      {
        actions: ['logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
        resources: ['*'],
        why: 'CloudWatch Logs resource policies and group listing are account-level',
      },
    ];
  }
  return [
    delivery,
    { actions: ['firehose:TagDeliveryStream'], resources: [target] },
    {
      actions: ['iam:CreateServiceLinkedRole'],
      resources: ['arn:{partition}:iam::*:role/aws-service-role/delivery.logs.amazonaws.com/AWSServiceRoleForLogDelivery'],
    },
  ];
}

/**
 * Route 53 Resolver query logging guardrail: every VPC of a governed region is associated with a
 * query logging configuration delivering to the policy's destination. A VPC without one is
 * associated with logwarden's configuration (created, tagged, when the region has none); other
 * associations are reported and kept, never removed.
 *
 * @example
 * // policy.guardrails["resolver-query-logs"]
 * { "mode": "remediate", "destination": { "type": "s3", "bucketArn": "arn:aws:s3:::central-dns-query-logs" } }
 */
export const resolverQueryLogs: Guardrail<ResolverQueryLogsPolicy, VpcRef, VpcState, DesiredQueryLogging, QueryLogStep> = {
  name: 'resolver-query-logs',
  title: 'Every VPC logs its DNS queries (Route 53 Resolver query logging)',
  resourceType: RESOURCE_TYPE,
  runbook: 'runbooks/resolver-query-logs.md',
  policySchema: resolverQueryLogsPolicySchema,
  // No live association to the destination. `vpc`: the VPC is gone, nothing to log.
  loggingOffDrift: ['queryLogging'],
  iamActions: [
    'ec2:DescribeVpcs',
    'route53resolver:ListResolverQueryLogConfigs',
    'route53resolver:ListResolverQueryLogConfigAssociations',
    'route53resolver:CreateResolverQueryLogConfig',
    'route53resolver:AssociateResolverQueryLogConfig',
  ],
  scopedPermissions: deliveryPermissions,
  unscopedActions: [
    {
      actions: [
        'ec2:DescribeVpcs',
        'route53resolver:ListResolverQueryLogConfigs',
        'route53resolver:ListResolverQueryLogConfigAssociations',
      ],
      why: 'reads: listing calls have no resource-level permissions',
    },
    {
      actions: ['route53resolver:CreateResolverQueryLogConfig', 'route53resolver:AssociateResolverQueryLogConfig'],
      why:
        'the configuration is created by the first call (its id generated) and associated with any VPC of the account; ' +
        'the destination it delivers to is the policy’s, checked through the scoped delivery permissions',
    },
  ],
  cloudTrailEvents: [
    { source: 'aws.ec2', eventNames: VPC_EVENTS, sample: VPC_EVENT_SAMPLE },
    { source: 'aws.route53resolver', eventNames: RESOLVER_EVENTS, sample: RESOLVER_EVENT_SAMPLE },
  ],
  refsFromCloudTrail: async (detail, scope) => {
    const target = targetOfEvent(detail, scope);
    return 'deletedConfigId' in target ? resolveDeletedConfig(target.deletedConfigId, scope) : target;
  },
  refFromResourceId: (id, scope) => resolveVpcId(id, scope),
  listRefs: listVpcRefs,
  desired: (ref, policy) => desiredQueryLogging(policy, accountOfRef(ref), ref.region),
  observe: observeVpc,
  tagsOf: (state) => (state.exists ? state.tags : {}),
  skipReason: (ref, state, scope) => {
    if (!state.exists) return `VPC ${ref.id} no longer exists (InvalidVpcID.NotFound); there is nothing to log`;
    if (state.ownerId && state.ownerId !== scope.account) {
      return `VPC ${ref.id} is owned by account ${state.ownerId} (shared with this account); it is governed there`;
    }
    return null;
  },
  diff: diffVpc,
  plan: planVpc,
  apply: applyQueryLogStep,
};
