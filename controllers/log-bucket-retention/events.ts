import { partitionOf } from '../core/identity.js';
import type { AnyGuardrail, CloudTrailDetail, Resolution, ResourceRef } from '../core/types.js';
import { bucketNameOf, type LogBucketRetentionPolicy, type LogBucketSpec } from './policy.js';

export const RESOURCE_TYPE = 'AWS::S3::Bucket';

/**
 * The S3 calls that can shorten what a log bucket keeps: lifecycle rules, versioning, and a bucket
 * policy that refuses log delivery. CloudTrail logs PutBucketLifecycleConfiguration as PutBucketLifecycle.
 */
export const LOG_BUCKET_EVENTS = [
  'PutBucketLifecycle',
  'DeleteBucketLifecycle',
  'PutBucketVersioning',
  'PutBucketPolicy',
  'DeleteBucketPolicy',
] as const;

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** The demo's logwarden-owned log bucket in account 123456789012, us-east-1 (see demo.ts). */
const SAMPLE_BUCKET = 'logwarden-demo-retention-123456789012-us-east-1';
const request = (subresource: string, extra: Record<string, unknown> = {}) => ({
  bucketName: SAMPLE_BUCKET,
  Host: `${SAMPLE_BUCKET}.s3.amazonaws.com`,
  [subresource]: '',
  ...extra,
});

/**
 * Plausible records of {@link LOG_BUCKET_EVENTS} (S3 responses are null): the XML bodies are logged
 * as objects (`LifecycleConfiguration.Rule` is an object for one rule, a list for several), the
 * policy as `bucketPolicy`, the subresource as an empty key.
 */
export const LOG_BUCKET_EVENT_SAMPLE: AnyGuardrail['cloudTrailEvents'][number]['sample'] = {
  requestParameters: request('lifecycle', {
    LifecycleConfiguration: {
      xmlns: XMLNS,
      Rule: { ID: 'cleanup', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } },
    },
  }),
  responseElements: null,
  perEvent: {
    DeleteBucketLifecycle: { requestParameters: request('lifecycle'), responseElements: null },
    PutBucketVersioning: {
      requestParameters: request('versioning', { VersioningConfiguration: { xmlns: XMLNS, Status: 'Suspended' } }),
      responseElements: null,
    },
    PutBucketPolicy: {
      requestParameters: request('policy', {
        bucketPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'NoMoreLogs',
              Effect: 'Deny',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: 's3:PutObject',
              Resource: `arn:aws:s3:::${SAMPLE_BUCKET}/*`,
            },
          ],
        },
      }),
      responseElements: null,
    },
    DeleteBucketPolicy: { requestParameters: request('policy'), responseElements: null },
  },
};

export interface LogBucketRef extends ResourceRef {
  type: typeof RESOURCE_TYPE;
  /** Bucket name. */
  id: string;
  arn: string;
  /** The account the bucket belongs to (the bucket ARN does not carry it). */
  account: string;
  /** The policy's name template the bucket was found by. */
  template: string;
}

export function logBucketRef(name: string, template: string, where: { account: string; region: string }): LogBucketRef {
  return {
    type: RESOURCE_TYPE,
    id: name,
    arn: `arn:${partitionOf(where.region)}:s3:::${name}`,
    region: where.region,
    account: where.account,
    template,
  };
}

/** The policy's log buckets of one account and region, by name. Pure. */
export function logBucketsOf(policy: LogBucketRetentionPolicy, account: string, region: string): Map<string, LogBucketSpec> {
  return new Map(policy.buckets.map((b) => [bucketNameOf(b.name, account, region), b]));
}

/** The spec a ref was found by (the policy may have changed since: then null). Pure. */
export function specOf(ref: LogBucketRef, policy: LogBucketRetentionPolicy): LogBucketSpec | null {
  return policy.buckets.find((b) => b.name === ref.template) ?? null;
}

/**
 * A bucket name as a ref when it is one of the policy's log buckets in this account and region, else
 * why it is not governed here. Only the exact name counts: a look-alike is any other bucket. Pure.
 */
export function resolveLogBucket(
  name: string,
  policy: LogBucketRetentionPolicy,
  scope: { account: string; region: string },
): Resolution<LogBucketRef> {
  const spec = logBucketsOf(policy, scope.account, scope.region).get(name);
  if (spec) return { refs: [logBucketRef(name, spec.name, scope)] };
  const id = name.slice(0, 255);
  return {
    ignore: `bucket ${id} is not one of the log buckets of account ${scope.account} in ${scope.region} (${[
      ...logBucketsOf(policy, scope.account, scope.region).keys(),
    ].join(', ')}); its retention is not this guardrail's`,
    resource: { id, arn: `arn:${partitionOf(scope.region)}:s3:::${id}` },
  };
}

/** Older records hold subresource values as one-element lists. */
const scalar = (value: unknown) => (Array.isArray(value) && value.length === 1 ? value[0] : value);

/**
 * Which log bucket a lifecycle, versioning or policy record is about. Pure. Only `bucketName` is
 * read: the configuration in the request is never trusted (the bucket is re-read), so a malformed
 * body still leads to a re-read. Both record formats (`Host` and the older `host: [...]`) carry it.
 */
export function refsFromEvent(
  detail: CloudTrailDetail,
  policy: LogBucketRetentionPolicy,
  scope: { account: string; region: string },
): Resolution<LogBucketRef> {
  const params = detail.requestParameters;
  if (!params) return { ignore: `${detail.eventName} event without requestParameters; cannot tell which bucket` };
  const name = scalar(params.bucketName);
  if (typeof name !== 'string' || name.length === 0) {
    return { ignore: `${detail.eventName} event without a string requestParameters.bucketName` };
  }
  return resolveLogBucket(name, policy, scope);
}
