/**
 * Who may invoke logwarden's functions (#17): the Lambda permissions of the synthesized member
 * template, read as the function's resource policy and evaluated — not string-matched — with the test
 * evaluator. A controller answers only its own EventBridge rules; an evaluator only Config in its own
 * account. (An IAM principal of the same account needs no resource policy; the SCP denies
 * `lambda:InvokeFunction` on logwarden's functions, see scp.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthExample } from '../../infra/testing.js';
import { resolveIntrinsics } from '../helpers/intrinsics.js';
import { evaluate, type PolicyDocument } from '../helpers/policy-eval.js';

const ACCOUNT = '333333333333';
const REGION = 'eu-west-1';
const ruleArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`;
const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
/** Each function's resource policy, by function name. */
const policies = new Map<string, PolicyDocument>();

/** `Ref`/`Fn::GetAtt` of a named rule or function → its ARN in the test account and region. */
function arnsOf(resources: Resources): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::Events::Rule') out[`${id}.Arn`] = ruleArn(r.Properties.Name as string);
    if (r.Type === 'AWS::Lambda::Function') out[`${id}.Arn`] = functionArn(r.Properties.FunctionName as string);
  }
  return out;
}

beforeAll(async () => {
  const built = await synthExample();
  const resources = (JSON.parse(readFileSync(built.templateFile, 'utf8')) as { Resources: Resources }).Resources;
  const values = {
    refs: { 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION, 'AWS::Partition': 'aws' },
    attributes: arnsOf(resources),
  };
  for (const r of Object.values(resources).filter((x) => x.Type === 'AWS::Lambda::Permission')) {
    const p = resolveIntrinsics(r.Properties, values) as Record<string, string>;
    const name = (p.FunctionName as string).split(':').pop() as string;
    const condition: Record<string, Record<string, string>> = {};
    if (p.SourceArn) condition.ArnLike = { 'aws:SourceArn': p.SourceArn };
    if (p.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': p.SourceAccount };
    const policy = policies.get(name) ?? { Version: '2012-10-17', Statement: [] };
    policy.Statement.push({
      Effect: 'Allow',
      Principal: { Service: p.Principal as string },
      Action: p.Action as string,
      Resource: p.FunctionName as string,
      Condition: condition,
    });
    policies.set(name, policy);
  }
}, 240_000);

const invoke = (fn: string, context: Record<string, string>) =>
  evaluate([policies.get(fn) ?? { Version: '2012-10-17', Statement: [] }], {
    action: 'lambda:InvokeFunction',
    resource: functionArn(fn),
    context,
  });

describe('function resource policies', () => {
  it.each([
    ['logwarden-cloudtrail', 'events.amazonaws.com', ruleArn('logwarden-cloudtrail-cloudtrail'), 'allowed'],
    ['logwarden-cloudtrail', 'events.amazonaws.com', ruleArn('logwarden-sweep-cloudtrail'), 'allowed'],
    ['logwarden-cloudtrail', 'events.amazonaws.com', ruleArn('logwarden-cloudtrail-compliance'), 'allowed'],
    // Another guardrail's rule, or a rule the admin made, cannot invoke it.
    ['logwarden-cloudtrail', 'events.amazonaws.com', ruleArn('logwarden-sweep-guardduty'), 'implicit-deny'],
    ['logwarden-cloudtrail', 'events.amazonaws.com', ruleArn('attacker'), 'implicit-deny'],
    [
      'logwarden-cloudtrail',
      'events.amazonaws.com',
      `arn:aws:events:${REGION}:999999999999:rule/logwarden-sweep-cloudtrail`,
      'implicit-deny',
    ],
    // Nor another service.
    ['logwarden-cloudtrail', 'config.amazonaws.com', ruleArn('logwarden-cloudtrail-cloudtrail'), 'implicit-deny'],
  ])('%s invoked by %s from %s: %s', (fn, service, source, expected) => {
    expect(invoke(fn, { 'aws:PrincipalServiceName': service, 'aws:SourceArn': source, 'aws:SourceAccount': ACCOUNT })).toBe(
      expected,
    );
  });

  it('an evaluator answers Config of its own account only', () => {
    const fn = 'logwarden-cloudtrail-config-rule';
    const config = { 'aws:PrincipalServiceName': 'config.amazonaws.com' };
    expect(invoke(fn, { ...config, 'aws:SourceAccount': ACCOUNT })).toBe('allowed');
    expect(invoke(fn, { ...config, 'aws:SourceAccount': '999999999999' })).toBe('implicit-deny');
    expect(invoke(fn, { 'aws:PrincipalServiceName': 'events.amazonaws.com', 'aws:SourceAccount': ACCOUNT })).toBe(
      'implicit-deny',
    );
  });

  it('no function grants invocation to an account or a role', () => {
    for (const [name, policy] of policies) {
      for (const s of policy.Statement) expect(s.Principal, name).toHaveProperty('Service');
      expect(invoke(name, { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/admin` }), name).toBe('implicit-deny');
    }
    expect(policies.size).toBeGreaterThan(10);
  });
});
