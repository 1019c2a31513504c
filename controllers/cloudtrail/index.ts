import type { Guardrail, ScopedPermission } from '../core/types.js';
import { applyTrailStep, observeTrail, readTrailTags } from './aws.js';
import {
  type DesiredTrail,
  desiredTrail,
  diffTrail,
  planTrail,
  type TrailState,
  type TrailStep,
  trailDeliveryProblem,
} from './diff.js';
import {
  governedTrails,
  RESOURCE_TYPE,
  refsFromEvent,
  resolveTrail,
  TRAIL_EVENT_SAMPLE,
  TRAIL_EVENTS,
  type TrailRef,
  trailArn,
} from './events.js';
import { type CloudTrailPolicy, cloudTrailPolicySchema } from './policy.js';

/** CloudTrail checks iam:PassRole on the CloudWatch Logs delivery role when it creates or updates a trail. */
function deliveryRolePermissions(policy: CloudTrailPolicy): ScopedPermission[] {
  const roles = [...new Set(policy.trails.flatMap((t) => (t.cloudWatchLogs ? [t.cloudWatchLogs.roleArn] : [])))];
  return roles.length > 0 ? [{ actions: ['iam:PassRole'], resources: roles, passedToService: 'cloudtrail.amazonaws.com' }] : [];
}

/** The trail writes, on the policy's trails only (the account is narrowed to the function's own). */
const TRAIL_WRITES = [
  'cloudtrail:CreateTrail',
  'cloudtrail:AddTags',
  'cloudtrail:UpdateTrail',
  'cloudtrail:PutEventSelectors',
  'cloudtrail:StartLogging',
];

/**
 * Every trail write names the trail (Service Authorization Reference: `trail*` for each): on the
 * policy's trails in their home regions, so a trail the policy does not name cannot be touched.
 */
function trailWritePermissions(policy: CloudTrailPolicy): ScopedPermission[] {
  const trails = policy.trails.map((t) => `arn:{partition}:cloudtrail:${t.homeRegion}:*:trail/${t.name}`);
  return [{ actions: [...TRAIL_WRITES], resources: trails }];
}

/**
 * What CloudTrail checks on the caller when it creates or updates an organization trail ("Prepare for
 * creating a trail for your organization", CloudTrail User Guide): that it may read the organization
 * and its trusted services, and read or create CloudTrail's service-linked role. The Organizations
 * reads have no resource-level permissions (`*`); the IAM actions name only the service-linked role
 * in the account that owns the trail, so in every other account they grant nothing. Enabling trusted
 * access (`organizations:EnableAWSServiceAccess`) is a one-time set-up, not granted.
 */
function organizationTrailPermissions(policy: CloudTrailPolicy): ScopedPermission[] {
  const owners = [...new Set(policy.trails.flatMap((t) => (t.isOrganizationTrail ? (t.accounts ?? []) : [])))];
  if (owners.length === 0) return [];
  return [
    {
      actions: ['organizations:DescribeOrganization', 'organizations:ListAWSServiceAccessForOrganization'],
      resources: ['*'],
      why: 'Organizations has no resource-level permissions for these reads',
    },
    {
      actions: ['iam:GetRole', 'iam:CreateServiceLinkedRole'],
      resources: owners.map(
        (a) => `arn:{partition}:iam::${a}:role/aws-service-role/cloudtrail.amazonaws.com/AWSServiceRoleForCloudTrail`,
      ),
    },
  ];
}

/**
 * CloudTrail guardrail: every trail in the policy exists in its home region, is logging, and
 * matches the policy (bucket, prefix, KMS key, multi-region, validation, global events,
 * CloudWatch Logs, event selectors); a logging trail whose S3 delivery fails or is stale is reported.
 */
export const cloudtrail: Guardrail<CloudTrailPolicy, TrailRef, TrailState, DesiredTrail, TrailStep> = {
  name: 'cloudtrail',
  title: 'CloudTrail trails keep logging',
  resourceType: RESOURCE_TYPE,
  runbook: 'runbooks/cloudtrail.md',
  policySchema: cloudTrailPolicySchema,
  // Deleted, or not logging. Selectors, bucket, KMS key and the rest are settings.
  loggingOffDrift: ['exists', 'isLogging'],
  iamActions: [
    'cloudtrail:GetTrail',
    'cloudtrail:GetTrailStatus',
    'cloudtrail:GetEventSelectors',
    'cloudtrail:ListTags',
    ...TRAIL_WRITES,
  ],
  scopedPermissions: (policy) => [
    ...trailWritePermissions(policy),
    ...deliveryRolePermissions(policy),
    ...organizationTrailPermissions(policy),
  ],
  unscopedActions: [
    {
      actions: ['cloudtrail:GetTrail', 'cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors', 'cloudtrail:ListTags'],
      why: 'reads: an event may name any trail (a shadow, another account’s organization trail) and reading it changes nothing',
    },
  ],
  // A stopped or deleted trail is a blind spot for every other guardrail: sweep it more often than the rest.
  sweepSchedule: 'rate(15 minutes)',
  cloudTrailEvents: [{ source: 'aws.cloudtrail', eventNames: TRAIL_EVENTS, sample: TRAIL_EVENT_SAMPLE }],
  refsFromCloudTrail: (detail, scope) => refsFromEvent(detail, scope.policy, scope),
  refFromResourceId: (id, scope) => resolveTrail(id, scope.policy, scope),
  listRefs: async (scope) => ({
    refs: governedTrails(scope.policy, scope.account, scope.region).map((t) => ({
      type: RESOURCE_TYPE,
      id: t.name,
      arn: trailArn(scope.account, t.homeRegion, t.name),
      region: t.homeRegion,
    })),
  }),
  desired: (ref, policy) =>
    desiredTrail(
      policy.trails.find((t) => t.name === ref.id) as CloudTrailPolicy['trails'][number],
      policy.deliveryStaleAfterMinutes,
    ),
  observe: observeTrail,
  tagsOf: () => ({}),
  readTags: readTrailTags,
  skipReason: (ref, state, scope) => {
    if (!state.exists) return null;
    const owner = /^arn:[^:]+:cloudtrail:[^:]+:(\d{12}):/.exec(state.arn)?.[1];
    if (owner && owner !== scope.account) {
      return `trail ${ref.id} is owned by account ${owner} (organization trail); it is governed there`;
    }
    if (state.homeRegion && state.homeRegion !== scope.region) {
      return `trail ${ref.id} has home region ${state.homeRegion}; this is its shadow in ${scope.region}`;
    }
    return null;
  },
  // Delivery drift alone: the bucket is the log archive's (see trailDeliveryProblem).
  // Logs not delivered: the destination is not logwarden's to fix; `failed` pages on-call (#13).
  unrestorable: (ref, _state, drift, policy) => trailDeliveryProblem(drift, cloudtrail.desired(ref, policy)),
  diff: diffTrail,
  plan: planTrail,
  apply: applyTrailStep,
};
