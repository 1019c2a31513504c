/**
 * The test evaluator (test/helpers/policy-eval.ts) against AWS's documented semantics, so that the
 * SCP table tests (test/infra/scp.test.ts) rest on checked ground. Each case cites the rule it checks.
 */
import { describe, expect, it } from 'vitest';
import {
  arnMatches,
  evaluate,
  FULL_AWS_ACCESS,
  globMatches,
  type PolicyDocument,
  type RequestContext,
  UnsupportedConditionError,
} from '../helpers/policy-eval.js';

const ROLE = 'arn:aws:iam::123456789012:role/admin';
const RULE = 'arn:aws:events:eu-west-1:123456789012:rule/r';
const deny = (Condition: PolicyDocument['Statement'][number]['Condition']): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: 'events:DisableRule', Resource: '*', Condition }],
});
const request = (context: RequestContext['context'] = {}): RequestContext => ({
  action: 'events:DisableRule',
  resource: RULE,
  context,
});

describe('matching', () => {
  it('actions are case-insensitive, with * and ? wildcards', () => {
    expect(globMatches('events:Disable*', 'EVENTS:disablerule', true)).toBe(true);
    expect(globMatches('events:?isableRule', 'events:DisableRule')).toBe(true);
    expect(globMatches('events:Disable', 'events:DisableRule')).toBe(false);
  });

  it('ARNs are compared per segment: a * in the account does not swallow the region', () => {
    expect(arnMatches('arn:aws:iam::*:role/logwarden/*', 'arn:aws:iam::123456789012:role/logwarden/x')).toBe(true);
    expect(arnMatches('arn:aws:events:*:rule/x', RULE)).toBe(false);
    // The resource part may hold colons (a function qualifier) and * matches across them there.
    expect(arnMatches('arn:aws:lambda:*:*:function:logwarden-*', 'arn:aws:lambda:eu-west-1:1:function:logwarden-a:7')).toBe(true);
    expect(arnMatches('arn:aws:s3:::b', 'not-an-arn')).toBe(false);
  });
});

describe('condition operators', () => {
  it('a negated operator with several values applies only when no value matches', () => {
    const policy = deny({ ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::*:role/exec-*', ROLE] } });
    expect(evaluate([FULL_AWS_ACCESS, policy], request({ 'aws:PrincipalArn': ROLE }))).toBe('allowed');
    expect(evaluate([FULL_AWS_ACCESS, policy], request({ 'aws:PrincipalArn': 'arn:aws:iam::1:role/x' }))).toBe('explicit-deny');
  });

  it('a missing key: positive operators are false, negated ones true', () => {
    expect(evaluate([FULL_AWS_ACCESS, deny({ StringLike: { 'aws:PrincipalTag/team': '*' } })], request())).toBe('allowed');
    expect(evaluate([FULL_AWS_ACCESS, deny({ StringNotLike: { 'aws:PrincipalTag/team': 'a' } })], request())).toBe(
      'explicit-deny',
    );
  });

  it('ForAnyValue: some request value matches some policy value; a missing key never matches', () => {
    const policy = deny({ 'ForAnyValue:StringLike': { 'aws:TagKeys': ['logwarden:*'] } });
    expect(evaluate([FULL_AWS_ACCESS, policy], request({ 'aws:TagKeys': ['team', 'logwarden:exempt'] }))).toBe('explicit-deny');
    expect(evaluate([FULL_AWS_ACCESS, policy], request({ 'aws:TagKeys': ['team'] }))).toBe('allowed');
    expect(evaluate([FULL_AWS_ACCESS, policy], request())).toBe('allowed');
  });

  it('blocks and keys are ANDed', () => {
    const policy = deny({ StringLike: { 'aws:TagKeys': 'x' }, ArnLike: { 'aws:PrincipalArn': ROLE } });
    expect(evaluate([FULL_AWS_ACCESS, policy], request({ 'aws:PrincipalArn': ROLE, 'aws:TagKeys': 'y' }))).toBe('allowed');
    expect(evaluate([FULL_AWS_ACCESS, policy], request({ 'aws:PrincipalArn': ROLE, 'aws:TagKeys': 'x' }))).toBe('explicit-deny');
  });

  it('Bool: "true"/"false" compared as given; a missing key does not match (positive operator)', () => {
    const tlsOnly = deny({ Bool: { 'aws:SecureTransport': 'false' } });
    expect(evaluate([FULL_AWS_ACCESS, tlsOnly], request({ 'aws:SecureTransport': 'false' }))).toBe('explicit-deny');
    expect(evaluate([FULL_AWS_ACCESS, tlsOnly], request({ 'aws:SecureTransport': 'true' }))).toBe('allowed');
    expect(evaluate([FULL_AWS_ACCESS, tlsOnly], request({}))).toBe('allowed');
  });

  it('an operator it does not implement throws instead of deciding', () => {
    expect(() => evaluate([deny({ StringEqualsIgnoreCase: { k: 'v' } })], request({ k: 'v' }))).toThrow(
      UnsupportedConditionError,
    );
    expect(() => evaluate([deny({ 'ForAllValues:StringNotLike': { k: 'v' } })], request({ k: 'v' }))).toThrow(
      UnsupportedConditionError,
    );
  });

  it('ForAllValues: every request value must match; a missing key holds (AWS semantics), which Null can refuse', () => {
    const allow = (Condition: PolicyDocument['Statement'][number]['Condition']): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'events:DisableRule', Resource: '*', Condition }],
    });
    const forAll = allow({ 'ForAllValues:StringEquals': { 'events:source': ['a', 'b'] } });
    expect(evaluate([forAll], request({ 'events:source': ['a', 'b'] }))).toBe('allowed');
    expect(evaluate([forAll], request({ 'events:source': ['a', 'c'] }))).toBe('implicit-deny');
    expect(evaluate([forAll], request())).toBe('allowed');
    const withNull = allow({ 'ForAllValues:StringEquals': { 'events:source': ['a'] }, Null: { 'events:source': 'false' } });
    expect(evaluate([withNull], request())).toBe('implicit-deny');
    expect(evaluate([withNull], request({ 'events:source': ['a'] }))).toBe('allowed');
  });

  it('StringEquals is exact; a principal list is matched on aws:PrincipalArn', () => {
    const policy: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: [ROLE] },
          Action: 'events:DisableRule',
          Resource: '*',
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } },
        },
      ],
    };
    expect(evaluate([policy], request({ 'aws:PrincipalArn': ROLE, 'aws:PrincipalOrgID': 'o-1' }))).toBe('allowed');
    expect(evaluate([policy], request({ 'aws:PrincipalArn': ROLE, 'aws:PrincipalOrgID': 'o-*' }))).toBe('implicit-deny');
    expect(evaluate([policy], request({ 'aws:PrincipalArn': `${ROLE}2`, 'aws:PrincipalOrgID': 'o-1' }))).toBe('implicit-deny');
  });
});

