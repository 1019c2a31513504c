import {
  ArnFormat,
  Aws,
  aws_cloudwatch as cloudwatch,
  aws_config as config,
  aws_cloudwatch_actions as cwActions,
  Duration,
  aws_events as events,
  aws_kinesisfirehose as firehose,
  aws_iam as iam,
  aws_kinesis as kinesis,
  aws_kms as kms,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  type StackProps,
  aws_s3 as s3,
  aws_sns as sns,
  aws_sns_subscriptions as subs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { HEARTBEAT_GUARDRAIL } from '../controllers/heartbeat/index.js';
import type { Deployment } from './config.js';
import { acknowledge, acknowledgeFindings } from './nag.js';
import { alarmStatePattern, auditRecordPattern, toCdkPattern } from './patterns.js';

export interface CentralStackProps extends StackProps {
  deployment: Deployment;
}

export const METRIC_NAMESPACE = 'logwarden';

/**
 * The central audit pipeline in the security / log-archive account: the organization's audit bus,
 * a KMS-encrypted Kinesis stream (the SIEM's feed) and a CloudWatch Logs group (Logs Insights, the
 * dashboard), Firehose from the stream to an Object Lock (COMPLIANCE) archive, alarms and the
 * Config organization aggregator.
 */
export class CentralStack extends Stack {
  readonly bus: events.EventBus;
  readonly auditRule: events.Rule;

  constructor(scope: Construct, id: string, props: CentralStackProps) {
    super(scope, id, props);
    const d = props.deployment;
    const c = d.config.central;

    const key = new kms.Key(this, 'AuditKey', {
      alias: 'alias/logwarden-audit',
      description: 'logwarden audit pipeline: stream, archive, log group, alerts topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    key.addToResourcePolicy(
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
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsAndEventsToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com'), new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    // The audit bus: PutEvents only from principals of the organization.
    this.bus = new events.EventBus(this, 'AuditBus', { eventBusName: d.bus.name, description: 'logwarden audit records' });
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OrganizationPutEvents',
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': d.config.organizationId } },
      }),
    );

    const stream = new kinesis.Stream(this, 'AuditStream', {
      streamName: 'logwarden-audit',
      streamMode: kinesis.StreamMode.ON_DEMAND,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: key,
      retentionPeriod: Duration.hours(c.streamRetentionHours),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    acknowledge(
      stream,
      'AwsSolutions-KDS3',
      'Encrypted with the pipeline’s customer-managed key (rotation on) so that its key policy, not the account default key, controls who reads the SIEM feed.',
    );
    const keyActions = ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'];
    acknowledgeFindings(
      stream,
      'AwsSolutions-IAM5',
      'CDK grant to the EventBridge role: kms:GenerateDataKey*/ReEncrypt* on the one audit key only, for writing to the encrypted stream.',
      keyActions,
    );
    const auditLogGroupName = '/logwarden/audit';
    const auditLogs = new logs.LogGroup(this, 'AuditLogs', {
      logGroupName: auditLogGroupName,
      retention: c.logRetentionDays as logs.RetentionDays,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const auditLogsArn = this.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: auditLogGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // EventBridge writes to the log group under this resource policy (no custom resource needed).
    new logs.ResourcePolicy(this, 'AuditLogsFromEventBridge', {
      resourcePolicyName: 'logwarden-audit-from-eventbridge',
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com'), new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`${auditLogsArn}:*`],
        }),
      ],
    });

    this.auditRule = new events.Rule(this, 'AuditRecords', {
      ruleName: 'logwarden-audit-records',
      eventBus: this.bus,
      description: 'Every logwarden audit record: to the SIEM stream and the audit log group',
      eventPattern: toCdkPattern(auditRecordPattern()),
      targets: [
        new targets.KinesisStream(stream, { partitionKeyPath: '$.detail.account' }),
        { bind: () => ({ arn: auditLogsArn, id: 'AuditLogGroup' }) },
      ],
    });

    // The archive: Object Lock in COMPLIANCE mode, versioned, KMS, private, TLS only.
    const serverAccessLogs = new s3.Bucket(this, 'ArchiveAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(c.archiveRetentionDays), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      serverAccessLogs,
      'AwsSolutions-S1',
      'This bucket receives the archive bucket’s server access logs; it cannot log into itself.',
    );
    const archive = new s3.Bucket(this, 'AuditArchive', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(c.archiveRetentionDays)),
      serverAccessLogsBucket: serverAccessLogs,
      serverAccessLogsPrefix: 'audit-archive/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const toArchive = new firehose.DeliveryStream(this, 'ToArchive', {
      deliveryStreamName: 'logwarden-audit-archive',
      source: new firehose.KinesisStreamSource(stream),
      destination: new firehose.S3Bucket(archive, {
        dataOutputPrefix: 'audit/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        bufferingInterval: Duration.minutes(5),
        compression: firehose.Compression.GZIP,
        encryptionKey: key,
        // One audit record per line.
        processors: [new firehose.AppendDelimiterToRecordProcessor()],
      }),
    });

    acknowledge(
      toArchive,
      'AwsSolutions-KDF1',
      'The source is the KMS-encrypted Kinesis stream (Firehose refuses its own SSE with a stream source) and the archive objects are written with the audit KMS key.',
    );
    acknowledgeFindings(
      toArchive,
      'AwsSolutions-IAM5',
      'CDK grants of the Firehose role: object-level actions on the archive bucket’s objects (bucket/*) and the audit key’s data-key actions only; nothing outside the archive.',
      [
        ...keyActions,
        `Resource::<${this.getLogicalId(archive.node.defaultChild as s3.CfnBucket)}.Arn>/*`,
        'Action::s3:List*',
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
      ],
    );

    // Alerts: failures, silent deployments, and member DLQ alarms forwarded to this bus.
    const topic = new sns.Topic(this, 'Alerts', { topicName: 'logwarden-alerts', masterKey: key, enforceSSL: true });
    if (c.alarmEmail) topic.addSubscription(new subs.EmailSubscription(c.alarmEmail));
    new events.Rule(this, 'MemberAlarms', {
      ruleName: 'logwarden-member-alarms',
      eventBus: this.bus,
      description: 'DLQ alarms of the member deployments',
      eventPattern: toCdkPattern(alarmStatePattern()),
      targets: [new targets.SnsTopic(topic)],
    });

    const failures = new logs.MetricFilter(this, 'FailuresMetric', {
      logGroup: auditLogs,
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'Failures',
      filterPattern: logs.FilterPattern.stringValue('$.detail.outcome', '=', 'failed'),
      metricValue: '1',
    }).metric({ statistic: 'Sum', period: Duration.minutes(5) });
    const heartbeats = new logs.MetricFilter(this, 'HeartbeatsMetric', {
      logGroup: auditLogs,
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'Heartbeats',
      filterPattern: logs.FilterPattern.stringValue('$.detail.guardrail', '=', HEARTBEAT_GUARDRAIL),
      metricValue: '1',
    }).metric({ statistic: 'Sum', period: Duration.hours(1) });
    const remediations = new logs.MetricFilter(this, 'RemediationsMetric', {
      logGroup: auditLogs,
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'Remediations',
      filterPattern: logs.FilterPattern.stringValue('$.detail.outcome', '=', 'remediated'),
      metricValue: '1',
    }).metric({ statistic: 'Sum', period: Duration.minutes(5) });

    const escalations = new logs.MetricFilter(this, 'EscalationsMetric', {
      logGroup: auditLogs,
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'Escalations',
      filterPattern: logs.FilterPattern.stringValue('$.detail.outcome', '=', 'escalated'),
      metricValue: '1',
    }).metric({ statistic: 'Sum', period: Duration.minutes(5) });

    const alarmAction = new cwActions.SnsAction(topic);
    // Flapping: a resource was remediated too often and logwarden stopped re-applying (see the runbook).
    const escalationAlarm = new cloudwatch.Alarm(this, 'EscalationsAlarm', {
      alarmName: 'logwarden-escalations',
      alarmDescription:
        'logwarden: a resource keeps being changed back (outcome=escalated); logwarden stopped re-applying until the flapping window passes',
      metric: escalations,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    escalationAlarm.addAlarmAction(alarmAction);
    const failureAlarm = new cloudwatch.Alarm(this, 'FailuresAlarm', {
      alarmName: 'logwarden-remediation-failures',
      alarmDescription: 'logwarden: a guardrail reported outcome=failed (see the dashboard’s failures table)',
      metric: failures,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    failureAlarm.addAlarmAction(alarmAction);
    // Heartbeats per hour below what the expected deployments send: some account or region is silent.
    const perHour = Math.floor(60 / heartbeatMinutes(d.config.member.heartbeatSchedule));
    const silentAlarm = new cloudwatch.Alarm(this, 'SilentDeploymentsAlarm', {
      alarmName: 'logwarden-silent-deployments',
      alarmDescription: `logwarden: fewer heartbeats than ${c.expectedDeployments} deployments × ${perHour}/hour; the dashboard lists the last heartbeat per account and region`,
      metric: heartbeats,
      threshold: c.expectedDeployments * perHour,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    silentAlarm.addAlarmAction(alarmAction);

    const group = [auditLogs.logGroupName];
    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: 'logwarden',
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'Remediations and failures', left: [remediations, failures], width: 12 }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [failureAlarm, silentAlarm], width: 12 }),
        ],
        [
          new cloudwatch.LogQueryWidget({
            title: 'Outcomes by guardrail, outcome and account',
            logGroupNames: group,
            width: 12,
            queryLines: [
              'filter detail.guardrail != "heartbeat"',
              'stats count(*) as records by detail.guardrail, detail.outcome, detail.account',
              'sort records desc',
            ],
          }),
          new cloudwatch.LogQueryWidget({
            title: 'Failures',
            logGroupNames: group,
            width: 12,
            queryLines: [
              'filter detail.outcome = "failed"',
              'fields @timestamp, detail.account, detail.region, detail.guardrail, detail.resource.id, detail.reason',
              'sort @timestamp desc',
              'limit 100',
            ],
          }),
        ],
        [
          new cloudwatch.LogQueryWidget({
            title: 'Time to remediate (controller time, ms)',
            logGroupNames: group,
            width: 12,
            queryLines: [
              'filter detail.outcome = "remediated"',
              'stats avg(detail.durationMs) as avg, pct(detail.durationMs, 95) as p95, max(detail.durationMs) as max, count(*) as n by detail.guardrail',
            ],
          }),
          new cloudwatch.LogQueryWidget({
            title: 'Last heartbeat per account and region (oldest first: silent deployments on top)',
            logGroupNames: group,
            width: 12,
            queryLines: [
              `filter detail.guardrail = "${HEARTBEAT_GUARDRAIL}"`,
              'stats max(@timestamp) as lastHeartbeat by detail.account, detail.region',
              'sort lastHeartbeat asc',
            ],
          }),
        ],
      ],
    });

    if (c.aggregator) {
      const aggregatorRole = new iam.Role(this, 'AggregatorRole', {
        assumedBy: new iam.ServicePrincipal('config.amazonaws.com'),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSConfigRoleForOrganizations')],
      });
      acknowledge(
        aggregatorRole,
        'AwsSolutions-IAM4',
        'AWSConfigRoleForOrganizations is the AWS-maintained policy made for organization aggregators (organizations:List*/Describe* only).',
        'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSConfigRoleForOrganizations',
      );
      new config.CfnConfigurationAggregator(this, 'Aggregator', {
        configurationAggregatorName: 'logwarden',
        organizationAggregationSource: { roleArn: aggregatorRole.roleArn, awsRegions: d.config.rollout.regions },
      });
    }
  }
}

/** Minutes between heartbeats for `rate(N minute(s)|hour(s))`; cron schedules count as hourly. Pure. */
export function heartbeatMinutes(schedule: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule);
  if (!m) return 60;
  const n = Number(m[1]);
  const unit = m[2] as string;
  const minutes = unit.startsWith('minute') ? n : unit.startsWith('hour') ? n * 60 : n * 1440;
  return Math.min(Math.max(minutes, 1), 60);
}
