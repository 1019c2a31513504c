import {
  aws_cloudwatch as cloudwatch,
  aws_config as config,
  aws_cloudwatch_actions as cwActions,
  Duration,
  aws_events as events,
  aws_iam as iam,
  type aws_kms as kms,
  aws_logs as logs,
  aws_sns as sns,
  aws_sns_subscriptions as subs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ESCALATION_RUNBOOK } from '../controllers/core/controller.js';
import { HEARTBEAT_GUARDRAIL } from '../controllers/heartbeat/index.js';
import { HEARTBEAT_EVENT_NAME, MONITOR_EVENT_NAME } from '../controllers/monitor/decide.js';
import { Group } from './group.js';
import { acknowledge } from './nag.js';
import { alarmStatePattern, toCdkPattern } from './patterns.js';

const METRIC_NAMESPACE = 'logwarden';

export interface AuditMetricsProps {
  /** The audit log group: one audit record per event. */
  logGroup: logs.ILogGroup;
}

/** Counts of audit records, from metric filters on the audit log group. */
export class AuditMetrics extends Group {
  readonly failures: cloudwatch.Metric;
  readonly remediations: cloudwatch.Metric;
  readonly escalations: cloudwatch.Metric;
  /** `exempt` records: policy exemptions being exercised, counted per hour (sweeps are hourly by default). */
  readonly exemptions: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: AuditMetricsProps) {
    super(scope, id);
    const count = (metricName: string, field: string, value: string, period: Duration) =>
      new logs.MetricFilter(this, `${metricName}Metric`, {
        logGroup: props.logGroup,
        metricNamespace: METRIC_NAMESPACE,
        metricName,
        filterPattern: logs.FilterPattern.stringValue(field, '=', value),
        metricValue: '1',
      }).metric({ statistic: 'Sum', period });
    this.failures = count('Failures', '$.detail.outcome', 'failed', Duration.minutes(5));
    this.remediations = count('Remediations', '$.detail.outcome', 'remediated', Duration.minutes(5));
    this.escalations = count('Escalations', '$.detail.outcome', 'escalated', Duration.minutes(5));
    this.exemptions = count('Exemptions', '$.detail.outcome', 'exempt', Duration.hours(1));
  }
}

export interface AuditAlarmsProps {
  metrics: AuditMetrics;
  /** The audit bus, where the member deployments forward their DLQ alarms. */
  bus: events.IEventBus;
  /** Encrypts the alerts topic. */
  key: kms.IKey;
  alarmEmail?: string;
}

/**
 * The alerts topic and what reaches it: failures, flapping, exemptions, member DLQ alarms (silent
 * deployments: the heartbeat monitor's alarm, infra/heartbeat-monitor.ts).
 */
export class AuditAlarms extends Group {
  readonly topic: sns.Topic;
  readonly failures: cloudwatch.Alarm;
  readonly escalations: cloudwatch.Alarm;
  readonly exemptions: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: AuditAlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alerts', { topicName: 'logwarden-alerts', masterKey: props.key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subs.EmailSubscription(props.alarmEmail));
    new events.Rule(this, 'MemberAlarms', {
      ruleName: 'logwarden-member-alarms',
      eventBus: props.bus,
      description: 'DLQ alarms of the member deployments',
      eventPattern: toCdkPattern(alarmStatePattern()),
      targets: [new targets.SnsTopic(this.topic)],
    });
    const whenAny = { threshold: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD };
    // Flapping: a resource was remediated too often. Logging-off drift is still re-applied; settings drift is held back.
    this.escalations = this.alarm('EscalationsAlarm', {
      alarmName: 'logwarden-escalations',
      alarmDescription: `logwarden: a resource keeps being changed back (outcome=escalated); logging-off drift is re-applied every time, settings drift is held back until the flapping window passes. Runbook: ${ESCALATION_RUNBOOK}`,
      metric: props.metrics.escalations,
      ...whenAny,
    });
    // Exemptions in use: in ALARM while any resource is left out of policy by an exemption, so the
    // topic hears when the first one starts being used and OK once the last one has lapsed.
    this.exemptions = this.alarm('ExemptionsAlarm', {
      alarmName: 'logwarden-exemptions-in-use',
      alarmDescription:
        'logwarden: resources are left out of policy by a policy exemption (outcome=exempt); `logwarden audit --summary` lists them and their expiry',
      metric: props.metrics.exemptions,
      ...whenAny,
    });
    this.failures = this.alarm('FailuresAlarm', {
      alarmName: 'logwarden-remediation-failures',
      alarmDescription: 'logwarden: a guardrail reported outcome=failed (see the dashboard’s failures table)',
      metric: props.metrics.failures,
      ...whenAny,
    });
  }

  /** One evaluation period; no data means nothing happened unless the props say otherwise. */
  private alarm(id: string, props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods'>): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
    return alarm;
  }
}

