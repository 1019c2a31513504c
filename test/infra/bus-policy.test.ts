/**
 * The central audit bus policy (infra/bus-policy.ts), as synthesized, evaluated — not string-matched —
 * against a table of PutEvents requests with the test evaluator (test/helpers/policy-eval.ts): only
 * logwarden's roles of the organization, only audit records; only the alarm forwarders, only alarm
 * state changes (#13).
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmForwarderRoleName, functionRoleName, monitorRoleName } from '../../controllers/core/identity.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE } from '../../controllers/core/record.js';
import { FORWARDED_ALARM_DETAIL_TYPE, FORWARDED_ALARM_SOURCE } from '../../infra/bus-policy.js';
import { synthExample } from '../../infra/testing.js';
import { resolveIntrinsics } from '../helpers/intrinsics.js';
import { evaluate, type PolicyDocument } from '../helpers/policy-eval.js';

const ORG = 'o-exampleorg1';
const BUS = 'arn:aws:events:eu-west-1:222222222222:event-bus/logwarden-audit';
const MEMBER = '333333333333';
const REGION = 'eu-west-1';
const role = (account: string, pathAndName: string) => `arn:aws:iam::${account}:role/${pathAndName}`;
const P = {
  controller: role(MEMBER, `logwarden/${functionRoleName('controller', 'cloudtrail', REGION)}`),
  heartbeat: role(MEMBER, `logwarden/${functionRoleName('heartbeat', 'heartbeat', REGION)}`),
  forwarder: role(MEMBER, `logwarden/${alarmForwarderRoleName(REGION)}`),
  evaluator: role(MEMBER, `logwarden/${functionRoleName('config-rule', 'cloudtrail', REGION)}`),
  admin: role(MEMBER, 'AWSReservedSSO_AdministratorAccess_0123456789abcdef'),
  lookAlikePath: role(MEMBER, 'logwarden/attacker'),
  lookAlikeSuffix: role(MEMBER, `logwarden/${functionRoleName('controller', 'cloudtrail', REGION)}-x`),
  wrongPath: role(MEMBER, functionRoleName('controller', 'cloudtrail', REGION)),
  otherRegion: role(MEMBER, `logwarden/${functionRoleName('controller', 'cloudtrail', 'ap-south-1')}`),
  // The central heartbeat monitor, exactly; the same name in a member account is a look-alike.
  monitor: role('222222222222', `logwarden/${monitorRoleName('us-east-1')}`),
  monitorLookAlike: role(MEMBER, `logwarden/${monitorRoleName('us-east-1')}`),
};
const AUDIT = { source: [AUDIT_SOURCE], detailType: [AUDIT_DETAIL_TYPE] };
const ALARM = { source: [FORWARDED_ALARM_SOURCE], detailType: [FORWARDED_ALARM_DETAIL_TYPE] };

type Row = [
  who: keyof typeof P,
  events: { source?: string[]; detailType?: string[] },
  expected: 'allowed' | 'refused',
  orgId?: string,
];

const TABLE: Row[] = [
  ['controller', AUDIT, 'allowed'],
  ['heartbeat', AUDIT, 'allowed'],
  ['forwarder', ALARM, 'allowed'],
  ['monitor', AUDIT, 'allowed'],
  ['monitorLookAlike', AUDIT, 'refused'],
  // Outside the organization, even with logwarden's role name.
  ['controller', AUDIT, 'refused', 'o-otherorg999'],
  // Any other role of a member account, whatever it sends.
  ['admin', AUDIT, 'refused'],
  ['evaluator', AUDIT, 'refused'],
  ['lookAlikePath', AUDIT, 'refused'],
  ['lookAlikeSuffix', AUDIT, 'refused'],
  ['wrongPath', AUDIT, 'refused'],
  ['otherRegion', AUDIT, 'refused'],
  // logwarden's roles only put what they are for.
  ['controller', { source: [AUDIT_SOURCE], detailType: ['something else'] }, 'refused'],
  ['controller', { source: ['logwarden.fake'], detailType: [AUDIT_DETAIL_TYPE] }, 'refused'],
  ['controller', { source: [AUDIT_SOURCE, 'other'], detailType: [AUDIT_DETAIL_TYPE] }, 'refused'],
  ['controller', ALARM, 'refused'],
  ['forwarder', AUDIT, 'refused'],
  // A request without the keys does not slip through ForAllValues.
  ['controller', {}, 'refused'],
];

let policy: PolicyDocument;
/** The audit log group's resource policy, resolved; and the audit rule's ARN. */
let logGroupPolicy: PolicyDocument;
const AUDIT_RULE = 'arn:aws:events:us-east-1:222222222222:rule/logwarden-audit/logwarden-audit-records';
const LOG_GROUP = 'arn:aws:logs:us-east-1:222222222222:log-group:/logwarden/audit:*';

