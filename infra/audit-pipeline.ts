import {
  ArnFormat,
  Aws,
  Duration,
  aws_events as events,
  aws_kinesisfirehose as firehose,
  aws_iam as iam,
  aws_kinesis as kinesis,
  aws_kms as kms,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  aws_s3 as s3,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { BusPolicyStatement } from './bus-policy.js';
import { Group } from './group.js';
import { acknowledge, acknowledgeFindings } from './nag.js';
import { auditRecordPattern, toCdkPattern } from './patterns.js';

/** The CDK grants' KMS actions on the audit key, named in the acknowledgements of their wildcards. */
const KEY_ACTION_FINDINGS = ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'];

/** The pipeline's customer-managed key, usable by the services that write encrypted audit data. */
export class AuditKey extends Group {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'AuditKey', {
      alias: 'alias/logwarden-audit',
      description: 'logwarden audit pipeline: stream, archive, log group, alerts topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsAuditGroup',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsAndEventsToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com'), new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
  }
}

export interface AuditBusProps {
  busName: string;
  /** Who may put which events (infra/bus-policy.ts), for the bus named `busName`. */
  policy: (busArn: string) => BusPolicyStatement[];
}

/** The organization's audit bus: every member deployment publishes its audit records here, and nobody else. */
export class AuditBus extends Group {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: AuditBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'AuditBus', { eventBusName: props.busName, description: 'logwarden audit records' });
    for (const statement of props.policy(this.bus.eventBusArn)) {
      this.bus.addToResourcePolicy(iam.PolicyStatement.fromJson(statement));
    }
  }
}

export interface AuditFeedProps {
  bus: events.IEventBus;
  key: kms.IKey;
  streamRetentionHours: number;
  logRetentionDays: number;
}

const AUDIT_LOG_GROUP = '/logwarden/audit';

/**
 * Where the audit records go from the bus: a KMS-encrypted Kinesis stream (the SIEM's feed, archived
 * to S3 by Firehose) and a CloudWatch Logs group (Logs Insights, the dashboard's listings). The
 * origin check (infra/origin-check.ts) adds itself as the rule's third target.
 */
export class AuditFeed extends Group {
  readonly stream: kinesis.Stream;
  readonly logGroup: logs.LogGroup;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: AuditFeedProps) {
    super(scope, id);
    this.stream = new kinesis.Stream(this, 'AuditStream', {
      streamName: 'logwarden-audit',
      streamMode: kinesis.StreamMode.ON_DEMAND,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: props.key,
      retentionPeriod: Duration.hours(props.streamRetentionHours),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.stream,
      'AwsSolutions-KDS3',
      'Encrypted with the pipeline’s customer-managed key (rotation on) so that its key policy, not the account default key, controls who reads the SIEM feed.',
    );
    acknowledgeFindings(
      this.stream,
      'AwsSolutions-IAM5',
      'CDK grant to the EventBridge role: kms:GenerateDataKey*/ReEncrypt* on the one audit key only, for writing to the encrypted stream.',
      KEY_ACTION_FINDINGS,
    );
    this.logGroup = new logs.LogGroup(this, 'AuditLogs', {
      logGroupName: AUDIT_LOG_GROUP,
      retention: props.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const logGroupArn = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: AUDIT_LOG_GROUP,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.rule = new events.Rule(this, 'AuditRecords', {
      ruleName: 'logwarden-audit-records',
      eventBus: props.bus,
      description: 'Every logwarden audit record: to the SIEM stream, the audit log group and the origin check',
      eventPattern: toCdkPattern(auditRecordPattern()),
      targets: [
        // The whole event (no input transformer) goes to every sink, so the envelope, whose `account`
        // AWS sets to the sender, is kept with each record (#13 item 2); partitioned by that account.
        new targets.KinesisStream(this.stream, { partitionKeyPath: '$.account' }),
        { bind: () => ({ arn: logGroupArn, id: 'AuditLogGroup' }) },
      ],
    });
    this.writableByEventBridge(logGroupArn, this.rule.ruleArn);
  }

  /**
   * Let EventBridge write to the log group, for this rule of this account only (#17): without the
   * conditions, any rule of any account could write records into the audit log group.
   */
  private writableByEventBridge(logGroupArn: string, ruleArn: string): void {
    // EventBridge writes to the log group under this resource policy (no custom resource needed).
    new logs.ResourcePolicy(this, 'AuditLogsFromEventBridge', {
      resourcePolicyName: 'logwarden-audit-from-eventbridge',
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com'), new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`${logGroupArn}:*`],
          conditions: {
            ArnEquals: { 'aws:SourceArn': ruleArn },
            StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          },
        }),
      ],
    });
  }
}

export interface AuditArchiveProps {
  stream: kinesis.IStream;
  key: kms.IKey;
  /** Object Lock (COMPLIANCE) retention, which is also when the archive's own access logs expire. */
  retentionDays: number;
}

/**
 * The archive: Firehose from the stream to a bucket with Object Lock in COMPLIANCE mode, versioned,
 * KMS, private, TLS only, its access logs in a bucket of their own.
 */
export class AuditArchive extends Group {
  readonly bucket: s3.Bucket;
  readonly delivery: firehose.DeliveryStream;

  constructor(scope: Construct, id: string, props: AuditArchiveProps) {
    super(scope, id);
    const serverAccessLogs = new s3.Bucket(this, 'ArchiveAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      serverAccessLogs,
      'AwsSolutions-S1',
      'This bucket receives the archive bucket’s server access logs; it cannot log into itself.',
    );
    this.bucket = new s3.Bucket(this, 'AuditArchive', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
      serverAccessLogsBucket: serverAccessLogs,
      serverAccessLogsPrefix: 'audit-archive/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.delivery = this.deliveryStream(props);
  }

  private deliveryStream(props: AuditArchiveProps): firehose.DeliveryStream {
    const delivery = new firehose.DeliveryStream(this, 'ToArchive', {
      deliveryStreamName: 'logwarden-audit-archive',
      source: new firehose.KinesisStreamSource(props.stream),
      destination: new firehose.S3Bucket(this.bucket, {
        dataOutputPrefix: 'audit/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        bufferingInterval: Duration.minutes(5),
        compression: firehose.Compression.GZIP,
        encryptionKey: props.key,
        // One audit record per line.
        processors: [new firehose.AppendDelimiterToRecordProcessor()],
      }),
    });
    acknowledge(
      delivery,
      'AwsSolutions-KDF1',
      'The source is the KMS-encrypted Kinesis stream (Firehose refuses its own SSE with a stream source) and the archive objects are written with the audit KMS key.',
    );
    acknowledgeFindings(
      delivery,
      'AwsSolutions-IAM5',
      'CDK grants of the Firehose role: object-level actions on the archive bucket’s objects (bucket/*) and the audit key’s data-key actions only; nothing outside the archive.',
      [
        ...KEY_ACTION_FINDINGS,
        `Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`,
        'Action::s3:List*',
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
      ],
    );
    return delivery;
  }
}
