import { Aws, type aws_events as events, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AuditAlarms, AuditDashboard, AuditMetrics, OrganizationAggregator } from './audit-alarms.js';
import { AuditArchive, AuditBus, AuditFeed, AuditKey } from './audit-pipeline.js';
import { AuditSigningKey } from './audit-signing.js';
import { auditBusPolicy } from './bus-policy.js';
import type { Deployment } from './config.js';
import { GroupedStack } from './group.js';

export interface CentralStackProps extends StackProps {
  deployment: Deployment;
}

/**
 * The central audit pipeline in the security / log-archive account: the organization's audit bus,
 * a KMS-encrypted Kinesis stream (the SIEM's feed) and a CloudWatch Logs group (Logs Insights, the
 * dashboard), Firehose from the stream to an Object Lock (COMPLIANCE) archive, alarms and the
 * Config organization aggregator.
 */
export class CentralStack extends GroupedStack {
  readonly bus: events.EventBus;
  readonly auditRule: events.Rule;

  constructor(scope: Construct, id: string, props: CentralStackProps) {
    super(scope, id, props);
    const d = props.deployment;
    const c = d.config.central;
    const { key } = new AuditKey(this, 'Key');
    this.bus = new AuditBus(this, 'Bus', {
      busName: d.bus.name,
      policy: (busArn) =>
        auditBusPolicy({
          busArn,
          organizationId: d.config.organizationId,
          partition: Aws.PARTITION,
          regions: d.config.rollout.regions,
          guardrails: d.guardrails.map((g) => g.name),
        }),
    }).bus;
    const feed = new AuditFeed(this, 'Feed', {
      bus: this.bus,
      key,
      streamRetentionHours: c.streamRetentionHours,
      logRetentionDays: c.logRetentionDays,
    });
    this.auditRule = feed.rule;
    new AuditArchive(this, 'Archive', { stream: feed.stream, key, retentionDays: c.archiveRetentionDays });
    const metrics = new AuditMetrics(this, 'Metrics', { logGroup: feed.logGroup });
    const alarms = new AuditAlarms(this, 'Alarms', {
      metrics,
      bus: this.bus,
      key,
      alarmEmail: c.alarmEmail,
      expectedDeployments: c.expectedDeployments,
      heartbeatsPerHour: Math.floor(60 / heartbeatMinutes(d.config.member.heartbeatSchedule)),
    });
    new AuditDashboard(this, 'Dashboard', { logGroup: feed.logGroup, metrics, alarms });
    new AuditSigningKey(this, 'Signing', { organizationId: d.config.organizationId });
    if (c.aggregator) new OrganizationAggregator(this, 'Aggregator', { regions: d.config.rollout.regions });
  }
}

/** Minutes between heartbeats for `rate(N minute(s)|hour(s))`; cron schedules count as hourly. Pure. */
function heartbeatMinutes(schedule: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule);
  if (!m) return 60;
  const n = Number(m[1]);
  const unit = m[2] as string;
  const minutes = unit.startsWith('minute') ? n : unit.startsWith('hour') ? n * 60 : n * 1440;
  return Math.min(Math.max(minutes, 1), 60);
}
