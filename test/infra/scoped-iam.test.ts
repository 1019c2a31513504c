/**
 * Scoped IAM and the stack's partition (#17 item 4). The controllers' roles in the synthesized member
 * template, resolved as CloudFormation would and evaluated — not string-matched — with
 * test/helpers/policy-eval.ts: each scoped write is allowed on the example policy's resource and denied
 * on another (another trail, another account, another partition); every declared action is scoped or
 * justified; the Config-rule evaluators stay read-only. Then no literal `arn:aws:` in infra/*.ts nor in
 * the synthesized templates, except the ARNs the deployment's own policy and config spell out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnyGuardrail } from '../../controllers/core/types.js';
import { guardrails } from '../../controllers/registry.js';
import { ROOT } from '../../infra/config.js';
import { controllerGrants, evaluatorGrants, PermissionError, READ_ACTION } from '../../infra/permissions.js';
import { exampleConfig, readTemplate, synthExample } from '../../infra/testing.js';
import { resolveIntrinsics } from '../helpers/intrinsics.js';
import { evaluate, type PolicyDocument } from '../helpers/policy-eval.js';

const ACCOUNT = '333333333333';
const OTHER = '444444444444';
const REGION = 'us-east-1';
const REFS = { 'AWS::Partition': 'aws', 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION };

type Resources = ReturnType<typeof readTemplate>['Resources'];
type Statement = PolicyDocument['Statement'][number];

let built: Awaited<ReturnType<typeof synthExample>>;
let resources: Resources;
beforeAll(async () => {
  built = await synthExample({ nag: false });
  resources = readTemplate(built.templateFile).Resources;
}, 240_000);

const guardrail = (name: string) => guardrails.find((g) => g.name === name) as AnyGuardrail;

/** The guardrail statements of a function's role (`controller` or `config-rule`), resolved in ACCOUNT and REGION. */
function roleStatements(name: string, kind: 'controller' | 'config-rule'): Statement[] {
  const role = Object.values(resources).find(
    (r) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties?.RoleName).includes(`"logwarden-${name}-${kind}-"`),
  );
  if (!role) throw new Error(`no ${kind} role for ${name}`);
  const policies = (role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  const statements = policies.flatMap((p) => p.PolicyDocument.Statement).filter((s) => s.Sid?.startsWith('Guardrail'));
  return resolveIntrinsics(statements, { refs: REFS }) as Statement[];
}

const decide = (name: string, action: string, resource: string) =>
  evaluate([{ Version: '2012-10-17', Statement: roleStatements(name, 'controller') }], { action, resource, context: {} });

const arn = (service: string, resource: string, account = ACCOUNT, region = REGION, partition = 'aws') =>
  `arn:${partition}:${service}:${region}:${account}:${resource}`;

