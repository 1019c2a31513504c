/**
 * `iam:PassRole` is granted only towards the service that needs the role (#17): every guardrail's
 * scoped PassRole, with the deployed example policy, evaluated — not string-matched — for the declared
 * service and for another one; and in the synthesized template no PassRole statement lacks the condition.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../controllers/core/policy.js';
import { guardrails } from '../../controllers/registry.js';
import { ROOT } from '../../infra/config.js';
import { controllerGrants } from '../../infra/permissions.js';
import { synthExample } from '../../infra/testing.js';
import { evaluate, type PolicyDocument } from '../helpers/policy-eval.js';

const ACCOUNT = '333333333333';
const policy = parsePolicy(
  JSON.parse(readFileSync(join(ROOT, 'infra', 'examples', 'policy.json'), 'utf8')),
  guardrails,
  'example',
);

/** The example's sections, and flow logs to CloudWatch Logs (the example delivers to S3, passing no role). */
const flowLogs = guardrails.find((g) => g.name === 'flow-logs');
const sections: [string, unknown][] = [
  ...guardrails.map((g) => [g.name, policy.guardrails[g.name]] as [string, unknown]),
  [
    'flow-logs',
    flowLogs?.policySchema.parse({
      ...(policy.guardrails['flow-logs'] as object),
      destination: {
        type: 'cloud-watch-logs',
        logGroupArn: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/vpc/flow-logs`,
        deliveryRoleArn: `arn:aws:iam::${ACCOUNT}:role/flow-logs-delivery`,
      },
    }),
  ],
];
const passRoleGrants = sections.flatMap(([name, section]) =>
  controllerGrants(guardrails.find((g) => g.name === name) as (typeof guardrails)[number], section, {
    account: ACCOUNT,
    partition: 'aws',
  })
    .filter((grant) => grant.actions.includes('iam:PassRole'))
    .map((grant) => ({ guardrail: name, grant })),
);

describe('iam:PassRole with iam:PassedToService', () => {
  it('the example policy gives some guardrails a role to pass', () => {
    expect(passRoleGrants.map((p) => p.guardrail).sort()).toEqual(expect.arrayContaining(['config-recorder', 'flow-logs']));
  });

  it.each(passRoleGrants.map((p) => [p.guardrail, p.grant] as const))('%s passes its role only to its service', (_g, grant) => {
    const service = grant.conditions?.StringEquals?.['iam:PassedToService'] as string;
    expect(service).toMatch(/\.amazonaws\.com$/);
    const document: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: grant.actions, Resource: grant.resources, Condition: grant.conditions }],
    };
    const role = (grant.resources[0] as string).replace('*', ACCOUNT);
    const pass = (to: string) =>
      evaluate([document], { action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': to } });
    expect(pass(service)).toBe('allowed');
    expect(pass('lambda.amazonaws.com')).toBe('implicit-deny');
    expect(pass('ec2.amazonaws.com')).toBe('implicit-deny');
  });
});

describe('the synthesized member template', () => {
  let statements: { Action: string | string[]; Condition?: Record<string, Record<string, string>> }[] = [];
  beforeAll(async () => {
    const built = await synthExample();
    const t = JSON.parse(readFileSync(built.templateFile, 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties: { Policies?: { PolicyDocument: { Statement: typeof statements } }[] } }
      >;
    };
    statements = Object.values(t.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Role')
      .flatMap((r) => (r.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement));
  }, 240_000);

  it('grants iam:PassRole nowhere without iam:PassedToService', () => {
    const passRole = statements.filter((s) => [s.Action].flat().includes('iam:PassRole'));
    expect(passRole.length).toBeGreaterThan(0);
    for (const s of passRole) expect(s.Condition?.StringEquals?.['iam:PassedToService']).toMatch(/\.amazonaws\.com$/);
  });
});
