import { GetBucketLoggingCommand, PutBucketLoggingCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import type { Identity } from '../../cli/events.js';
import {
  createBucket as createBucketIn,
  createBucketRequest,
  createLogBucket,
  putBucketLoggingRequest,
  s3Event,
} from '../../controllers/bucket-logging/demo.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { ACCOUNT, REGION } from './emulator.js';

export { createBucketRequest, createLogBucket, putBucketLoggingRequest };

/** Create a bucket (in us-east-1 unless a region is given). */
export const createBucket = (clients: AwsClients, bucket: string, region = REGION) => createBucketIn(clients, bucket, region);

export const OTHER_REGION = 'eu-west-1';
const PREFIX = 's3-access-logs';
export const logBucketOf = (region: string) => `${PREFIX}-${ACCOUNT}-${region}`;
export const LOG_BUCKET = logBucketOf(REGION);

/**
 * The policy section used on the emulator. moto stores TargetObjectKeyFormat but GetBucketLogging
 * never returns it, so a partitioned format could never be verified there: the emulator tests use
 * the simple format, and the partitioned one is covered with aws-sdk-client-mock in the unit tests.
 */
export function bucketLoggingSection(extra: Record<string, unknown> = {}) {
  return {
    mode: 'remediate',
    logBucket: { prefix: PREFIX },
    targetObjectKeyFormat: { simplePrefix: {} },
    ...extra,
  };
}

/** The account's log bucket in a region, as the infrastructure creates it (policy for log delivery). */
export function createAccountLogBucket(clients: AwsClients, region = REGION, opts: { permit?: boolean } = {}) {
  return createLogBucket(clients, logBucketOf(region), ACCOUNT, region, opts);
}

export async function readLogging(clients: AwsClients, bucket: string, region = REGION) {
  return (await clients.get(S3Client, region).send(new GetBucketLoggingCommand({ Bucket: bucket }))).LoggingEnabled ?? null;
}

export async function setLogging(
  clients: AwsClients,
  bucket: string,
  target: { bucket: string; prefix: string } | null,
  region = REGION,
): Promise<void> {
  await clients.get(S3Client, region).send(
    new PutBucketLoggingCommand({
      Bucket: bucket,
      BucketLoggingStatus: target ? { LoggingEnabled: { TargetBucket: target.bucket, TargetPrefix: target.prefix } } : {},
    }),
  );
}

export async function tagBucket(clients: AwsClients, bucket: string, tags: Record<string, string>, region = REGION) {
  await clients.get(S3Client, region).send(
    new PutBucketTaggingCommand({
      Bucket: bucket,
      Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
    }),
  );
}

/** A compliant bucket: created and logging to its region's log bucket under `{bucket}/`. */
export async function compliantBucket(clients: AwsClients, bucket: string, region = REGION): Promise<void> {
  await createBucket(clients, bucket, region);
  await setLogging(clients, bucket, { bucket: logBucketOf(region), prefix: `${bucket}/` }, region);
}

export function bucketEvent(
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  opts: { region?: string; identity?: Identity; errorCode?: string } = {},
) {
  return s3Event(ACCOUNT, opts.region ?? REGION, eventName, requestParameters, opts);
}