/** [guardrail, action, resource, expected]: each write on the policy's resource, and on others. */
const TABLE: [string, string, string, 'allowed' | 'implicit-deny'][] = [
  ...['CreateTrail', 'UpdateTrail', 'StartLogging', 'PutEventSelectors', 'AddTags'].flatMap(
    (a): [string, string, string, 'allowed' | 'implicit-deny'][] => [
      ['cloudtrail', `cloudtrail:${a}`, arn('cloudtrail', 'trail/org-audit-trail'), 'allowed'],
      ['cloudtrail', `cloudtrail:${a}`, arn('cloudtrail', 'trail/team-trail'), 'implicit-deny'],
      ['cloudtrail', `cloudtrail:${a}`, arn('cloudtrail', 'trail/org-audit-trail', OTHER), 'implicit-deny'],
      // Not the trail's home region: the policy's trail lives in us-east-1 only.
      ['cloudtrail', `cloudtrail:${a}`, arn('cloudtrail', 'trail/org-audit-trail', ACCOUNT, 'eu-west-1'), 'implicit-deny'],
      ['cloudtrail', `cloudtrail:${a}`, arn('cloudtrail', 'trail/org-audit-trail', ACCOUNT, REGION, 'aws-cn'), 'implicit-deny'],
    ],
  ),
  // Reads stay on * (justified): any trail an event names.
  ['cloudtrail', 'cloudtrail:GetTrail', arn('cloudtrail', 'trail/team-trail', OTHER), 'allowed'],
  ['cloudtrail', 'cloudtrail:StopLogging', arn('cloudtrail', 'trail/org-audit-trail'), 'implicit-deny'],
  ['eks-control-plane-logs', 'eks:UpdateClusterConfig', arn('eks', 'cluster/web'), 'allowed'],
  ['eks-control-plane-logs', 'eks:UpdateClusterConfig', arn('eks', 'cluster/web', OTHER), 'implicit-deny'],
  ['eks-control-plane-logs', 'eks:UpdateClusterConfig', arn('eks', 'nodegroup/web/ng/1'), 'implicit-deny'],
  ['flow-logs', 'ec2:CreateFlowLogs', arn('ec2', 'vpc/vpc-0123456789abcdef0'), 'allowed'],
  ['flow-logs', 'ec2:CreateFlowLogs', arn('ec2', 'vpc-flow-log/*'), 'allowed'],
  ['flow-logs', 'ec2:CreateFlowLogs', arn('ec2', 'vpc/vpc-0123456789abcdef0', OTHER), 'implicit-deny'],
  ['flow-logs', 'ec2:CreateFlowLogs', arn('ec2', 'subnet/subnet-0123456789abcdef0'), 'implicit-deny'],
  ['flow-logs', 'ec2:CreateTags', arn('ec2', 'vpc-flow-log/fl-0123456789abcdef0'), 'allowed'],
  ['flow-logs', 'ec2:CreateTags', arn('ec2', 'instance/i-0123456789abcdef0'), 'implicit-deny'],
  ['guardduty', 'guardduty:UpdateDetector', arn('guardduty', 'detector/12abc34d'), 'allowed'],
  ['guardduty', 'guardduty:UpdateDetector', arn('guardduty', 'detector/12abc34d', OTHER), 'implicit-deny'],
  ['guardduty', 'guardduty:DeleteFilter', arn('guardduty', 'detector/12abc34d/filter/hide-all'), 'allowed'],
  ['guardduty', 'guardduty:DeleteFilter', arn('guardduty', 'detector/12abc34d'), 'implicit-deny'],
  ['guardduty', 'guardduty:UpdateIPSet', arn('guardduty', 'detector/12abc34d/ipset/abc'), 'allowed'],
  ['guardduty', 'guardduty:UpdateIPSet', arn('guardduty', 'detector/12abc34d/filter/hide-all'), 'implicit-deny'],
  ['guardduty', 'guardduty:CreateDetector', '*', 'allowed'],
  [
    'load-balancer-logs',
    'elasticloadbalancing:ModifyLoadBalancerAttributes',
    arn('elasticloadbalancing', 'loadbalancer/app/web/1a2b'),
    'allowed',
  ],
  [
    'load-balancer-logs',
    'elasticloadbalancing:ModifyLoadBalancerAttributes',
    arn('elasticloadbalancing', 'loadbalancer/net/tls/1a2b'),
    'allowed',
  ],
  // Gateway Load Balancers are not governed, nor another account's balancers.
  [
    'load-balancer-logs',
    'elasticloadbalancing:ModifyLoadBalancerAttributes',
    arn('elasticloadbalancing', 'loadbalancer/gwy/fw/1a2b'),
    'implicit-deny',
  ],
  [
    'load-balancer-logs',
    'elasticloadbalancing:ModifyLoadBalancerAttributes',
    arn('elasticloadbalancing', 'loadbalancer/app/web/1a2b', OTHER),
    'implicit-deny',
  ],
  ['integrity', 'events:EnableRule', arn('events', 'rule/logwarden-sweep-cloudtrail'), 'allowed'],
  ['integrity', 'events:PutTargets', arn('events', 'rule/logwarden-cloudtrail-cloudtrail'), 'allowed'],
  ['integrity', 'events:PutRule', arn('events', 'rule/team-rule'), 'implicit-deny'],
  ['integrity', 'events:PutRule', arn('events', 'rule/logwarden-sweep-cloudtrail', OTHER), 'implicit-deny'],
  ['integrity', 'lambda:DeleteFunctionConcurrency', arn('lambda', 'function:logwarden-cloudtrail'), 'allowed'],
  ['integrity', 'lambda:DeleteFunctionConcurrency', arn('lambda', 'function:billing'), 'implicit-deny'],
  ['integrity', 's3:PutBucketPolicy', 'arn:aws:s3:::logwarden-access-logs-333333333333-us-east-1', 'allowed'],
  ['integrity', 's3:PutBucketPolicy', 'arn:aws-us-gov:s3:::logwarden-access-logs-333333333333-us-east-1', 'implicit-deny'],
  ['bucket-logging', 's3:PutBucketLogging', 'arn:aws:s3:::team-data', 'allowed'],
  ['bucket-logging', 's3:PutBucketLogging', 'arn:aws-cn:s3:::team-data', 'implicit-deny'],
  ['config-recorder', 'config:PutConfigurationRecorder', '*', 'allowed'],
  ['config-recorder', 'config:StopConfigurationRecorder', '*', 'implicit-deny'],
];

