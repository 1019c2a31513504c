import { Aws, type aws_events as events, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { monitorRoleName, ROLE_PATH } from '../controllers/core/identity.js';
import { AuditAlarms, AuditDashboard, AuditMetrics, OrganizationAggregator } from './audit-alarms.js';
import { AuditArchive, AuditBus, AuditFeed, AuditKey } from './audit-pipeline.js';
import { AuditSigningKey } from './audit-signing.js';
import type { Bundler } from './bundle.js';
import { auditBusPolicy } from './bus-policy.js';
import type { Deployment } from './config.js';
import { GroupedStack } from './group.js';
import { HeartbeatMonitor } from './heartbeat-monitor.js';
import { OriginCheck } from './origin-check.js';

export interface CentralStackProps extends StackProps {
  deployment: Deployment;
  /** Builds the central functions' code (the app's bundler: each bundle is compiled once). */
  bundler: Bundler;
}

/**
 * The central audit pipeline in the security / log-archive account: the organization's audit bus,
 * a KMS-encrypted Kinesis stream (the SIEM's feed) and a CloudWatch Logs group (Logs Insights, the
 * dashboard), Firehose from the stream to an Object Lock (COMPLIANCE) archive, the origin check
 * (counts only records whose account is the envelope's), alarms and the Config organization aggregator.
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
          centralPublishers: [`arn:${Aws.PARTITION}:iam::${c.account}:role${ROLE_PATH}${monitorRoleName(c.region)}`],
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
    const originCheck = new OriginCheck(this, 'OriginCheck', {
      bundle: props.bundler.bundle({ kind: 'origin-check' }, { policyJson: d.policyJson }),
      auditRule: feed.rule,
      key,
      logRetentionDays: c.logRetentionDays,
    });
    const metrics = new AuditMetrics(this, 'Metrics', { verdicts: originCheck.logGroup });
    const alarms = new AuditAlarms(this, 'Alarms', {
      metrics,
      bus: this.bus,
      key,
      alarmEmail: c.alarmEmail,
    });
    const monitor = new HeartbeatMonitor(this, 'HeartbeatMonitor', {
      deployment: d,
      bundle: props.bundler.bundle({ kind: 'heartbeat-monitor' }, { policyJson: d.policyJson }),
      bus: this.bus,
      key,
      topic: alarms.topic,
    });
    new AuditSigningKey(this, 'Signing', { organizationId: d.config.organizationId });
    new AuditDashboard(this, 'Dashboard', {
      logGroup: feed.logGroup,
      verdicts: originCheck.logGroup,
      metrics,
      alarms,
      missingHeartbeats: monitor.alarm,
    });
    if (c.aggregator) new OrganizationAggregator(this, 'Aggregator', { regions: d.config.rollout.regions });
  }
}
