import type { Guardrail, ScopedPermission } from '../core/types.js';
import { applyRetentionStep, listLogBucketRefs, observeLogBucket, RUNBOOK } from './aws.js';
import {
  type DesiredRetention,
  DRIFT,
  desiredRetention,
  diffRetention,
  planRetention,
  type RetentionState,
  type RetentionStep,
  reportOnlyReason,
  skipReasonOf,
  unrestorableReason,
} from './diff.js';
import {
  LOG_BUCKET_EVENT_SAMPLE,
  LOG_BUCKET_EVENTS,
  type LogBucketRef,
  RESOURCE_TYPE,
  refsFromEvent,
  resolveLogBucket,
} from './events.js';
import { type LogBucketRetentionPolicy, logBucketRetentionPolicySchema } from './policy.js';

/** What the guardrail reads of a log bucket. */
const RETENTION_READS = ['s3:GetBucketLocation', 's3:GetBucketVersioning', 's3:GetLifecycleConfiguration', 's3:GetBucketPolicy'];

/** The writes, on the logwarden-owned log buckets only (`{account}`/`{region}` as `*`; the account is narrowed at deploy). */
export function retentionPermissions(policy: LogBucketRetentionPolicy): ScopedPermission[] {
  const owned = policy.buckets.filter((b) => b.owner === 'logwarden');
  if (owned.length === 0) return [];
  const resources = owned.map((b) => `arn:{partition}:s3:::${b.name.replaceAll('{account}', '*').replaceAll('{region}', '*')}`);
  return [
    {
      // DeleteBucketLifecycle is authorised by s3:PutLifecycleConfiguration.
      actions: ['s3:PutBucketVersioning', 's3:PutLifecycleConfiguration', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy'],
      resources,
    },
  ];
}

/**
 * Log-bucket retention guardrail: the buckets logs are delivered to inside a member account (the
 * access-log bucket, and the delivery buckets the policy lists) keep versioning on, have no enabled
 * lifecycle rule that expires or moves current objects sooner than `minimumRetentionDays`, and no
 * bucket-policy statement that denies log delivery. Logwarden-owned buckets are restored (only the
 * offending rules and statements are removed); member-owned ones are reported.
 *
 * @example
 * // policy.json
 * { "guardrails": { "log-bucket-retention": { "minimumRetentionDays": 365,
 *   "buckets": [{ "name": "logwarden-access-logs-{account}-{region}", "owner": "logwarden" }] } } }
 */
export const logBucketRetention: Guardrail<
  LogBucketRetentionPolicy,
  LogBucketRef,
  RetentionState,
  DesiredRetention,
  RetentionStep
> = {
  name: 'log-bucket-retention',
  title: 'Log buckets keep their logs: versioning, no early expiration, delivery not denied',
  resourceType: RESOURCE_TYPE,
  runbook: RUNBOOK,
  policySchema: logBucketRetentionPolicySchema,
  // Logs deleted early or refused: as bad as logging off. Versioning and an unreadable policy are settings-level.
  loggingOffDrift: [DRIFT.lifecycle, DRIFT.policy],
  // The reads, on any bucket (the Config rule evaluates with them); the writes are scoped below.
  iamActions: [...RETENTION_READS],
  scopedPermissions: retentionPermissions,
  unscopedActions: [
    {
      actions: RETENTION_READS,
      why: 'reads: an event may name any bucket (a look-alike is read to be told apart) and reading changes nothing',
    },
  ],
  cloudTrailEvents: [{ source: 'aws.s3', eventNames: LOG_BUCKET_EVENTS, sample: LOG_BUCKET_EVENT_SAMPLE }],
  refsFromCloudTrail: (detail, scope) => refsFromEvent(detail, scope.policy, scope),
  refFromResourceId: (id, scope) => resolveLogBucket(id, scope.policy, scope),
  listRefs: listLogBucketRefs,
  desired: desiredRetention,
  observe: observeLogBucket,
  // Tags never exempt; the buckets are named by the policy, exempted only by it: not read.
  tagsOf: () => ({}),
  skipReason: (ref, state, scope) => skipReasonOf(ref, state, scope.region),
  reportOnly: (ref, _state, drift, policy) => reportOnlyReason(desiredRetention(ref, policy), drift, RUNBOOK),
  unrestorable: (ref, _state, drift, policy) => unrestorableReason(desiredRetention(ref, policy), drift, RUNBOOK),
  diff: diffRetention,
  plan: planRetention,
  apply: applyRetentionStep,
};
