import type { Guardrail } from '../core/types.js';
import { applyBucketStep, listBucketRefs, observeBucket, RUNBOOK, readBucketTags } from './aws.js';
import {
  type BucketState,
  type BucketStep,
  bucketDeliveryProblem,
  type DesiredLogging,
  desiredLogging,
  diffLogging,
  planLogging,
} from './diff.js';
import { BUCKET_EVENT_SAMPLE, BUCKET_EVENTS, type BucketRef, RESOURCE_TYPE, refsFromEvent, resolveBucket } from './events.js';
import { type BucketLoggingPolicy, bucketLoggingPolicySchema } from './policy.js';

/** What the guardrail reads: the listing, and each bucket's location, logging, tags and its log bucket's policy. */
const BUCKET_READS = [
  's3:ListAllMyBuckets',
  's3:GetBucketLocation',
  's3:GetBucketLogging',
  's3:GetBucketTagging',
  's3:GetBucketPolicy',
  's3:GetBucketAcl',
];

/**
 * S3 bucket-logging guardrail: every bucket of the account keeps server access logging to the
 * account's log bucket in the same region, with the policy's target prefix and key format. The log
 * bucket (its exact name, located in its region), exempt buckets and the exact names of `excludeBuckets`
 * are left alone. A log bucket that S3 cannot deliver
 * to (missing, in another region, its policy not letting logging.s3.amazonaws.com write) is reported.
 *
 * @example
 * // policy.json
 * { "guardrails": { "bucket-logging": { "logBucket": { "prefix": "s3-access-logs" } } } }
 */
export const bucketLogging: Guardrail<BucketLoggingPolicy, BucketRef, BucketState, DesiredLogging, BucketStep> = {
  name: 'bucket-logging',
  title: 'S3 buckets keep server access logging',
  resourceType: RESOURCE_TYPE,
  runbook: RUNBOOK,
  policySchema: bucketLoggingPolicySchema,
  // Access logging off. A different target bucket or prefix is settings-level.
  loggingOffDrift: ['loggingEnabled'],
  iamActions: [...BUCKET_READS, 's3:PutBucketLogging'],
  scopedPermissions: () => [
    {
      actions: ['s3:PutBucketLogging'],
      resources: ['arn:{partition}:s3:::*'],
      why: 'every data bucket of the account is governed, and a bucket ARN holds no account: no narrower pattern exists',
    },
  ],
  unscopedActions: [
    {
      actions: BUCKET_READS,
      why: 'reads: listing has no resource-level permissions, and any bucket of the account (or its log bucket) may be read',
    },
  ],
  cloudTrailEvents: [{ source: 'aws.s3', eventNames: BUCKET_EVENTS, sample: BUCKET_EVENT_SAMPLE }],
  refsFromCloudTrail: (detail, scope) => refsFromEvent(detail, scope.policy, scope),
  refFromResourceId: (id, scope) => resolveBucket(id, scope.region, scope.policy, scope),
  listRefs: listBucketRefs,
  desired: desiredLogging,
  observe: observeBucket,
  tagsOf: () => ({}),
  readTags: readBucketTags,
  skipReason: (ref, state, scope) => {
    switch (state.kind) {
      case 'excluded':
        return state.reason;
      case 'missing':
        return `bucket ${ref.id} does not exist (NoSuchBucket): deleted before it could be checked; nothing to do`;
      case 'elsewhere':
        return `bucket ${ref.id} is in ${state.region}; only the ${state.region} controller changes it`;
      case 'bucket':
        return state.region !== scope.region
          ? `bucket ${ref.id} is in ${state.region}; only the ${state.region} controller changes it`
          : null;
    }
  },
  // Logs not delivered: the destination is not logwarden's to fix; `failed` pages on-call (#13).
  unrestorable: (ref, _state, drift, policy) => bucketDeliveryProblem(drift, desiredLogging(ref, policy)),
  diff: diffLogging,
  plan: planLogging,
  apply: applyBucketStep,
};