describe('the controllers’ roles in the synthesized member template', () => {
  it.each(TABLE)('%s: %s on %s is %s', (name, action, resource, expected) => {
    expect(decide(name, action, resource)).toBe(expected);
  });

  it.each(guardrails.map((g) => [g.name]))(
    '%s: every declared action is scoped or justified, and scoped ones only scoped',
    (name) => {
      const g = guardrail(name);
      const statements = roleStatements(name, 'controller');
      const actions = (s: Statement | undefined) => [s?.Action ?? []].flat();
      const onStar = actions(statements.find((s) => s.Sid === 'GuardrailActions'));
      const scoped = statements.filter((s) => s.Sid?.startsWith('GuardrailScoped')).flatMap(actions);
      expect(onStar.sort()).toEqual(g.unscopedActions.flatMap((u) => [...u.actions]).sort());
      for (const a of g.iamActions) expect(onStar.includes(a) !== scoped.includes(a), `${name}: ${a}`).toBe(true);
      for (const u of g.unscopedActions) expect(u.why.length, `${name}: ${u.actions.join()}`).toBeGreaterThan(20);
    },
  );

  it.each(guardrails.map((g) => [g.name]))('%s: the Config-rule evaluator only reads', (name) => {
    const g = guardrail(name);
    const document: PolicyDocument = { Version: '2012-10-17', Statement: roleStatements(name, 'config-rule') };
    for (const s of document.Statement) for (const a of [s.Action ?? []].flat()) expect(a).toMatch(READ_ACTION);
    expect(
      evaluatorGrants(g)
        .flatMap((x) => x.actions)
        .every((a) => READ_ACTION.test(a)),
    ).toBe(true);
    for (const write of g.iamActions.filter((a) => !READ_ACTION.test(a))) {
      expect(evaluate([document], { action: write, resource: '*', context: {} }), `${name}: ${write}`).toBe('implicit-deny');
    }
  });
});

