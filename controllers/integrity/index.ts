import { ROLE_PATH } from '../core/identity.js';
import type { Guardrail } from '../core/types.js';
import { applyIntegrityStep, observeIntegrity } from './aws.js';
import { INTEGRITY_READ_ACTIONS } from './check.js';
import {
  type DesiredIntegrity,
  desiredOf,
  diffIntegrity,
  type IntegrityState,
  type IntegrityStep,
  planIntegrity,
  unrestorableReason,
} from './diff.js';
import { CLOUDTRAIL_EVENTS, type IntegrityRef, manifestRefs, RULE_TYPE, refFromResourceId, refsFromEvent } from './events.js';
import { type IntegrityPolicy, integrityPolicySchema } from './policy.js';
import { manifestFor } from './source.js';

/**
 * Integrity guardrail: logwarden's own wiring in one account and region — its EventBridge rules, its
 * functions and their roles, its state table, its Config rules and its statements in the access-log
 * bucket policy — compared with the deployment manifest (`deployment.json`, written at synth time).
 * What is safe is restored (rule enabled, pattern and targets put back, bucket statements merged back,
 * a reserved concurrency removed, policies added to a role removed); a deleted table, Config rule or
 * function, changed code, a changed role policy or trust policy is `failed` with the runbook.
 *
 * @example
 * // policy.guardrails.integrity (the manifest comes from deployment.json next to the code)
 * { "mode": "remediate" }
 */
export const integrity: Guardrail<IntegrityPolicy, IntegrityRef, IntegrityState, DesiredIntegrity, IntegrityStep> = {
  name: 'integrity',
  title: "logwarden's own rules, functions, roles, state table, Config rules and bucket statements stay as deployed",
  // Config evaluates the rules, the resource most worth watching (the other kinds are swept).
  resourceType: RULE_TYPE,
  runbook: 'runbooks/integrity.md',
  policySchema: integrityPolicySchema,
  // Each silences logwarden (or the access logs): the breaker must never hold them back.
  loggingOffDrift: [
    'rule.exists',
    'rule.state',
    'rule.eventPattern',
    'rule.scheduleExpression',
    'rule.targets',
    'stateTable.exists',
    'configRule.exists',
    'bucketPolicy.denyLogDelivery',
    'function.exists',
    'function.reservedConcurrency',
    'function.codeSha256',
    'function.role',
    'role.exists',
    'role.inlinePolicies',
    'role.attachedPolicies',
    'role.permissionsBoundary',
    'role.trustPolicy',
  ],
  iamActions: [...INTEGRITY_READ_ACTIONS, 'events:EnableRule', 'events:PutRule', 'events:PutTargets', 's3:PutBucketPolicy'],
  // The writes only on logwarden's own rules, functions and roles: never on anyone else's.
  scopedPermissions: () => [
    {
      actions: ['events:EnableRule', 'events:PutRule', 'events:PutTargets'],
      resources: ['arn:{partition}:events:*:*:rule/logwarden-*'],
    },
    {
      actions: ['s3:PutBucketPolicy'],
      resources: ['arn:{partition}:s3:::*'],
      why:
        'the access-log bucket is named by the bucket-logging section, which this guardrail does not see; ' +
        'the code writes only the buckets of the deployment manifest, and the SCP keeps everyone else off them',
    },
    { actions: ['lambda:DeleteFunctionConcurrency'], resources: ['arn:{partition}:lambda:*:*:function:logwarden-*'] },
    {
      actions: ['iam:DeleteRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRolePermissionsBoundary'],
      resources: [`arn:{partition}:iam::*:role${ROLE_PATH}*`],
    },
  ],
  unscopedActions: [
    {
      actions: INTEGRITY_READ_ACTIONS,
      why: 'reads of the manifest’s resources, whose names hold the region and the generated parts CloudFormation adds',
    },
  ],
  // A disabled rule silences a guardrail until someone notices: at most 15 minutes.
  sweepSchedule: 'rate(15 minutes)',
  cloudTrailEvents: CLOUDTRAIL_EVENTS,
  refsFromCloudTrail: (detail, scope) =>
    refsFromEvent(detail, manifestFor(scope.policy, scope), scope, (region) =>
      manifestFor(scope.policy, { account: scope.account, region }),
    ),
  refFromResourceId: (id, scope) => refFromResourceId(id, manifestFor(scope.policy, scope), scope),
  listRefs: async (scope) => ({ refs: manifestRefs(manifestFor(scope.policy, scope), scope) }),
  desired: (ref, policy) => desiredOf(ref, manifestFor(policy, ref)),
  observe: observeIntegrity,
  // Tags never exempt, and logwarden's own resources are exempted by nobody: not read.
  tagsOf: () => ({}),
  unrestorable: (_ref, state, drift) => unrestorableReason(state, drift),
  diff: diffIntegrity,
  plan: planIntegrity,
  apply: applyIntegrityStep,
};
