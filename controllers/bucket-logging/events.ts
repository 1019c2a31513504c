import { partitionOf } from '../core/identity.js';
import type { AnyGuardrail, CloudTrailDetail, Resolution, ResourceRef } from '../core/types.js';
import { ANY_BUCKET_NAME, type BucketLoggingPolicy, fillTemplate } from './policy.js';

export const RESOURCE_TYPE = 'AWS::S3::Bucket';

/** The S3 events that leave a bucket without the policy's logging. */
export const BUCKET_EVENTS = ['CreateBucket', 'PutBucketLogging'] as const;

/**
 * Plausible records of {@link BUCKET_EVENTS} (responses are null): CreateBucket in us-east-1 has no
 * `CreateBucketConfiguration`; the PutBucketLogging that switches logging off sends a
 * `BucketLoggingStatus` holding only `xmlns`.
 */
export const BUCKET_EVENT_SAMPLE: AnyGuardrail['cloudTrailEvents'][number]['sample'] = {
  requestParameters: { bucketName: 'demo-new-bucket', Host: 'demo-new-bucket.s3.amazonaws.com' },
  responseElements: null,
  perEvent: {
    PutBucketLogging: {
      requestParameters: {
        bucketName: 'demo-app-data',
        Host: 's3.us-east-1.amazonaws.com',
        logging: '',
        BucketLoggingStatus: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
      },
      responseElements: null,
    },
  },
};

export interface BucketRef extends ResourceRef {
  type: typeof RESOURCE_TYPE;
  /** Bucket name. */
  id: string;
  /** The account that owns the bucket (the log bucket name depends on it). */
  account: string;
  /**
   * Where `region` comes from: `listing` when a region-filtered ListBuckets just returned the bucket
   * (a fresh read of real state), `event` when an event or a caller named it (observe re-reads it).
   */
  regionSource: 'listing' | 'event';
}

function bucketArn(name: string, region: string): string {
  return `arn:${partitionOf(region)}:s3:::${name}`;
}

export function bucketRef(name: string, account: string, region: string, regionSource: BucketRef['regionSource']): BucketRef {
  return { type: RESOURCE_TYPE, id: name, arn: bucketArn(name, region), region, account, regionSource };
}

/** The name of the account's log bucket in a region. */
export function logBucketName(policy: BucketLoggingPolicy, account: string, region: string): string {
  return fillTemplate(policy.logBucket.template, { prefix: policy.logBucket.prefix ?? '', account, region });
}

/** The key prefix of a bucket's logs. */
export function targetPrefixFor(policy: BucketLoggingPolicy, bucket: string, account: string, region: string): string {
  return fillTemplate(policy.targetPrefix, { bucket, account, region });
}

/**
 * Is `name` the account's log bucket in `region`: exactly the template filled for them? Pure. Only a
 * region's own controller changes its buckets, and S3 delivers only within a region, so the one name a
 * controller must know is its own governed region's. Any other name, however similar (another region's
 * log bucket, a region that does not exist), is a data bucket. Being named so is not enough either: the
 * bucket must be in that region (`logBucketExclusion`).
 */
export function isLogBucketName(name: string, policy: BucketLoggingPolicy, account: string, region: string): boolean {
  return name === logBucketName(policy, account, region);
}

/**
 * Why a bucket is left alone as the log bucket of `region`, or null. Pure. `locatedIn` is the bucket's
 * region as S3 reports it. Log buckets never get access logging (pointed at themselves or at each other
 * they make a loop that multiplies objects without end).
 */
export function logBucketExclusion(
  name: string,
  locatedIn: string,
  policy: BucketLoggingPolicy,
  scope: { account: string; region: string },
): string | null {
  if (locatedIn !== scope.region || !isLogBucketName(name, policy, scope.account, scope.region)) return null;
  return `bucket ${name} is the log bucket of ${scope.region}; log buckets are never given access logging (a logging loop)`;
}

