import type { Guardrail } from '../core/types.js';
import { applyTrailStep, observeTrail } from './aws.js';
import { type DesiredTrail, desiredTrail, diffTrail, planTrail, type TrailState, type TrailStep } from './diff.js';
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

/**
 * CloudTrail guardrail: every trail in the policy exists in its home region, is logging, and
 * matches the policy (bucket, prefix, KMS key, multi-region, validation, global events,
 * CloudWatch Logs, event selectors).
 */
export const cloudtrail: Guardrail<CloudTrailPolicy, TrailRef, TrailState, DesiredTrail, TrailStep> = {
  name: 'cloudtrail',
  title: 'CloudTrail trails keep logging',
  resourceType: RESOURCE_TYPE,
  runbook: 'runbooks/cloudtrail.md',
  policySchema: cloudTrailPolicySchema,
  iamActions: [
    'cloudtrail:GetTrail',
    'cloudtrail:GetTrailStatus',
    'cloudtrail:GetEventSelectors',
    'cloudtrail:ListTags',
    'cloudtrail:CreateTrail',
    'cloudtrail:AddTags',
    'cloudtrail:UpdateTrail',
    'cloudtrail:PutEventSelectors',
    'cloudtrail:StartLogging',
  ],
  // CloudTrail checks iam:PassRole on the CloudWatch Logs delivery role when it creates or updates a trail.
  scopedPermissions: (policy) => {
    const roles = [...new Set(policy.trails.flatMap((t) => (t.cloudWatchLogs ? [t.cloudWatchLogs.roleArn] : [])))];
    return roles.length > 0 ? [{ actions: ['iam:PassRole'], resources: roles }] : [];
  },
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
  desired: (ref, policy) => desiredTrail(policy.trails.find((t) => t.name === ref.id) as CloudTrailPolicy['trails'][number]),
  observe: observeTrail,
  tagsOf: (state) => (state.exists ? state.tags : {}),
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
  diff: diffTrail,
  plan: planTrail,
  apply: applyTrailStep,
};
