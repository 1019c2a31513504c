import { Aws, Duration, aws_iam as iam, RemovalPolicy, Stack, type StackProps, aws_s3 as s3 } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { fillTemplate } from '../controllers/flow-logs/policy.js';
import { type Deployment, type DeploymentConfig, DeploymentConfigError } from './config.js';
import { acknowledge } from './nag.js';

/** The service that writes vended logs (VPC flow logs among them) into S3 buckets. */
const LOG_DELIVERY_SERVICE = 'delivery.logs.amazonaws.com';

/** `logArchive` of the deployment config, when set. */
type LogArchiveConfig = NonNullable<DeploymentConfig['logArchive']>;

/** A statement as IAM reads it (the JSON form: tested by evaluation, rendered with `PolicyStatement.fromJson`). */
export interface JsonStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal: { Service: string };
  Action: string[];
  Resource: string;
  Condition: Record<string, Record<string, string>>;
}

/**
 * Where in the bucket flow logs may be written: the policy's prefix (its `{account}`/`{region}` as
 * `*`), then AWS's own `AWSLogs/<account>/vpcflowlogs/<region>/...`. Pure.
 */
export function flowLogKeyPattern(prefix: string | undefined): string {
  const folder = prefix === undefined ? '' : `${fillTemplate(prefix, { account: '*', region: '*', partition: '*' })}/`;
  return `${folder}AWSLogs/*`;
}

/**
 * The bucket policy AWS documents for VPC flow logs delivered to S3 ("Amazon S3 bucket permissions
 * for flow logs"), widened from one account to the organization with `aws:SourceOrgID`: log delivery
 * may check the bucket (GetBucketAcl, ListBucket) and write objects under `keyPattern` with the
 * bucket-owner-full-control ACL, only on behalf of the organization's accounts. Pure.
 */
export function flowLogDeliveryStatements(bucketArn: string, keyPattern: string, organizationId: string): JsonStatement[] {
  const fromOrganization = { 'aws:SourceOrgID': organizationId };
  return [
    {
      Sid: 'AWSLogDeliveryAclCheck',
      Effect: 'Allow',
      Principal: { Service: LOG_DELIVERY_SERVICE },
      Action: ['s3:GetBucketAcl', 's3:ListBucket'],
      Resource: bucketArn,
      Condition: { StringEquals: fromOrganization },
    },
    {
      Sid: 'AWSLogDeliveryWrite',
      Effect: 'Allow',
      Principal: { Service: LOG_DELIVERY_SERVICE },
      Action: ['s3:PutObject'],
      Resource: `${bucketArn}/${keyPattern}`,
      Condition: { StringEquals: { ...fromOrganization, 's3:x-amz-acl': 'bucket-owner-full-control' } },
    },
  ];
}

/**
 * The policy's flow-log bucket must be the archive's when flow logs go to S3: a different bucket
 * would get flow logs from every account and this one none. Pure.
 */
function logArchiveIssues(deployment: Pick<Deployment, 'policy'>, archive: LogArchiveConfig): string[] {
  const section = deployment.policy.guardrails['flow-logs'] as { destination: { type: string; bucketArn?: string } } | undefined;
  const bucketArn = section?.destination.type === 's3' ? section.destination.bucketArn : undefined;
  if (bucketArn === undefined) return [];
  const name = bucketArn.replace(/^arn:[^:]*:s3:::/, '');
  return name === archive.flowLogsBucket
    ? []
    : [
        `guardrails.flow-logs.destination.bucketArn names bucket ${name}, but logArchive.flowLogsBucket is ${archive.flowLogsBucket}`,
      ];
}

/** The policy's S3 prefix for flow logs, if any. */
function policyPrefix(deployment: Deployment): string | undefined {
  const section = deployment.policy.guardrails['flow-logs'] as { destination: { type: string; prefix?: string } } | undefined;
  return section?.destination.type === 's3' ? section.destination.prefix : undefined;
}

export interface LogArchiveStackProps extends StackProps {
  deployment: Deployment;
}

/**
 * The organization's central flow-log bucket, in the log-archive account (optional: only with
 * `logArchive` in the deployment config). Versioned, SSE-S3, private, TLS only, ACLs disabled
 * (BucketOwnerEnforced: log delivery's bucket-owner-full-control ACL is still accepted), its access
 * logs in a bucket of its own, and the bucket policy that lets log delivery write for the
 * organization's accounts only. The bucket is retained when the stack is deleted: it holds evidence.
 */
export class LogArchiveStack extends Stack {
  readonly flowLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LogArchiveStackProps) {
    super(scope, id, props);
    const d = props.deployment;
    const archive = d.config.logArchive;
    if (!archive) throw new DeploymentConfigError('the log-archive stack needs logArchive in the deployment config');
    const issues = logArchiveIssues(d, archive);
    if (issues.length > 0) throw new DeploymentConfigError(`inconsistent log archive: ${issues.join('; ')}`, issues);
    const accessLogs = new s3.Bucket(this, 'FlowLogsAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(archive.retentionDays), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      accessLogs,
      'AwsSolutions-S1',
      'This bucket receives the flow-log bucket’s server access logs; it cannot log into itself.',
    );
    this.flowLogsBucket = new s3.Bucket(this, 'FlowLogs', {
      bucketName: archive.flowLogsBucket,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'flow-logs/',
      // Current objects are kept for the retention; older versions (an overwrite) 30 days more.
      lifecycleRules: [
        { id: 'retention', expiration: Duration.days(archive.retentionDays), noncurrentVersionExpiration: Duration.days(30) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A fixed ARN (the name is the config's), not a GetAtt: the statements read the same as in the tests.
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${archive.flowLogsBucket}`;
    for (const s of flowLogDeliveryStatements(bucketArn, flowLogKeyPattern(policyPrefix(d)), d.config.organizationId)) {
      this.flowLogsBucket.addToResourcePolicy(iam.PolicyStatement.fromJson(s));
    }
  }
}