export interface AuditDashboardProps {
  logGroup: logs.ILogGroup;
  metrics: AuditMetrics;
  alarms: AuditAlarms;
  /** The heartbeat monitor's alarm (infra/heartbeat-monitor.ts). */
  missingHeartbeats: cloudwatch.IAlarm;
}

/** The `logwarden` dashboard: outcomes, failures, time to remediate, the last heartbeat of each deployment. */
export class AuditDashboard extends Group {
  constructor(scope: Construct, id: string, props: AuditDashboardProps) {
    super(scope, id);
    const query = (title: string, queryLines: string[]) =>
      new cloudwatch.LogQueryWidget({ title, logGroupNames: [props.logGroup.logGroupName], width: 12, queryLines });
    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: 'logwarden',
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Remediations and failures',
            left: [props.metrics.remediations, props.metrics.failures],
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: [props.alarms.failures, props.missingHeartbeats, props.alarms.exemptions],
            width: 12,
          }),
        ],
        [
          query('Outcomes by guardrail, outcome and account', [
            `filter detail.guardrail != "${HEARTBEAT_GUARDRAIL}"`,
            'stats count(*) as records by detail.guardrail, detail.outcome, detail.account',
            'sort records desc',
          ]),
          query('Failures', [
            'filter detail.outcome = "failed"',
            'fields @timestamp, detail.account, detail.region, detail.guardrail, detail.resource.id, detail.reason',
            'sort @timestamp desc',
            'limit 100',
          ]),
        ],
        [
          query('Time to remediate (controller time, ms)', [
            'filter detail.outcome = "remediated"',
            'stats avg(detail.durationMs) as avg, pct(detail.durationMs, 95) as p95, max(detail.durationMs) as max, count(*) as n by detail.guardrail',
          ]),
          // `account` is the envelope's (set by EventBridge to the sender), never the record's own claim.
          query('Last heartbeat per account and region (oldest first: silent deployments on top)', [
            `filter detail.guardrail = "${HEARTBEAT_GUARDRAIL}" and detail.trigger.eventName = "${HEARTBEAT_EVENT_NAME}"`,
            'stats max(@timestamp) as lastHeartbeat by account, detail.region',
            'sort lastHeartbeat asc',
          ]),
        ],
        [
          query('Missing heartbeats (the heartbeat monitor’s failed records: the silent account/region is the resource)', [
            `filter detail.guardrail = "${HEARTBEAT_GUARDRAIL}" and detail.trigger.eventName = "${MONITOR_EVENT_NAME}"`,
            'fields @timestamp, detail.resource.id, detail.outcome, detail.reason',
            'sort @timestamp desc',
            'limit 100',
          ]),
        ],
      ],
    });
  }
}

export interface OrganizationAggregatorProps {
  regions: string[];
}

/** The AWS Config organization aggregator `logwarden` (the central account must be Config's delegated admin). */
export class OrganizationAggregator extends Group {
  constructor(scope: Construct, id: string, props: OrganizationAggregatorProps) {
    super(scope, id);
    const role = new iam.Role(this, 'AggregatorRole', {
      assumedBy: new iam.ServicePrincipal('config.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSConfigRoleForOrganizations')],
    });
    acknowledge(
      role,
      'AwsSolutions-IAM4',
      'AWSConfigRoleForOrganizations is the AWS-maintained policy made for organization aggregators (organizations:List*/Describe* only).',
      'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSConfigRoleForOrganizations',
    );
    new config.CfnConfigurationAggregator(this, 'Aggregator', {
      configurationAggregatorName: 'logwarden',
      organizationAggregationSource: { roleArn: role.roleArn, awsRegions: props.regions },
    });
  }
}
