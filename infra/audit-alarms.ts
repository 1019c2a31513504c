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
import { ADMITTED, ORIGIN_CHECK_LOG_GROUP, QUARANTINED } from '../controllers/origin-check/index.js';
import { Group } from './group.js';
import { acknowledge } from './nag.js';
import { alarmStatePattern, toCdkPattern } from './patterns.js';

const METRIC_NAMESPACE = 'logwarden';

export interface AuditMetricsProps {
  /**
   * The origin check's log group (infra/origin-check.ts): one verdict line per audit record, whose
   * `account` is the EventBridge envelope's.
   */
  verdicts: logs.ILogGroup;
}

/** The dimension of the per-account counts: the envelope's account, which AWS sets to the sender. */
const ACCOUNT_DIMENSION = 'account';
const ORIGIN_MISMATCH_METRIC = 'OriginMismatch';
const ORIGIN_MISMATCH_ALARM = 'logwarden-origin-mismatch';
const ORIGIN_RUNBOOK = 'runbooks/origin.md';

/** Admitted records (the origin check found the envelope's account) with this outcome. Pure. */
function admittedWith(outcome: string): logs.IFilterPattern {
  return logs.FilterPattern.all(
    logs.FilterPattern.stringValue('$.verdict', '=', ADMITTED),
    logs.FilterPattern.stringValue('$.outcome', '=', outcome),
  );
}

