import { Aws, Duration, aws_iam as iam, RemovalPolicy, aws_s3 as s3 } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { z } from 'zod';
import { Group } from '../../infra/group.js';
import { guardrailInfra } from '../../infra/guardrail-infra.js';
import { acknowledge } from '../../infra/nag.js';
import type { ManifestBucketPolicy, ManifestPlace } from '../integrity/manifest.js';
import { logBucketName } from './events.js';
import type { BucketLoggingPolicy } from './policy.js';

/** `member.accessLogBucket` of the deployment config. */
export const accessLogBucketConfigSchema = z
  .object({ enabled: z.boolean().default(true), expireAfterDays: z.number().int().min(1).default(365) })
  .strict()
  .default({ enabled: true, expireAfterDays: 365 });
export type AccessLogBucketConfig = z.infer<typeof accessLogBucketConfigSchema>;

/**
 * The access-log target bucket's name in the deploying account and region: the policy's `logBucket`
 * template, filled by the same function the controller uses, so the bucket created here is the one
 * the guardrail points buckets at. Placeholders become `${AWS::AccountId}`/`${AWS::Region}`.
 */
export function accessLogBucketName(policy: BucketLoggingPolicy): string {
  return logBucketName(policy, Aws.ACCOUNT_ID, Aws.REGION);
}

/** The deploying account, region and partition as CDK tokens. */
const HERE: ManifestPlace = { account: Aws.ACCOUNT_ID, region: Aws.REGION, partition: Aws.PARTITION };

/**
 * The access-log bucket's policy, which logwarden owns: TLS only, and S3 server access logging of this
 * account may write. Each statement has a Sid, so the integrity check can tell it apart. Pure: `place`
 * holds CDK tokens (the stack, which names the bucket by reference for cdk-nag) or the manifest's placeholders.
 */
export function accessLogBucketPolicy(
  bucketName: string,
  place: ManifestPlace,
  bucketArn = `arn:${place.partition}:s3:::${bucketName}`,
): ManifestBucketPolicy {
  return {
    bucket: bucketName,
    statements: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'S3ServerAccessLogsFromThisAccount',
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `${bucketArn}/*`,
        Condition: { StringEquals: { 'aws:SourceAccount': place.account } },
      },
    ],
  };
}

export interface AccessLogTargetBucketProps {
  bucketName: string;
  expireAfterDays: number;
}

/** The region's S3 server access-log target bucket: SSE-S3, owner enforced, only S3 logging of this account writes. */
export class AccessLogTargetBucket extends Group {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogTargetBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'AccessLogTarget', {
      bucketName: props.bucketName,
      // Access-log targets cannot use SSE-KMS default encryption nor Object Lock default retention.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // TLS only: the deny statement is in accessLogBucketPolicy, with a Sid the integrity check knows.
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(props.expireAfterDays),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      // It holds logs: deleting the stack must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const statement of accessLogBucketPolicy(props.bucketName, HERE, this.bucket.bucketArn).statements) {
      this.bucket.addToResourcePolicy(iam.PolicyStatement.fromJson(statement));
    }
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'This is the access-log target bucket itself; logging it into itself would loop and another bucket would only move the problem.',
    );
  }
}

/** The bucket-logging guardrail's infrastructure: the access-log target bucket, unless the config turns it off. */
export const infra = guardrailInfra<BucketLoggingPolicy, AccessLogBucketConfig>({
  config: { key: 'accessLogBucket', schema: accessLogBucketConfigSchema },
  ownedBucketPolicies: ({ policy, config, place }) =>
    config.enabled ? [accessLogBucketPolicy(logBucketName(policy, place.account, place.region), place)] : [],
  deploy(scope, { policy, config }) {
    if (!config.enabled) return;
    new AccessLogTargetBucket(scope, 'AccessLogTargetBucket', {
      bucketName: accessLogBucketName(policy),
      expireAfterDays: config.expireAfterDays,
    });
  },
});
