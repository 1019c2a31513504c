import { alarmForwarderRoleName, functionRoleName, ROLE_PATH } from '../controllers/core/identity.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE } from '../controllers/core/record.js';

/** What the EventBridge rule that forwards alarm state changes puts on the bus. */
export const FORWARDED_ALARM_SOURCE = 'aws.cloudwatch';
export const FORWARDED_ALARM_DETAIL_TYPE = 'CloudWatch Alarm State Change';

/** One statement of the audit bus's resource policy, as IAM JSON. */
export interface BusPolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: '*';
  Action: 'events:PutEvents';
  Resource: string;
  Condition: Record<string, Record<string, string | string[]>>;
}

export interface AuditBusPolicyInput {
  busArn: string;
  organizationId: string;
  /** `aws`, `aws-cn`, `aws-us-gov`, or the CDK token of the stack's partition. */
  partition: string;
  /** The regions member stacks are deployed to: role names carry their region. */
  regions: readonly string[];
  /** The deployed guardrails: each has one controller role per region. */
  guardrails: readonly string[];
  /** Exact ARNs of the central account's own publishers (the heartbeat monitor's role). */
  centralPublishers: readonly string[];
}

/** `arn:<partition>:iam::*:role/logwarden/<name>`: any account of the organization, the exact name. */
function roleArnInAnyAccount(partition: string, name: string): string {
  return `arn:${partition}:iam::*:role${ROLE_PATH}${name}`;
}

/** Only these principals of the organization, only events with exactly these sources and detail-types. */
function publishStatement(
  sid: string,
  input: AuditBusPolicyInput,
  principals: string[],
  source: string,
  detailType: string,
): BusPolicyStatement {
  return {
    Sid: sid,
    Effect: 'Allow',
    // A bus policy cannot name roles of unknown accounts as principals; the conditions narrow "*" to them.
    Principal: '*',
    Action: 'events:PutEvents',
    Resource: input.busArn,
    Condition: {
      StringEquals: { 'aws:PrincipalOrgID': input.organizationId },
      ArnLike: { 'aws:PrincipalArn': principals },
      // PutEvents carries several entries: every one must have this source and detail-type.
      'ForAllValues:StringEquals': { 'events:source': [source], 'events:detail-type': [detailType] },
      // ForAllValues is true when the key is absent: require both keys.
      Null: { 'events:source': 'false', 'events:detail-type': 'false' },
    },
  };
}

/**
 * The central audit bus's resource policy (#13): only logwarden's function roles (controllers and
 * heartbeats, by their fixed names, in any account of the organization; the central heartbeat
 * monitor's, exactly) may put events, and only
 * audit records; the member deployments' alarm forwarders only alarm state changes. Anything else —
 * another role of a member account, a role on logwarden's path with another name, `source:
 * logwarden` with another detail-type — is refused. The account part stays a wildcard: the accounts
 * are not known at synth (auto-deployment adds them); the SCP (infra/scp.ts) keeps anyone but the
 * StackSets execution role from creating or changing a role with these names. Pure.
 */
export function auditBusPolicy(input: AuditBusPolicyInput): BusPolicyStatement[] {
  const publishers = input.regions.flatMap((region) => [
    ...input.guardrails.map((g) => roleArnInAnyAccount(input.partition, functionRoleName('controller', g, region))),
    roleArnInAnyAccount(input.partition, functionRoleName('heartbeat', 'heartbeat', region)),
  ]);
  publishers.push(...input.centralPublishers);
  const forwarders = input.regions.map((region) => roleArnInAnyAccount(input.partition, alarmForwarderRoleName(region)));
  return [
    publishStatement('LogwardenAuditRecords', input, publishers, AUDIT_SOURCE, AUDIT_DETAIL_TYPE),
    publishStatement('LogwardenForwardedAlarms', input, forwarders, FORWARDED_ALARM_SOURCE, FORWARDED_ALARM_DETAIL_TYPE),
  ];
}