beforeAll(async () => {
  const built = await synthExample();
  const template = Template.fromStack(built.central).toJSON() as {
    Resources: Record<string, { Type: string; Properties: { Statement?: unknown } }>;
  };
  const [busId] = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::Events::EventBus') ?? [];
  const statements = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::Events::EventBusPolicy')
    .map((r) => r.Properties.Statement);
  const resolved = resolveIntrinsics(statements, {
    refs: { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': '222222222222' },
    attributes: { [`${busId}.Arn`]: BUS },
  });
  policy = { Version: '2012-10-17', Statement: resolved as PolicyDocument['Statement'] };
  const [ruleId] = Object.entries(template.Resources).find(
    ([, r]) => r.Type === 'AWS::Events::Rule' && (r.Properties as { Name?: string }).Name === 'logwarden-audit-records',
  ) ?? [''];
  const logPolicy = Object.values(template.Resources).find((r) => r.Type === 'AWS::Logs::ResourcePolicy');
  const document = resolveIntrinsics((logPolicy?.Properties as { PolicyDocument?: unknown } | undefined)?.PolicyDocument, {
    refs: { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': '222222222222', 'AWS::URLSuffix': 'amazonaws.com' },
    attributes: { [`${ruleId}.Arn`]: AUDIT_RULE },
  });
  logGroupPolicy = JSON.parse(document as string) as PolicyDocument;
}, 240_000);

describe('audit bus policy', () => {
  it.each(TABLE)('%s putting %j is %s', (who, events, expected, orgId = ORG) => {
    const decision = evaluate([policy], {
      action: 'events:PutEvents',
      resource: BUS,
      context: {
        'aws:PrincipalArn': P[who],
        'aws:PrincipalOrgID': orgId,
        'events:source': events.source,
        'events:detail-type': events.detailType,
      },
    });
    expect(decision).toBe(expected === 'allowed' ? 'allowed' : 'implicit-deny');
  });

  it('has only the two statements (CDK prefixes their Sids), both on the audit bus', () => {
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['cdk-LogwardenAuditRecords', 'cdk-LogwardenForwardedAlarms']);
    expect(policy.Statement.every((s) => s.Resource === BUS)).toBe(true);
  });

  it('fits the 10 KB limit of an event bus policy', () => {
    expect(JSON.stringify(policy).length).toBeLessThan(10 * 1024);
  });
});

describe('audit log group resource policy', () => {
  const write = (service: string, sourceArn: string, sourceAccount: string) =>
    evaluate([logGroupPolicy], {
      action: 'logs:PutLogEvents',
      resource: LOG_GROUP,
      context: { 'aws:PrincipalServiceName': service, 'aws:SourceArn': sourceArn, 'aws:SourceAccount': sourceAccount },
    });

  it.each([
    ['events.amazonaws.com', AUDIT_RULE, '222222222222', 'allowed'],
    ['delivery.logs.amazonaws.com', AUDIT_RULE, '222222222222', 'allowed'],
    // Any other rule, of this account or of another, cannot write audit records into the group.
    ['events.amazonaws.com', 'arn:aws:events:eu-west-1:222222222222:rule/other', '222222222222', 'implicit-deny'],
    [
      'events.amazonaws.com',
      'arn:aws:events:eu-west-1:333333333333:rule/logwarden-audit-records',
      '333333333333',
      'implicit-deny',
    ],
    ['lambda.amazonaws.com', AUDIT_RULE, '222222222222', 'implicit-deny'],
  ])('%s from %s (%s): %s', (service, source, account, expected) => {
    expect(write(service, source, account)).toBe(expected);
  });
});