describe('controllerGrants refuses what it cannot grant exactly', () => {
  const eks = guardrail('eks-control-plane-logs');
  const flowLogs = guardrail('flow-logs');
  const place = { account: ACCOUNT, partition: 'aws' };
  const section = (g: AnyGuardrail) => built.deployment.policy.guardrails[g.name];

  it('grants the real guardrails for the example policy', () => {
    for (const g of guardrails) expect(() => controllerGrants(g, section(g), place)).not.toThrow();
  });

  it.each([
    ['a declared action neither scoped nor justified', { ...eks, unscopedActions: [] }],
    [
      'an action both scoped and justified',
      { ...eks, unscopedActions: [...eks.unscopedActions, { actions: ['eks:UpdateClusterConfig'], why: 'on purpose' }] },
    ],
    [
      'a justification of an undeclared action',
      { ...eks, unscopedActions: [...eks.unscopedActions, { actions: ['eks:DeleteCluster'], why: 'on purpose' }] },
    ],
    ['a justification without a reason', { ...eks, unscopedActions: eks.unscopedActions.map((u) => ({ ...u, why: ' ' })) }],
    [
      'a scoped permission on * without a reason',
      {
        ...flowLogs,
        scopedPermissions: () => [
          { actions: ['ec2:CreateFlowLogs'], resources: ['arn:{partition}:ec2:*:*:vpc/*'] },
          { actions: ['logs:CreateLogDelivery'], resources: ['*'] },
        ],
      },
    ],
  ] as [string, AnyGuardrail][])('refuses %s', (_what, g) => {
    expect(() => controllerGrants(g, section(g), place)).toThrow(PermissionError);
  });

  it('puts the stack’s partition and the own account into the guardrail’s ARNs', () => {
    const grants = controllerGrants(eks, section(eks), { account: '{account}', partition: '{partition}' });
    expect(grants.find((x) => x.actions.includes('eks:UpdateClusterConfig'))?.resources).toEqual([
      'arn:{partition}:eks:*:{account}:cluster/*',
    ]);
    const gov = controllerGrants(eks, section(eks), { account: ACCOUNT, partition: 'aws-us-gov' });
    expect(gov.find((x) => x.actions.includes('eks:UpdateClusterConfig'))?.resources).toEqual([
      `arn:aws-us-gov:eks:*:${ACCOUNT}:cluster/*`,
    ]);
  });
});

/** Lines of TypeScript that spell the `aws` partition literally. */
function literalPartitionLines(source: string): string[] {
  return source.split('\n').filter((line) => line.includes('arn:aws:'));
}

/** Every string in a template holding `arn:aws:` that no string of the deployment's own policy or config contains. */
function literalPartitionStrings(template: unknown, allowed: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.includes('arn:aws:') && !allowed.some((a) => a.includes(v))) found.push(v);
    } else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(template);
  return found;
}

describe('the partition comes from the stack', () => {
  /** Strings the user wrote in the policy and the deployment config: those keep the partition they name. */
  const allowed = () => {
    const strings: string[] = [];
    const collect = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (v && typeof v === 'object') for (const x of Object.values(v)) collect(x);
    };
    collect(JSON.parse(built.deployment.policyJson));
    collect(exampleConfig());
    return strings;
  };

  it('the checks find what they look for', () => {
    expect(literalPartitionLines("const x = 'arn:aws:s3:::bucket';\nconst y = 'arn:' + p + ':s3:::b';")).toHaveLength(1);
    const template = { Resources: { R: { Properties: { A: 'arn:aws:s3:::logwarden-evil', B: 'arn:aws:iam::' } } } };
    expect(literalPartitionStrings(template, ['arn:aws:iam::{account}:role/x'])).toEqual(['arn:aws:s3:::logwarden-evil']);
  });

  it('infra/*.ts builds no ARN in the aws partition', () => {
    const files = readdirSync(join(ROOT, 'infra')).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    const offending = files.flatMap((f) =>
      literalPartitionLines(readFileSync(join(ROOT, 'infra', f), 'utf8')).map((line) => `${f}: ${line.trim()}`),
    );
    expect(offending).toEqual([]);
  });

  it('no synthesized template holds an arn:aws: the policy or config did not write', () => {
    const files = [
      built.templateFile,
      ...readdirSync(built.outdir)
        .filter((f) => f.endsWith('.template.json'))
        .map((f) => join(built.outdir, f)),
    ];
    expect(files.length).toBeGreaterThan(3);
    const strings = allowed();
    const offending = files.flatMap((f) => literalPartitionStrings(readTemplate(f), strings).map((s) => `${f}: ${s}`));
    expect(offending).toEqual([]);
  });
});
