/**
 * The preventive SCP (infra/scp.ts), evaluated — not string-matched — against a table of requests with
 * the test evaluator (test/helpers/policy-eval.ts, itself tested in test/unit/policy-eval.test.ts),
 * beside AWS's FullAWSAccess: an SCP never grants, so each row is either denied by it or not.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionRoleName } from '../../controllers/core/identity.js';
import { type Deployment, DeploymentConfigError, loadDeployment } from '../../infra/config.js';
import { ungovernedRegions } from '../../infra/regions.js';
import {
  renderRegionGuardPolicy,
  renderServiceControlPolicy,
  SCP_MAX_CHARS,
  type ServiceControlPolicyDocument,
} from '../../infra/scp.js';
import { REGION_GUARD_SCP_NAME, SCP_NAME, ScpStack } from '../../infra/scp-stack.js';
import { exampleConfig } from '../../infra/testing.js';
import { resolveIntrinsics } from '../helpers/intrinsics.js';
import { evaluate, FULL_AWS_ACCESS, type PolicyDocument } from '../helpers/policy-eval.js';

const ACCOUNT = '333333333333';
const REGION = 'eu-west-1';
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/incident-response`;
const role = (pathAndName: string) => `arn:aws:iam::${ACCOUNT}:role/${pathAndName}`;
const P = {
  admin: role('AWSReservedSSO_AdministratorAccess_0123456789abcdef'),
  stackSets: role('stacksets-exec-0123456789abcdef0123456789abcdef'),
  breakGlass: BREAK_GLASS,
  controller: role(`logwarden/${functionRoleName('controller', 'cloudtrail', REGION)}`),
  evaluator: role(`logwarden/${functionRoleName('config-rule', 'cloudtrail', REGION)}`),
  heartbeat: role(`logwarden/${functionRoleName('heartbeat', 'heartbeat', REGION)}`),
  // An attacker's role on logwarden's path, named like a controller.
  lookAlike: role('logwarden/logwarden-evil-controller-eu-west-1'),
};
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const R = {
  rule: arn('events', 'rule/logwarden-cloudtrail-cloudtrail'),
  otherRule: arn('events', 'rule/other-rule'),
  fn: arn('lambda', 'function:logwarden-cloudtrail'),
  otherFn: arn('lambda', 'function:billing'),
  controllerRole: `arn:aws:iam::${ACCOUNT}:role/logwarden/${functionRoleName('controller', 'cloudtrail', REGION)}`,
  newRoleOnPath: `arn:aws:iam::${ACCOUNT}:role/logwarden/attacker`,
  newRoleNamed: `arn:aws:iam::${ACCOUNT}:role/team/logwarden-heartbeat-us-east-1`,
  otherRole: `arn:aws:iam::${ACCOUNT}:role/team/app`,
  table: arn('dynamodb', 'table/logwarden-state'),
  otherTable: arn('dynamodb', 'table/orders'),
  accessLogs: `arn:aws:s3:::logwarden-access-logs-${ACCOUNT}-${REGION}`,
  otherBucket: 'arn:aws:s3:::team-data',
  stack: arn('cloudformation', 'stack/StackSet-logwarden-member-1a2b3c4d-aaaa-bbbb-cccc-0123456789ab/0f0e0d0c'),
  otherStack: arn('cloudformation', 'stack/app/0f0e0d0c'),
  trail: arn('cloudtrail', 'trail/org-audit-trail'),
  otherTrail: arn('cloudtrail', 'trail/team-trail'),
  detector: arn('guardduty', 'detector/12abc34d567e8fa901bc2d34e56789f0'),
  flowLog: arn('ec2', 'vpc-flow-log/fl-0123456789abcdef0'),
  canary: arn('logs', 'log-group:/logwarden/canary'),
  otherLogGroup: arn('logs', 'log-group:/team/app'),
};

type Row = [who: keyof typeof P, action: string, resource: string, expected: 'denied' | 'not denied', tagKeys?: string[]];

const TABLE: Row[] = [
  // logwarden's resources: only the StackSets execution role and break-glass may change them.
  ['admin', 'events:DisableRule', R.rule, 'denied'],
  ['admin', 'lambda:InvokeFunction', R.fn, 'denied'],
  ['admin', 'lambda:InvokeFunction', R.otherFn, 'not denied'],
  ['admin', 'events:DeleteRule', R.rule, 'denied'],
  ['admin', 'events:RemoveTargets', R.rule, 'denied'],
  ['controller', 'events:DisableRule', R.rule, 'denied'],
  ['lookAlike', 'events:DisableRule', R.rule, 'denied'],
  ['stackSets', 'events:PutRule', R.rule, 'not denied'],
  ['breakGlass', 'events:DisableRule', R.rule, 'not denied'],
  ['admin', 'events:DisableRule', R.otherRule, 'not denied'],
  ['admin', 'lambda:PutFunctionConcurrency', R.fn, 'denied'],
  ['admin', 'lambda:UpdateFunctionCode', `${R.fn}:1`, 'denied'],
  ['admin', 'lambda:DeleteFunction', R.otherFn, 'not denied'],
  ['stackSets', 'lambda:UpdateFunctionCode', R.fn, 'not denied'],
  ['admin', 'iam:PutRolePolicy', R.controllerRole, 'denied'],
  ['admin', 'iam:UpdateAssumeRolePolicy', R.controllerRole, 'denied'],
  ['admin', 'iam:PassRole', R.controllerRole, 'denied'],
  ['admin', 'iam:CreateRole', R.newRoleOnPath, 'denied'],
  ['admin', 'iam:CreateRole', R.newRoleNamed, 'denied'],
  ['admin', 'iam:CreateRole', R.otherRole, 'not denied'],
  ['stackSets', 'iam:CreateRole', R.controllerRole, 'not denied'],
  ['breakGlass', 'iam:DeleteRole', R.controllerRole, 'not denied'],
  // The exempt roles themselves: an admin must not mint or take over one.
  ['admin', 'iam:CreateRole', role('stacksets-exec-attacker'), 'denied'],
  ['admin', 'iam:UpdateAssumeRolePolicy', P.stackSets, 'denied'],
  ['admin', 'iam:AttachRolePolicy', BREAK_GLASS, 'denied'],
  ['admin', 'iam:CreateRole', role('incident-response-2'), 'not denied'],
  ['admin', 'dynamodb:DeleteTable', R.table, 'denied'],
  ['controller', 'dynamodb:UpdateTable', R.table, 'denied'],
  ['admin', 'dynamodb:DeleteTable', R.otherTable, 'not denied'],
  ['admin', 's3:DeleteBucketPolicy', R.accessLogs, 'denied'],
  ['admin', 's3:PutBucketPolicy', R.otherBucket, 'not denied'],
  ['admin', 'cloudformation:DeleteStack', R.stack, 'denied'],
  ['admin', 'cloudformation:DeleteStack', R.otherStack, 'not denied'],
  ['stackSets', 'cloudformation:UpdateStack', R.stack, 'not denied'],
  // The state table's items: the controllers write them, nobody else.
  ['admin', 'dynamodb:PutItem', R.table, 'denied'],
  ['evaluator', 'dynamodb:DeleteItem', R.table, 'denied'],
  ['lookAlike', 'dynamodb:PutItem', R.table, 'denied'],
  ['lookAlike', 'ec2:DeleteFlowLogs', R.flowLog, 'denied'],
  ['controller', 'dynamodb:PutItem', R.table, 'not denied'],
  ['admin', 'dynamodb:PutItem', R.otherTable, 'not denied'],
  // The heartbeat's event path canary (#13 item 5): its state items and its log group's tag are the heartbeat's alone.
  ['heartbeat', 'dynamodb:PutItem', R.table, 'not denied'],
  ['heartbeat', 'logs:TagResource', R.canary, 'not denied', ['logwarden:canary']],
  ['admin', 'logs:TagResource', R.canary, 'denied', ['team']],
  ['admin', 'logs:TagResource', R.canary, 'denied', ['logwarden:canary']],
  ['admin', 'logs:UntagResource', R.canary, 'denied', ['logwarden:canary']],
  ['admin', 'logs:DeleteLogGroup', R.canary, 'denied'],
  ['admin', 'logs:DeleteLogGroup', `${R.canary}:*`, 'denied'],
  ['evaluator', 'logs:TagResource', R.canary, 'denied', ['logwarden:canary']],
  ['admin', 'logs:TagResource', R.otherLogGroup, 'not denied', ['team']],
  ['admin', 'logs:DeleteLogGroup', R.otherLogGroup, 'not denied'],
  // logwarden:* tags, on any resource, by create or tag/untag calls.
  ['admin', 'ec2:CreateTags', arn('ec2', 'vpc/vpc-1'), 'denied', ['logwarden:exempt']],
  ['admin', 'cloudtrail:RemoveTags', R.trail, 'denied', ['logwarden:managed']],
  ['admin', 'iam:TagRole', R.otherRole, 'denied', ['team', 'logwarden:exempt-until']],
  ['admin', 'ec2:CreateTags', arn('ec2', 'vpc/vpc-1'), 'not denied', ['team']],
  ['admin', 'ec2:CreateTags', arn('ec2', 'vpc/vpc-1'), 'not denied', ['Logwarden-team']],
  ['controller', 'ec2:CreateFlowLogs', arn('ec2', 'vpc/vpc-1'), 'not denied', ['logwarden:managed']],
  ['breakGlass', 'ec2:CreateTags', arn('ec2', 'vpc/vpc-1'), 'not denied', ['logwarden:exempt']],
  // The governed logging (protectLogging): the controllers turn it back on, so they are exempt.
  ['admin', 'cloudtrail:StopLogging', R.trail, 'denied'],
  ['admin', 'cloudtrail:DeleteTrail', R.trail, 'denied'],
  ['admin', 'cloudtrail:PutEventSelectors', R.trail, 'denied'],
  ['admin', 'cloudtrail:StopLogging', R.otherTrail, 'not denied'],
  ['controller', 'cloudtrail:UpdateTrail', R.trail, 'not denied'],
  ['admin', 'guardduty:DeleteDetector', R.detector, 'denied'],
  ['admin', 'guardduty:UpdateDetector', R.detector, 'denied'],
  ['admin', 'ec2:DeleteFlowLogs', R.flowLog, 'denied'],
  ['controller', 'ec2:DeleteFlowLogs', R.flowLog, 'not denied'],
  ['admin', 'ec2:CreateFlowLogs', R.flowLog, 'not denied'],
];

function withScp(scp: Record<string, unknown>): Record<string, unknown> {
  return { ...exampleConfig(), scp };
}

let deployment: Deployment;
let document: ServiceControlPolicyDocument;
beforeAll(async () => {
  deployment = await loadDeployment(
    withScp({ enabled: true, targetIds: ['ou-exam-22222222'], breakGlassRoleArns: [BREAK_GLASS] }),
  );
  document = renderServiceControlPolicy(deployment.config, deployment.policy, 'aws');
});

const decide = (policies: PolicyDocument[], [who, action, resource, , tagKeys]: Row) =>
  evaluate(policies, { action, resource, context: { 'aws:PrincipalArn': P[who], 'aws:TagKeys': tagKeys } }) === 'explicit-deny'
    ? 'denied'
    : 'not denied';

describe('the SCP against a table of requests', () => {
  it.each(TABLE)('%s %s on %s: %s', (...row) => {
    const [, , , expected] = row;
    expect(decide([FULL_AWS_ACCESS, document as PolicyDocument], row)).toBe(expected);
  });

  it('without protectLogging, turning the logging off is left to the controllers to undo', async () => {
    const d = await loadDeployment(withScp({ enabled: true, targetIds: ['r-exam'], protectLogging: false }));
    const lax = renderServiceControlPolicy(d.config, d.policy, 'aws') as PolicyDocument;
    expect(decide([FULL_AWS_ACCESS, lax], ['admin', 'cloudtrail:StopLogging', R.trail, 'not denied'])).toBe('not denied');
    expect(decide([FULL_AWS_ACCESS, lax], ['admin', 'events:DisableRule', R.rule, 'denied'])).toBe('denied');
    // No break-glass role configured: that role is an ordinary admin.
    expect(decide([FULL_AWS_ACCESS, lax], ['breakGlass', 'events:DisableRule', R.rule, 'denied'])).toBe('denied');
  });

  it('fits the SCP size limit (whitespace excluded), with room for more break-glass roles', () => {
    // The stack sizes it with the longest partition name, as here.
    const size = JSON.stringify(renderServiceControlPolicy(deployment.config, deployment.policy, 'aws-us-gov')).length;
    expect(size).toBeLessThanOrEqual(SCP_MAX_CHARS - 500);
  });
});

describe('the SCP stack', () => {
  it('creates the SCP in the management account, attached to the configured targets', () => {
    const app = new App();
    const stack = new ScpStack(app, 'Scp', { deployment, env: { account: '111111111111', region: 'us-east-1' } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Name: SCP_NAME,
      Type: 'SERVICE_CONTROL_POLICY',
      TargetIds: ['ou-exam-22222222'],
    });
    // The partition is the stack's: resolved as CloudFormation would, the content is the rendered document.
    const content = Object.values(template.findResources('AWS::Organizations::Policy'))[0]?.Properties.Content;
    expect(JSON.stringify(content)).toContain('"Ref":"AWS::Partition"');
    // Only the configured break-glass role keeps the partition it was written with.
    expect(JSON.stringify(content).split(BREAK_GLASS).join('')).not.toContain('arn:aws:');
    expect(resolveIntrinsics(content, { refs: { 'AWS::Partition': 'aws' } })).toEqual(document);
  });

  it('denies the same requests in GovCloud, with its partition in every ARN', async () => {
    const inGov = (arn: string) => arn.replace(/^arn:aws:/, 'arn:aws-us-gov:');
    const govDeployment = await loadDeployment(
      withScp({ enabled: true, targetIds: ['ou-exam-22222222'], breakGlassRoleArns: [inGov(BREAK_GLASS)] }),
    );
    const env = { account: '111111111111', region: 'us-gov-west-1' };
    const stack = new ScpStack(new App(), 'Scp', { deployment: govDeployment, env });
    const content = Object.values(Template.fromStack(stack).findResources('AWS::Organizations::Policy'))[0]?.Properties.Content;
    const gov = resolveIntrinsics(content, { refs: { 'AWS::Partition': 'aws-us-gov' } }) as PolicyDocument;
    for (const row of TABLE) {
      const [who, action, resource, expected, tagKeys] = row;
      const govRow: Row = [who, action, inGov(resource), expected, tagKeys];
      const principal = inGov(P[who]);
      const decision = evaluate([FULL_AWS_ACCESS, gov], {
        action,
        resource: govRow[2],
        context: { 'aws:PrincipalArn': principal, 'aws:TagKeys': tagKeys },
      });
      expect(decision === 'explicit-deny' ? 'denied' : 'not denied', `${who} ${action} ${govRow[2]}`).toBe(expected);
    }
  });
});

describe('the region guard (scp.denyUngovernedRegions)', () => {
  const governed = () => deployment.policy.controller.regions;
  const request = (who: keyof typeof P, action: string, region: string) =>
    evaluate([FULL_AWS_ACCESS, renderRegionGuardPolicy(deployment.config, deployment.policy, 'aws') as PolicyDocument], {
      action,
      resource: '*',
      context: { 'aws:PrincipalArn': P[who], 'aws:RequestedRegion': region },
    });
  const outside = () => ungovernedRegions(governed())[0] as string;

  it.each([
    ['admin', 'cloudtrail:StopLogging', 'outside', 'explicit-deny'],
    ['admin', 'ec2:RunInstances', 'outside', 'explicit-deny'],
    ['admin', 'cloudtrail:StopLogging', 'governed', 'allowed'],
    // Global services are never region-denied.
    ['admin', 'iam:CreateRole', 'outside', 'allowed'],
    ['admin', 'sts:AssumeRole', 'outside', 'allowed'],
    ['admin', 'organizations:ListAccounts', 'outside', 'allowed'],
    ['stackSets', 'cloudformation:CreateStack', 'outside', 'allowed'],
    ['breakGlass', 'ec2:RunInstances', 'outside', 'allowed'],
  ] as const)('%s %s in a region %s the policy governs: %s', (who, action, where, expected) => {
    const region = where === 'governed' ? (governed()[0] as string) : outside();
    expect(request(who, action, region)).toBe(expected);
  });

  it('lists every region of the partition the policy does not govern', () => {
    const ungoverned = ungovernedRegions(governed());
    expect(ungoverned.length).toBeGreaterThan(20);
    expect(ungoverned.some((r) => governed().includes(r))).toBe(false);
    expect(ungovernedRegions(['us-east-1', 'eu-west-1'])).toContain('ap-south-1');
  });

  it('is a second SCP, only when asked for', async () => {
    const env = { account: '111111111111', region: 'us-east-1' };
    const off = new ScpStack(new App(), 'Scp', { deployment, env });
    Template.fromStack(off).resourceCountIs('AWS::Organizations::Policy', 1);
    const d = await loadDeployment(
      withScp({ enabled: true, targetIds: ['ou-exam-22222222'], breakGlassRoleArns: [BREAK_GLASS], denyUngovernedRegions: true }),
    );
    const on = new ScpStack(new App(), 'Scp', { deployment: d, env });
    Template.fromStack(on).hasResourceProperties('AWS::Organizations::Policy', {
      Name: REGION_GUARD_SCP_NAME,
      TargetIds: ['ou-exam-22222222'],
    });
  });
});

describe('scp deployment config', () => {
  it('is off by default', async () => {
    const config = exampleConfig();
    delete config.scp;
    expect((await loadDeployment(config)).config.scp).toEqual({
      enabled: false,
      targetIds: [],
      breakGlassRoleArns: [],
      protectLogging: true,
      denyUngovernedRegions: false,
    });
  });

  it.each([
    [{ enabled: true }, 'scp.targetIds: must name at least one OU or the root'],
    [{ enabled: true, targetIds: ['111111111111'] }, 'scp.targetIds.0: must be an OU id'],
    [
      { enabled: true, targetIds: ['r-exam'], breakGlassRoleArns: ['admin'] },
      'scp.breakGlassRoleArns.0: must be an IAM role ARN',
    ],
    [{ enabled: true, targetIds: ['r-exam'], protect: true }, 'scp: Unrecognized key'],
  ])('rejects %j with a field-named error', async (scp, message) => {
    const error = await loadDeployment(withScp(scp)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeploymentConfigError);
    expect((error as DeploymentConfigError).issues.join('\n')).toContain(message);
  });
});
