import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditSigningKey, SIGNING_KEY_ALIAS, signingKeyPolicy } from '../../infra/audit-signing.js';
import { DeploymentConfigError, loadDeployment } from '../../infra/config.js';
import { exampleConfig } from '../../infra/testing.js';
import { type Decision, evaluate, type PolicyDocument } from '../helpers/policy-eval.js';

const ORG = 'o-exampleorg1';
const CENTRAL = '222222222222';
const MEMBER = '333333333333';
const KEY = `arn:aws:kms:us-east-1:${CENTRAL}:key/0d1b2c3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d`;
const policy = signingKeyPolicy({ partition: 'aws', account: CENTRAL, organizationId: ORG }) as PolicyDocument;
const role = (account: string, name: string, path = '/logwarden/') => `arn:aws:iam::${account}:role${path}${name}`;

/** `org` null: a principal outside any organization (the key is absent from the request). */
function decide(action: string, principal: string, org: string | null = ORG): Decision {
  return evaluate([policy], {
    principal,
    action,
    resource: KEY,
    context: { 'aws:PrincipalArn': principal, 'aws:PrincipalOrgID': org ?? undefined },
  });
}

describe('the audit signing key policy, by evaluation', () => {
  it.each([
    ['a member controller role', role(MEMBER, 'logwarden-cloudtrail-controller-eu-west-1'), ORG, 'allowed'],
    ['a member heartbeat role', role(MEMBER, 'logwarden-heartbeat-us-east-1'), ORG, 'allowed'],
    ['a central-account controller role', role(CENTRAL, 'logwarden-flow-logs-controller-us-east-1'), ORG, 'allowed'],
    [
      'a Config-rule evaluator (publishes nothing)',
      role(MEMBER, 'logwarden-cloudtrail-config-rule-eu-west-1'),
      ORG,
      'explicit-deny',
    ],
    ['the flow-logs delivery role', role(MEMBER, 'logwarden-flow-logs-eu-west-1'), ORG, 'explicit-deny'],
    ['a member admin', role(MEMBER, 'Admin', '/'), ORG, 'explicit-deny'],
    [
      'a controller name off the /logwarden/ path',
      role(MEMBER, 'logwarden-cloudtrail-controller-eu-west-1', '/'),
      ORG,
      'explicit-deny',
    ],
    [
      'a controller role of another organization',
      role('444444444444', 'logwarden-cloudtrail-controller-eu-west-1'),
      'o-other',
      'explicit-deny',
    ],
    [
      'a controller role with no organization',
      role('444444444444', 'logwarden-cloudtrail-controller-eu-west-1'),
      null,
      'explicit-deny',
    ],
    ['a central-account administrator', role(CENTRAL, 'SecurityAdmin', '/'), ORG, 'explicit-deny'],
  ] as const)('kms:Sign by %s: %s', (_, principal, org, expected) => {
    expect(decide('kms:Sign', principal, org)).toBe(expected);
  });

  it('lets any principal of the organization read the public key and verify, nobody outside', () => {
    for (const principal of [role(MEMBER, 'Auditor', '/'), role(CENTRAL, 'SecurityAdmin', '/')]) {
      expect(decide('kms:GetPublicKey', principal)).toBe('allowed');
      expect(decide('kms:Verify', principal)).toBe('allowed');
    }
    expect(decide('kms:GetPublicKey', role('444444444444', 'Auditor', '/'), 'o-other')).toBe('implicit-deny');
  });

  it('leaves administration to the central account, not to members or logwarden functions', () => {
    expect(decide('kms:PutKeyPolicy', role(CENTRAL, 'SecurityAdmin', '/'))).toBe('allowed');
    expect(decide('kms:ScheduleKeyDeletion', role(CENTRAL, 'SecurityAdmin', '/'))).toBe('allowed');
    expect(decide('kms:PutKeyPolicy', role(MEMBER, 'Admin', '/'))).toBe('implicit-deny');
    expect(decide('kms:DisableKey', role(MEMBER, 'logwarden-cloudtrail-controller-eu-west-1'))).toBe('implicit-deny');
  });
});

/** Fn::Join and Ref of pseudo parameters, resolved with the given values. */
function resolveRefs(value: unknown, refs: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, refs));
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (typeof o.Ref === 'string' && o.Ref in refs) return refs[o.Ref];
  const join = o['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map((v) => resolveRefs(v, refs)).join(join[0]);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveRefs(v, refs)]));
}

describe('the central stack key', () => {
  let template: Template;
  beforeAll(() => {
    const stack = new Stack(new App(), 'central', { env: { account: CENTRAL, region: 'us-east-1' } });
    new AuditSigningKey(stack, 'Signing', { organizationId: ORG });
    template = Template.fromStack(stack);
  });

  it('is an ECC_NIST_P256 signing key under the documented alias, with exactly the evaluated policy', () => {
    const keys = Object.values(template.findResources('AWS::KMS::Key')) as { Properties: Record<string, unknown> }[];
    expect(keys).toHaveLength(1);
    expect(keys[0]?.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    // Account and partition are tokens in the template: resolve them as the stack's and compare.
    const resolved = resolveRefs(keys[0]?.Properties.KeyPolicy, { 'AWS::Partition': 'aws', 'AWS::AccountId': CENTRAL });
    expect(resolved).toEqual(signingKeyPolicy({ partition: 'aws', account: CENTRAL, organizationId: ORG }));
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: SIGNING_KEY_ALIAS });
    template.hasOutput('AuditSigningKeyArn', {});
  });
});

describe('the deployment config', () => {
  it('refuses a signing key outside the central account and region', async () => {
    const config = exampleConfig();
    const deployment = await loadDeployment(config);
    expect(deployment.policy.audit.signingKey).toMatch(/^arn:aws:kms:us-east-1:222222222222:key\//);
    const elsewhere = { ...config, central: { ...(config.central as object), account: '555555555555' } };
    await expect(loadDeployment(elsewhere)).rejects.toThrow(DeploymentConfigError);
    await expect(loadDeployment(elsewhere)).rejects.toThrow(/audit\.signingKey .* is not in the central account/);
  });
});