describe('equality and principals (resource policies)', () => {
  it('StringEquals is exact and case-sensitive; StringNotEquals is its negation, true for a missing key', () => {
    const policy = deny({ StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } });
    expect(evaluate([policy], request({ 'aws:PrincipalOrgID': 'o-abc' }))).toBe('explicit-deny');
    expect(evaluate([policy], request({ 'aws:PrincipalOrgID': 'o-ABC' }))).toBe('implicit-deny');
    expect(evaluate([policy], request({ 'aws:PrincipalOrgID': 'o-ab*' }))).toBe('implicit-deny');
    const negated = deny({ StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc' } });
    expect(evaluate([negated], request({ 'aws:PrincipalOrgID': 'o-abc' }))).toBe('implicit-deny');
    expect(evaluate([negated], request())).toBe('explicit-deny');
  });

  it('a Principal of *, of an account root or of one ARN', () => {
    const allow = (Principal: '*' | { AWS: string }): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal, Action: 'kms:Sign', Resource: '*' }],
    });
    const sign = (principal: string): RequestContext => ({
      principal,
      action: 'kms:Sign',
      resource: 'arn:aws:kms:us-east-1:1:key/k',
      context: {},
    });
    expect(evaluate([allow('*')], sign(ROLE))).toBe('allowed');
    expect(evaluate([allow({ AWS: 'arn:aws:iam::123456789012:root' })], sign(ROLE))).toBe('allowed');
    expect(evaluate([allow({ AWS: 'arn:aws:iam::999999999999:root' })], sign(ROLE))).toBe('implicit-deny');
    expect(evaluate([allow({ AWS: ROLE })], sign('arn:aws:iam::123456789012:role/other'))).toBe('implicit-deny');
    // No caller known (neither request.principal nor aws:PrincipalArn): only `*` can match.
    expect(evaluate([allow('*')], { ...sign(ROLE), principal: undefined })).toBe('allowed');
    expect(evaluate([allow({ AWS: ROLE })], { ...sign(ROLE), principal: undefined })).toBe('implicit-deny');
  });
});

describe('decisions', () => {
  it('an SCP never grants: without an allow, nothing is allowed; deny beats allow', () => {
    expect(evaluate([deny(undefined)], { ...request(), action: 'events:PutRule' })).toBe('implicit-deny');
    expect(evaluate([FULL_AWS_ACCESS, deny(undefined)], request())).toBe('explicit-deny');
  });
});
