import type { AuditRecord } from '../../controllers/core/record.js';
import { record } from '../helpers/records.js';

/**
 * A known record set for the audit tests (summary figures, CLI output, the HTML report in
 * Chromium). Every figure the tests expect was worked out by hand from it.
 */
export const NOW = new Date('2026-11-26T12:00:00.000Z');
export const A = '111111111111';
export const B = '222222222222';
export const C = '333333333333';

export function rec(
  guardrail: string,
  account: string,
  region: string,
  resource: string,
  outcome: AuditRecord['outcome'],
  time: string,
  durationMs = 0,
): AuditRecord {
  return record({
    guardrail,
    account,
    region,
    outcome,
    time: `${time}:00.000Z`,
    durationMs,
    resource: { type: `type/${guardrail}`, id: resource, arn: null },
    runbook: `runbooks/${guardrail}.md`,
    reason: `${outcome} ${resource}`,
  });
}

const heartbeat = (account: string, time: string) =>
  record({
    guardrail: 'heartbeat',
    account,
    region: 'us-east-1',
    outcome: 'compliant',
    time: `${time}:00.000Z`,
    resource: { type: 'logwarden::Deployment', id: `${account}/us-east-1`, arn: null },
    trigger: { type: 'sweep', eventId: null, eventName: 'Heartbeat', actor: 'aws.events' },
    actions: [],
    drift: [],
  });

export const KNOWN: AuditRecord[] = [
  rec('cloudtrail', A, 'us-east-1', 'main', 'remediated', '2026-11-24T10:00', 100),
  rec('cloudtrail', A, 'us-east-1', 'main', 'remediated', '2026-11-25T10:00', 300),
  rec('cloudtrail', A, 'us-east-1', 'main', 'remediated', '2026-11-26T09:00', 200),
  rec('flow-logs', A, 'eu-west-1', 'vpc-1', 'remediated', '2026-11-25T11:00', 1000),
  rec('flow-logs', A, 'eu-west-1', 'vpc-1', 'failed', '2026-11-25T12:00'),
  rec('bucket-logging', B, 'us-east-1', 'bucket-a', 'failed', '2026-11-24T08:00'),
  rec('bucket-logging', B, 'us-east-1', 'bucket-a', 'remediated', '2026-11-24T09:00', 5000),
  rec('guardduty', B, 'us-east-1', 'det-1', 'escalated', '2026-11-26T08:00'),
  rec('cloudtrail', C, 'us-east-1', 'main', 'compliant', '2026-11-26T10:00'),
  rec('cloudtrail', C, 'us-east-1', 'main', 'drift-detected', '2026-11-26T10:30'),
  heartbeat(A, '2026-11-26T11:45'),
  heartbeat(B, '2026-11-26T09:00'),
  heartbeat(C, '2026-11-26T11:30'),
];
