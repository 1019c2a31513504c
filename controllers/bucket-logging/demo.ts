import {
  CreateBucketCommand,
  GetBucketLoggingCommand,
  PutBucketLoggingCommand,
  PutBucketPolicyCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { apiCallEvent, type Identity } from '../../cli/events.js';
import type { AwsClients } from '../core/aws.js';
import type { DemoContext, DemoGuardrail } from '../core/demo.js';
import { logBucketName } from './events.js';
import { bucketLogging } from './index.js';
import type { BucketLoggingPolicy } from './policy.js';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * `requestParameters` of a real CreateBucket record: in us-east-1 there is no
 * `CreateBucketConfiguration`; elsewhere it carries the region as `LocationConstraint`.
 */
export function createBucketRequest(bucket: string, region: string): Record<string, unknown> {
  const host = region === 'us-east-1' ? 's3.amazonaws.com' : `s3.${region}.amazonaws.com`;
  const params: Record<string, unknown> = { bucketName: bucket, Host: `${bucket}.${host}` };
  if (region !== 'us-east-1') params.CreateBucketConfiguration = { LocationConstraint: region, xmlns: XMLNS };
  return params;
}

/**
 * `requestParameters` of a real PutBucketLogging record. `target` null is the disabling call: a
 * `BucketLoggingStatus` holding only `xmlns`. `legacy` gives the older format (`host` and the
 * subresource key as lists).
 */
export function putBucketLoggingRequest(
  bucket: string,
  region: string,
  target: { bucket: string; prefix: string } | null,
  opts: { legacy?: boolean } = {},
): Record<string, unknown> {
  const status: Record<string, unknown> = { xmlns: XMLNS };
  if (target) status.LoggingEnabled = { TargetBucket: target.bucket, TargetPrefix: target.prefix };
  const host = `s3.${region}.amazonaws.com`;
  return opts.legacy
    ? { bucketName: bucket, host: [host], logging: [''], BucketLoggingStatus: status }
    : { bucketName: bucket, Host: host, logging: '', BucketLoggingStatus: status };
}

/** An `AWS API Call via CloudTrail` event from S3 (responses of these calls are null). */
export function s3Event(
  account: string,
  region: string,
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  opts: { identity?: Identity; errorCode?: string; errorMessage?: string } = {},
): Record<string, unknown> {
  return apiCallEvent({
    account,
    region,
    eventSource: 's3.amazonaws.com',
    eventName,
    requestParameters,
    responseElements: null,
    identity: opts.identity,
    errorCode: opts.errorCode,
    errorMessage: opts.errorMessage,
  });
}

/** Create a bucket in its region (LocationConstraint outside us-east-1). */
export async function createBucket(clients: AwsClients, bucket: string, region: string): Promise<void> {
  await clients.get(S3Client, region).send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as 'eu-west-1' } }),
    }),
  );
}

/**
 * What the infrastructure owns: the account's log bucket in a region, with the bucket policy that
 * lets S3 log delivery write to it from this account's buckets.
 */
export async function createLogBucket(
  clients: AwsClients,
  name: string,
  account: string,
  region: string,
  opts: { permit?: boolean } = {},
): Promise<void> {
  await createBucket(clients, name, region);
  if (opts.permit === false) return;
  await clients.get(S3Client, region).send(
    new PutBucketPolicyCommand({
      Bucket: name,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'S3ServerAccessLogsPolicy',
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: `arn:aws:s3:::${name}/*`,
            Condition: { StringEquals: { 'aws:SourceAccount': account } },
          },
        ],
      }),
    }),
  );
}

const DEMO_PREFIX = 's3-access-logs';
const APP_BUCKET = 'demo-app-data';
const NEW_BUCKET = 'demo-new-bucket';

function section(): BucketLoggingPolicy {
  return bucketLogging.policySchema.parse({
    mode: 'remediate',
    logBucket: { prefix: DEMO_PREFIX },
    // The emulator does not report TargetObjectKeyFormat back, so the demo uses the simple format.
    targetObjectKeyFormat: { simplePrefix: {} },
  });
}

async function loggingProblem(ctx: DemoContext, bucket: string): Promise<string | null> {
  const out = await ctx.clients.get(S3Client, ctx.region).send(new GetBucketLoggingCommand({ Bucket: bucket }));
  const want = logBucketName(section(), ctx.account, ctx.region);
  if (!out.LoggingEnabled) return `bucket ${bucket} has no server access logging`;
  if (out.LoggingEnabled.TargetBucket !== want) return `bucket ${bucket} logs to ${out.LoggingEnabled.TargetBucket}, not ${want}`;
  if (out.LoggingEnabled.TargetPrefix !== `${bucket}/`) return `bucket ${bucket} logs under ${out.LoggingEnabled.TargetPrefix}`;
  return null;
}

/** The bucket-logging part of the demo: logging switched off on a bucket; a new bucket born without it. */
export const demo: DemoGuardrail = {
  guardrail: bucketLogging,
  policySection: () => section(),
  async prepare(ctx) {
    const logBucket = logBucketName(section(), ctx.account, ctx.region);
    await createLogBucket(ctx.clients, logBucket, ctx.account, ctx.region);
    await createBucket(ctx.clients, APP_BUCKET, ctx.region);
    await ctx.clients.get(S3Client, ctx.region).send(
      new PutBucketLoggingCommand({
        Bucket: APP_BUCKET,
        BucketLoggingStatus: { LoggingEnabled: { TargetBucket: logBucket, TargetPrefix: `${APP_BUCKET}/` } },
      }),
    );
  },
  // A bucket has one logging configuration: a remediation can change it, never duplicate it.
  duplicates: async () => [],
  scenarios: [
    {
      title: 'S3: server access logging switched off (PutBucketLogging with an empty BucketLoggingStatus)',
      minimum: { calls: 3, why: 'GetBucketLogging, PutBucketLogging, GetBucketLogging (verify).' },
      async tamper(ctx) {
        await ctx.clients
          .get(S3Client, ctx.region)
          .send(new PutBucketLoggingCommand({ Bucket: APP_BUCKET, BucketLoggingStatus: {} }));
        return [s3Event(ctx.account, ctx.region, 'PutBucketLogging', putBucketLoggingRequest(APP_BUCKET, ctx.region, null))];
      },
      check: (ctx) => loggingProblem(ctx, APP_BUCKET),
    },
    {
      title: 'S3: a new bucket is born without server access logging (CreateBucket)',
      minimum: {
        calls: 4,
        why: 'GetBucketLocation (the bucket is in this region), GetBucketLogging, PutBucketLogging, GetBucketLogging (verify).',
      },
      async tamper(ctx) {
        await createBucket(ctx.clients, NEW_BUCKET, ctx.region);
        return [s3Event(ctx.account, ctx.region, 'CreateBucket', createBucketRequest(NEW_BUCKET, ctx.region))];
      },
      check: (ctx) => loggingProblem(ctx, NEW_BUCKET),
    },
  ],
};
