import type { AuditRecord } from '../../controllers/core/record.js';
import { record } from '../helpers/records.js';

/**
 * Records with the longest labels the report has to show (32-hex GuardDuty detector ids, long ARNs,
 * the longest guardrail names and regions, a long SSO actor), all within four minutes: the HTML
 * report must show every label whole, break ids only between their parts, and still tell the
 * timeline's ticks apart.
 */
export const LONG_NOW = new Date('2026-11-26T12:00:00.000Z');
export const DETECTOR = 'c2b7e4f1a9d3c6b8e0f2a4c6e8b0d2f4';
export const OTHER_DETECTOR = '7e4f1a9d3c6b8e0f2a4c6e8b0d2f4c2b';
export const LOAD_BALANCER =
  'arn:aws:elasticloadbalancing:ap-southeast-2:444444444444:loadbalancer/app/payments-internal-api-production/50dc6c495c0c9188';
export const CLUSTER = 'arn:aws:eks:ap-southeast-2:555555555555:cluster/platform-shared-services-production-cluster';
const ACTOR =
  'arn:aws:sts::444444444444:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice.example@example.com';

/** A record `seconds` after 11:58:00 UTC. */
function at(
  seconds: number,
  guardrail: string,
  account: string,
  resource: string,
  outcome: AuditRecord['outcome'],
  extra: Partial<AuditRecord> = {},
): AuditRecord {
  return record({
    guardrail,
    account,
    region: 'ap-southeast-2',
    outcome,
    time: new Date(Date.parse('2026-11-26T11:58:00.000Z') + seconds * 1000).toISOString(),
    resource: { type: `type/${guardrail}`, id: resource, arn: null },
    trigger: { type: 'cloudtrail', eventId: `e-${seconds}`, eventName: 'DeleteDetector', actor: ACTOR },
    runbook: `runbooks/${guardrail}.md`,
    reason: `${outcome} ${resource} after the ${guardrail} guardrail re-read its state`,
    ...extra,
  });
}

export const LONG: AuditRecord[] = [
  at(0, 'guardduty', '444444444444', DETECTOR, 'remediated'),
  at(40, 'guardduty', '444444444444', DETECTOR, 'remediated'),
  at(80, 'guardduty', '444444444444', DETECTOR, 'remediated'),
  at(30, 'guardduty', '555555555555', OTHER_DETECTOR, 'remediated'),
  at(95, 'guardduty', '555555555555', OTHER_DETECTOR, 'remediated'),
  at(50, 'load-balancer-logs', '444444444444', LOAD_BALANCER, 'remediated'),
  at(110, 'load-balancer-logs', '444444444444', LOAD_BALANCER, 'failed', { retryable: true }),
  at(120, 'eks-control-plane-logs', '555555555555', CLUSTER, 'remediated'),
  at(150, 'eks-control-plane-logs', '555555555555', CLUSTER, 'escalated'),
  at(170, 'resolver-query-logs', '555555555555', 'vpc-0a1b2c3d4e5f67890', 'drift-detected'),
  at(200, 'guardduty', '666666666666', DETECTOR, 'exempt', {
    exemption: { expires: '2026-12-03', approver: 'security-architecture-review-board@example.com', ticket: 'SECOPS-123456' },
  }),
  at(215, 'eks-control-plane-logs', '666666666666', CLUSTER, 'exempt', {
    exemption: { expires: '2027-03-31', approver: null, ticket: 'CHG-2026-000123' },
  }),
];