/** The top accounts of a per-account count, as a Metrics Insights query for the dashboard. Pure. */
function topAccounts(metricName: string, period: Duration): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SELECT SUM(${metricName}) FROM SCHEMA("${METRIC_NAMESPACE}", ${ACCOUNT_DIMENSION}) GROUP BY ${ACCOUNT_DIMENSION} ORDER BY SUM() DESC LIMIT 10`,
    label: `${metricName} by account`,
    period,
  });
}

/**
 * Counts of audit records, from metric filters on the origin check's verdict lines: `admitted` ones,
 * each count twice (the total, which the alarms read, and per envelope account, for the dashboard),
 * and `quarantined` ones (forged or unverifiable origin) as `OriginMismatch`. The totals are their own
 * filters because CloudWatch Logs disables a filter whose dimension takes 1,000 values within a short
 * time: at that scale the per-account series may stop, the alarms must not.
 */
export class AuditMetrics extends Group {
  readonly failures: cloudwatch.Metric;
  readonly remediations: cloudwatch.Metric;
  readonly escalations: cloudwatch.Metric;
  /** `exempt` records: policy exemptions being exercised, counted per hour (sweeps are hourly by default). */
  readonly exemptions: cloudwatch.Metric;
  /** Records quarantined by the origin check; no dimension (the verdict line names both accounts). */
  readonly originMismatches: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: AuditMetricsProps) {
    super(scope, id);
    const filter = (
      metricId: string,
      metricName: string,
      filterPattern: logs.IFilterPattern,
      dimensions?: Record<string, string>,
    ) =>
      new logs.MetricFilter(this, metricId, {
        logGroup: props.verdicts,
        metricNamespace: METRIC_NAMESPACE,
        metricName,
        filterPattern,
        metricValue: '1',
        ...(dimensions ? { dimensions } : {}),
      });
    const count = (metricName: string, outcome: string, period: Duration) => {
      filter(`${metricName}ByAccountMetric`, metricName, admittedWith(outcome), { [ACCOUNT_DIMENSION]: '$.account' });
      return filter(`${metricName}Metric`, metricName, admittedWith(outcome)).metric({ statistic: 'Sum', period });
    };
    this.failures = count('Failures', 'failed', Duration.minutes(5));
    this.remediations = count('Remediations', 'remediated', Duration.minutes(5));
    this.escalations = count('Escalations', 'escalated', Duration.minutes(5));
    this.exemptions = count('Exemptions', 'exempt', Duration.hours(1));
    this.originMismatches = filter(
      'OriginMismatchMetric',
      ORIGIN_MISMATCH_METRIC,
      logs.FilterPattern.stringValue('$.verdict', '=', QUARANTINED),
    ).metric({ statistic: 'Sum', period: Duration.minutes(5) });
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
 * The alerts topic and what reaches it: failures, flapping, exemptions, quarantined records (origin
 * mismatch), member DLQ alarms (silent deployments: the heartbeat monitor's alarm, infra/heartbeat-monitor.ts).
 */
export class AuditAlarms extends Group {
  readonly topic: sns.Topic;
  readonly failures: cloudwatch.Alarm;
  readonly escalations: cloudwatch.Alarm;
  readonly exemptions: cloudwatch.Alarm;
  readonly originMismatches: cloudwatch.Alarm;

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
    this.originMismatches = this.alarm('OriginMismatchAlarm', {
      alarmName: ORIGIN_MISMATCH_ALARM,
      alarmDescription: `logwarden: an audit record claims another account than the one that sent it, or its origin cannot be checked; it is kept and not counted. Which: the dashboard widget "Quarantined records" (log group ${ORIGIN_CHECK_LOG_GROUP}, verdict=quarantined). Runbook: ${ORIGIN_RUNBOOK}`,
      metric: props.metrics.originMismatches,
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
  /** The audit log group: the whole records, for the listings. */
  logGroup: logs.ILogGroup;
  /** The origin check's verdict lines, for the counts (admitted records only) and the quarantine. */
  verdicts: logs.ILogGroup;
  metrics: AuditMetrics;
  alarms: AuditAlarms;
  /** The heartbeat monitor's alarm (infra/heartbeat-monitor.ts). */
  missingHeartbeats: cloudwatch.IAlarm;
}

type QueryWidget = (title: string, queryLines: string[]) => cloudwatch.LogQueryWidget;

/**
 * The `logwarden` dashboard: outcomes, failures, time to remediate, the quarantined records, the last
 * heartbeat of each deployment. Every account shown is the EventBridge envelope's (`account`, set by
 * AWS to the sender), never the record's own `detail.account`; counts and statistics read the origin
 * check's admitted lines, so a quarantined record is listed but never counted.
 */
export class AuditDashboard extends Group {
  constructor(scope: Construct, id: string, props: AuditDashboardProps) {
    super(scope, id);
    const on =
      (group: logs.ILogGroup): QueryWidget =>
      (title, queryLines) =>
        new cloudwatch.LogQueryWidget({ title, logGroupNames: [group.logGroupName], width: 12, queryLines });
    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: 'logwarden',
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Remediations, failures and quarantined records (all accounts)',
            left: [props.metrics.remediations, props.metrics.failures, props.metrics.originMismatches],
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: [props.alarms.failures, props.missingHeartbeats, props.alarms.exemptions, props.alarms.originMismatches],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Failures by account (top 10, the envelope’s account)',
            left: [topAccounts('Failures', Duration.minutes(5))],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Remediations by account (top 10, the envelope’s account)',
            left: [topAccounts('Remediations', Duration.minutes(5))],
            width: 12,
          }),
        ],
        ...countRows(on(props.verdicts)),
        ...listingRows(on(props.logGroup)),
      ],
    });
  }
}

/** Widgets on the origin check's verdict lines: counts of admitted records, and the quarantine. */
function countRows(query: QueryWidget): cloudwatch.IWidget[][] {
  const admitted = `filter verdict = "${ADMITTED}"`;
  return [
    [
      query('Outcomes by guardrail, outcome and account (admitted records)', [
        `${admitted} and guardrail != "${HEARTBEAT_GUARDRAIL}"`,
        'stats count(*) as records by guardrail, outcome, account',
        'sort records desc',
      ]),
      query('Time to remediate (controller time, ms; admitted records)', [
        `${admitted} and outcome = "remediated"`,
        'stats avg(durationMs) as avg, pct(durationMs, 95) as p95, max(durationMs) as max, count(*) as n by guardrail',
      ]),
    ],
    [
      query('Quarantined records (origin check: kept, not counted; runbooks/origin.md)', [
        `filter verdict = "${QUARANTINED}"`,
        'fields @timestamp, reason, account, claimedAccount, event.detail.guardrail, event.detail.outcome, eventId',
        'sort @timestamp desc',
        'limit 100',
      ]),
    ],
  ];
}

/** Widgets on the audit log group (whole records): failures and heartbeats, by the envelope's account. */
function listingRows(query: QueryWidget): cloudwatch.IWidget[][] {
  return [
    [
      query('Failures', [
        'filter detail.outcome = "failed"',
        'fields @timestamp, account, detail.region, detail.guardrail, detail.resource.id, detail.reason',
        'sort @timestamp desc',
        'limit 100',
      ]),
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
  ];
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
