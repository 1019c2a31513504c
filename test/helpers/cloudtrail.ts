import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { apiCallEvent, type Identity } from '../../cli/events.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { ACCOUNT, REGION } from './emulator.js';

export const TRAIL = 'org-audit-trail';
export const BUCKET = 'central-cloudtrail-logs';
export const KMS_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0d5b8d7e-1f53-4c3a-9a8f-3b1e2c4d5e6f`;
export const LOG_GROUP = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:cloudtrail/org-audit:*`;
export const CW_ROLE = `arn:aws:iam::${ACCOUNT}:role/cloudtrail-to-cloudwatch`;

export function trailPolicy(extra: Record<string, unknown> = {}) {
  return {
    mode: 'remediate',
    trails: [
      {
        name: TRAIL,
        homeRegion: REGION,
        s3BucketName: BUCKET,
        s3KeyPrefix: 'cloudtrail',
        kmsKeyId: KMS_KEY,
        isMultiRegionTrail: true,
        enableLogFileValidation: true,
        includeGlobalServiceEvents: true,
        cloudWatchLogs: { logGroupArn: LOG_GROUP, roleArn: CW_ROLE },
        ...extra,
      },
    ],
  };
}

export async function createTrailBucket(clients: AwsClients, bucket = BUCKET): Promise<void> {
  await clients.get(S3Client, REGION).send(new CreateBucketCommand({ Bucket: bucket }));
}

/** A CloudTrail API-call event for the trail service. */
export function trailEvent(
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  opts: { identity?: Identity; errorCode?: string; responseElements?: Record<string, unknown> | null } = {},
) {
  return apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource: 'cloudtrail.amazonaws.com',
    eventName,
    requestParameters,
    responseElements: opts.responseElements ?? null,
    identity: opts.identity,
    errorCode: opts.errorCode,
  });
}