/** The `excludeBuckets` entry naming this bucket of this account and region, or undefined. Pure. */
export function excludedBy(name: string, policy: BucketLoggingPolicy, account: string, region: string): string | undefined {
  return policy.excludeBuckets.find((entry) => fillTemplate(entry, { account, region }) === name);
}

/**
 * Why the policy leaves a bucket alone whatever its state, or null. Pure. Log buckets are not decided
 * here: that needs the bucket's real region (`logBucketExclusion`).
 */
export function exclusionOf(name: string, policy: BucketLoggingPolicy, account: string, region: string): string | null {
  if (/--x-s3$/.test(name)) return `bucket ${name} is a directory bucket; S3 server access logging does not apply`;
  const entry = excludedBy(name, policy, account, region);
  if (entry) return `bucket ${name} is excluded by the policy (excludeBuckets: "${entry}")`;
  return null;
}

/** `LocationConstraint` to region: absent or empty is us-east-1, `EU` is the legacy name of eu-west-1. */
export function regionOfLocation(constraint: unknown): string | null {
  const value = Array.isArray(constraint) ? constraint[0] : constraint;
  if (value === undefined || value === null || value === '') return 'us-east-1';
  if (typeof value !== 'string') return null;
  if (value === 'EU') return 'eu-west-1';
  return /^[a-z]{2}(-[a-z]+)+-\d$/.test(value) ? value : null;
}

/** A value that older records give as a one-element list. */
function scalar(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 ? value[0] : value;
}

/** Resolve a bucket name to a ref in this region, or say why it is not governed. Pure. */
export function resolveBucket(
  name: string,
  region: string,
  policy: BucketLoggingPolicy,
  scope: { account: string },
): Resolution<BucketRef> {
  const hint = { id: name.slice(0, 255), arn: ANY_BUCKET_NAME.test(name) ? bucketArn(name, region) : null };
  if (!ANY_BUCKET_NAME.test(name)) return { ignore: `"${name.slice(0, 100)}" is not an S3 bucket name`, resource: hint };
  const excluded = exclusionOf(name, policy, scope.account, region);
  if (excluded) return { ignore: excluded, resource: hint };
  return { refs: [bucketRef(name, scope.account, region, 'event')] };
}

/**
 * Which bucket a `CreateBucket` or `PutBucketLogging` record is about. Pure. Only the bucket name
 * and, for `CreateBucket`, its region are read: the logging status in the request is never trusted
 * (the controller re-reads the bucket), so a malformed `BucketLoggingStatus` still leads to a re-read.
 * Both record formats are accepted: `"Host": "..."`, `"logging": ""` and the older `"host": [...]`,
 * `"logging": [""]`.
 */
export function refsFromEvent(
  detail: CloudTrailDetail,
  policy: BucketLoggingPolicy,
  scope: { account: string; region: string },
): Resolution<BucketRef> {
  const params = detail.requestParameters;
  if (!params) return { ignore: `${detail.eventName} event without requestParameters; cannot tell which bucket` };
  const name = scalar(params.bucketName);
  if (typeof name !== 'string' || name.length === 0) {
    return { ignore: `${detail.eventName} event without a string requestParameters.bucketName` };
  }
  let region = scope.region;
  if (detail.eventName === 'CreateBucket') {
    const config = scalar(params.CreateBucketConfiguration);
    const constraint = config && typeof config === 'object' ? (config as Record<string, unknown>).LocationConstraint : undefined;
    const created = regionOfLocation(constraint);
    if (!created) {
      return {
        ignore: `CreateBucket event for ${name.slice(0, 255)} with an unreadable LocationConstraint`,
        resource: { id: name.slice(0, 255) },
      };
    }
    if (created !== scope.region) {
      return {
        ignore: `bucket ${name} was created in ${created}; only the ${created} controller changes it (its sweep covers it)`,
        resource: { id: name, arn: bucketArn(name, created) },
      };
    }
    region = created;
  }
  return resolveBucket(name, region, policy, scope);
}
