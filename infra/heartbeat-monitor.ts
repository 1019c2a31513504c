import {
  Aws,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cwActions,
  Duration,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  type aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  type aws_sns as sns,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { monitorRoleName, ROLE_PATH } from '../controllers/core/identity.js';
import { METRIC_NAMESPACE, MISSING_HEARTBEATS_METRIC, MONITOR_IAM_ACTIONS } from '../controllers/monitor/aws.js';
import { MONITOR_FUNCTION_NAME } from '../controllers/monitor/index.js';
import { type ExpectedSource, MONITOR_SETTINGS_VARIABLE, type MonitorSettings } from '../controllers/monitor/settings.js';
import type { Bundle } from './bundle.js';
import type { Deployment, DeploymentConfig } from './config.js';
import { Group } from './group.js';
import { acknowledge, acknowledgeFindings } from './nag.js';
import { heartbeatPattern, toCdkPattern } from './patterns.js';
import { STACKSET_NAME } from './rollout.js';

const HEARTBEAT_TABLE_NAME = 'logwarden-heartbeats';
const MISSING_HEARTBEATS_ALARM = 'logwarden-missing-heartbeats';
const HEARTBEAT_RULE = 'logwarden-heartbeats';
const CHECK_RULE = 'logwarden-heartbeat-check';

/**
 * The expected set's source: the configured one, else the StackSet when the central account owns it
 * (it can list its instances), else Organizations. Pure.
 */
function expectedSourceOf(config: DeploymentConfig): ExpectedSource {
  return (
    config.central.heartbeatMonitor.expectedFrom ??
    (config.central.account === config.adminAccount ? 'stackset' : 'organizations')
  );
}

/** A StackSet source the central account cannot list would leave the expected set unknown at every check. Pure. */
export function heartbeatMonitorIssues(config: DeploymentConfig): string[] {
  if (config.central.heartbeatMonitor.expectedFrom !== 'stackset') return [];
  if (config.central.account === config.adminAccount || config.callAs === 'DELEGATED_ADMIN') return [];
  return [
    `central.heartbeatMonitor.expectedFrom: stackset needs the central account ${config.central.account} to list the StackSet ` +
      `${STACKSET_NAME} of adminAccount ${config.adminAccount} (callAs SELF allows only its owner): use organizations, ` +
      'or register the central account as a StackSets delegated administrator and set callAs DELEGATED_ADMIN',
  ];
}

/** Minutes between beats for `rate(N minute(s)|hour(s))` (the config allows no other form). Pure. */
function heartbeatMinutes(schedule: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(schedule);
  if (!m) return 60;
  const n = Number(m[1]) * ((m[2] as string).startsWith('hour') ? 60 : 1);
  return Math.min(Math.max(n, 1), 60);
}

/** The monitor's settings for its environment, from the deployment. Pure. */
export function monitorSettings(d: Pick<Deployment, 'config'>): MonitorSettings {
  const c = d.config;
  return {
    table: HEARTBEAT_TABLE_NAME,
    expectedFrom: expectedSourceOf(c),
    regions: [...c.rollout.regions],
    heartbeatMinutes: heartbeatMinutes(c.member.heartbeatSchedule),
    stackSet: { name: STACKSET_NAME, region: c.homeRegion, callAs: c.callAs },
    managementAccount: c.managementAccount,
  };
}

/** An IAM statement as JSON: what the role gets and what the policy evaluator reads. */
export interface StatementJson {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface MonitorResources {
  tableArn: string;
  busArn: string;
  logGroupArn: string;
  /** `arn:<partition>:cloudformation:<home region>:<admin account>:stackset/logwarden-member:*` */
  stackSetArn: string;
}

/**
 * The monitor role's statements: exactly the calls its code makes, each on its one resource.
 * ListAccounts and PutMetricData have no resource-level permissions: the metric is held to the
 * `logwarden` namespace by condition. Pure; the ARNs may be CDK tokens.
 */
export function monitorStatements(expectedFrom: ExpectedSource, r: MonitorResources): StatementJson[] {
  const allow = (Sid: string, Action: readonly string[], Resource: string[], Condition?: StatementJson['Condition']) => ({
    Sid,
    Effect: 'Allow' as const,
    Action: [...Action],
    Resource,
    ...(Condition ? { Condition } : {}),
  });
  return [
    allow('OwnLogGroup', ['logs:CreateLogStream', 'logs:PutLogEvents'], [r.logGroupArn]),
    allow('HeartbeatTable', MONITOR_IAM_ACTIONS.table, [r.tableArn]),
    expectedFrom === 'stackset'
      ? allow('ExpectedDeployments', MONITOR_IAM_ACTIONS.stackset, [r.stackSetArn])
      : allow('ExpectedDeployments', MONITOR_IAM_ACTIONS.organizations, ['*']),
    allow('PublishAuditRecords', MONITOR_IAM_ACTIONS.publish, [r.busArn]),
    allow('MissingHeartbeatsMetric', MONITOR_IAM_ACTIONS.metric, ['*'], {
      StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE },
    }),
  ];
}

export interface HeartbeatMonitorProps {
  deployment: Deployment;
  bundle: Bundle;
  bus: events.IEventBus;
  key: kms.IKey;
  topic: sns.ITopic;
}

/**
 * The central heartbeat monitor: the table of last beats per account and region, the function, the
 * rule that feeds it the members' beats from the audit bus, the check every heartbeat period, and the
 * `logwarden-missing-heartbeats` alarm on the alerts topic.
 */
export class HeartbeatMonitor extends Group {
  readonly settings: MonitorSettings;
  readonly table: dynamodb.Table;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
  readonly fn: lambda.Function;
  readonly alarm: cloudwatch.Alarm;
  readonly rules: events.Rule[];

  constructor(scope: Construct, id: string, props: HeartbeatMonitorProps) {
    super(scope, id);
    this.settings = monitorSettings(props.deployment);
    this.table = new dynamodb.Table(this, 'HeartbeatTable', {
      tableName: HEARTBEAT_TABLE_NAME,
      partitionKey: { name: 'account', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'region', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logGroup = new logs.LogGroup(this, 'HeartbeatMonitorLogs', {
      logGroupName: `/aws/lambda/${MONITOR_FUNCTION_NAME}`,
      retention: props.deployment.config.central.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = this.monitorRole(props, this.logGroup);
    this.fn = this.monitorFunction(props, this.logGroup);
    this.rules = this.triggers(props);
    this.alarm = this.missingAlarm(props.topic);
  }

  private monitorRole(props: HeartbeatMonitorProps, logGroup: logs.ILogGroup): iam.Role {
    const c = props.deployment.config;
    const statements = monitorStatements(this.settings.expectedFrom, {
      tableArn: this.table.tableArn,
      busArn: props.bus.eventBusArn,
      logGroupArn: logGroup.logGroupArn,
      stackSetArn: `arn:${Aws.PARTITION}:cloudformation:${c.homeRegion}:${c.adminAccount}:stackset/${STACKSET_NAME}:*`,
    });
    const role = new iam.Role(this, 'HeartbeatMonitorRole', {
      roleName: monitorRoleName(Aws.REGION),
      path: ROLE_PATH,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `logwarden ${MONITOR_FUNCTION_NAME}: exactly the actions the code calls`,
      inlinePolicies: { Logwarden: iam.PolicyDocument.fromJson({ Version: '2012-10-17', Statement: statements }) },
    });
    const wildcards = statements.filter((s) => s.Resource.some((r) => r.includes('*'))).flatMap((s) => s.Resource);
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      'organizations:ListAccounts and cloudwatch:PutMetricData have no resource-level permissions (PutMetricData is held to the logwarden namespace by condition); a StackSet ARN ends in its generated id, hence :*.',
      [...new Set(wildcards)].map((r) => `Resource::${r.split(Aws.PARTITION).join('<AWS::Partition>')}`),
    );
    return role;
  }

  private monitorFunction(props: HeartbeatMonitorProps, logGroup: logs.ILogGroup): lambda.Function {
    const fn = new lambda.Function(this, MONITOR_FUNCTION_NAME, {
      functionName: MONITOR_FUNCTION_NAME,
      description: 'logwarden: last heartbeat per account and region; reports the silent ones',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.bundle.dir),
      memorySize: 256,
      timeout: Duration.minutes(2),
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { LOGWARDEN_ACCOUNT_ID: Aws.ACCOUNT_ID, [MONITOR_SETTINGS_VARIABLE]: JSON.stringify(this.settings) },
      retryAttempts: 2,
    });
    acknowledge(
      fn,
      'AwsSolutions-L1',
      'Pinned to nodejs22.x on purpose: the bundles are built for and tested on Node 22; a runtime upgrade is a reviewed change, not a drift.',
    );
    return fn;
  }

  /** The members' beats from the audit bus, and the check every heartbeat period. */
  private triggers(props: HeartbeatMonitorProps): events.Rule[] {
    const target = new targets.LambdaFunction(this.fn, { retryAttempts: 2, maxEventAge: Duration.minutes(15) });
    return [
      new events.Rule(this, 'HeartbeatsToMonitor', {
        ruleName: HEARTBEAT_RULE,
        eventBus: props.bus,
        description: 'Member heartbeats to the heartbeat monitor',
        eventPattern: toCdkPattern(heartbeatPattern()),
        targets: [target],
      }),
      new events.Rule(this, 'HeartbeatCheck', {
        ruleName: CHECK_RULE,
        description: 'The heartbeat monitor’s check for silent deployments',
        schedule: events.Schedule.rate(Duration.minutes(this.settings.heartbeatMinutes)),
        targets: [target],
      }),
    ];
  }

  /**
   * ≥ 1 silent deployment over two heartbeat periods. No data is breaching: the monitor puts the
   * metric after every complete check, so missing data means it stopped or could not complete one.
   */
  private missingAlarm(topic: sns.ITopic): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'MissingHeartbeatsAlarm', {
      alarmName: MISSING_HEARTBEATS_ALARM,
      alarmDescription:
        'logwarden: an expected account/region has sent no heartbeat for two periods, or the monitor could not check. ' +
        'Which ones: the failed heartbeat records (dashboard widget "Missing heartbeats", or ' +
        '`logwarden audit logs:///logwarden/audit --guardrail heartbeat --outcome failed --since 1h`); runbooks/heartbeat.md',
      metric: new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName: MISSING_HEARTBEATS_METRIC,
        statistic: 'Maximum',
        period: Duration.minutes(2 * this.settings.heartbeatMinutes),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(topic));
    alarm.addOkAction(new cwActions.SnsAction(topic));
    return alarm;
  }
}
