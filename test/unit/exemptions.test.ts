import { describe, expect, it } from 'vitest';
import { cloudtrail } from '../../controllers/cloudtrail/index.js';
import { PolicyError } from '../../controllers/core/errors.js';
import { exemptionFor, exemptionMatches, type PolicyExemption } from '../../controllers/core/exemptions.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { trailPolicy } from '../helpers/cloudtrail.js';
import { policyWith } from '../helpers/policy.js';

const NOW = new Date('2026-06-15T12:00:00Z');
const ACCOUNT = '111111111111';
const TRAIL = {
  type: 'AWS::CloudTrail::Trail',
  id: 'main',
  arn: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/main`,
  region: 'eu-west-1',
};
const entry = (over: Partial<PolicyExemption> = {}): PolicyExemption => ({
  guardrail: 'cloudtrail',
  resource: TRAIL.arn,
  reason: 'bucket migration',
  ticket: 'CHG-1',
  expires: '2026-07-01',
  ...over,
});

function issuesOf(exemptions: unknown[], controller: Record<string, unknown> = {}): string[] {
  const doc = { ...policyWith({ cloudtrail: trailPolicy() }, controller), exemptions };
  try {
    parsePolicy(doc, [cloudtrail], 'policy', { now: NOW });
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return [...(error as PolicyError).issues];
  }
  throw new Error('expected the policy to be rejected');
}

describe('policy exemptions: validation at start-up', () => {
  it('accepts a complete entry and defaults the maximum to 90 days', () => {
    const doc = { ...policyWith({ cloudtrail: trailPolicy() }), exemptions: [entry()] };
    const policy = parsePolicy(doc, [cloudtrail], 'policy', { now: NOW });
    expect(policy.exemptions).toEqual([entry()]);
    expect(policy.controller.maxExemptionDays).toBe(90);
    expect(parsePolicy(policyWith({}), [cloudtrail]).exemptions).toEqual([]);
  });

  it('a missing expiry names the field', () => {
    const { expires: _, ...noExpiry } = entry();
    expect(issuesOf([noExpiry])).toEqual([expect.stringMatching(/^exemptions\[0\]\.expires: required/)]);
  });

  it('an unreadable expiry names the field', () => {
    expect(issuesOf([entry({ expires: 'next tuesday' })])).toEqual([
      expect.stringMatching(/^exemptions\[0\]\.expires: must be an ISO date/),
    ]);
  });

  it('an expiry beyond the maximum (from load time) names the field', () => {
    expect(issuesOf([entry({ expires: '2026-09-14' })])).toEqual([
      expect.stringMatching(/^exemptions\[0\]\.expires: more than controller\.maxExemptionDays \(90\)/),
    ]);
    expect(issuesOf([entry({ expires: '2026-06-30' })], { maxExemptionDays: 7 })).toEqual([
      expect.stringMatching(/^exemptions\[0\]\.expires: more than controller\.maxExemptionDays \(7\)/),
    ]);
  });

  it('an unknown guardrail names the field', () => {
    expect(issuesOf([entry({ guardrail: 'cloudtrial' })])).toEqual(['exemptions[0].guardrail: unknown guardrail "cloudtrial"']);
  });

  it('an invalid resource pattern names the field', () => {
    for (const resource of [
      'arn:aws:cloudtrail:eu-west-1:111111111111:trail/*',
      'trail-*',
      'arn:aws:cloudtrail:eu-*-1:111111111111:trail/x',
      '',
    ]) {
      expect(issuesOf([entry({ resource })])).toEqual([
        expect.stringMatching(/^exemptions\[0\]\.resource: must be a resource id or an ARN/),
      ]);
    }
  });

  it('neither approver nor ticket, or no reason, names the field', () => {
    const { ticket: _, ...anonymous } = entry();
    expect(issuesOf([anonymous])).toEqual(['exemptions[0].approver: an exemption needs an approver or a ticket']);
    expect(issuesOf([entry({ reason: ' ' })])).toEqual([expect.stringMatching(/^exemptions\[0\]\.reason: must say why/)]);
  });

  it('a Lambda bundle that knows only its own guardrail accepts exemptions for the others', () => {
    const doc = {
      ...policyWith({ cloudtrail: trailPolicy() }),
      exemptions: [entry({ guardrail: 'flow-logs', resource: 'vpc-1' })],
    };
    expect(parsePolicy(doc, [cloudtrail], 'policy', { onlyThese: false, now: NOW }).exemptions).toHaveLength(1);
  });
});

describe('exemptionMatches', () => {
  it('an ARN matches exactly, with * only standing for the region or the account', () => {
    expect(exemptionMatches(entry(), 'cloudtrail', TRAIL, ACCOUNT)).toBe(true);
    expect(exemptionMatches(entry({ resource: 'arn:aws:cloudtrail:*:*:trail/main' }), 'cloudtrail', TRAIL, ACCOUNT)).toBe(true);
    expect(exemptionMatches(entry({ resource: 'arn:aws:cloudtrail:*:*:trail/mai' }), 'cloudtrail', TRAIL, ACCOUNT)).toBe(false);
    expect(exemptionMatches(entry({ resource: 'arn:aws:cloudtrail:us-east-1:*:trail/main' }), 'cloudtrail', TRAIL, ACCOUNT)).toBe(
      false,
    );
    expect(exemptionMatches(entry(), 'cloudtrail', { ...TRAIL, arn: null }, ACCOUNT)).toBe(false);
  });

  it('a resource id matches the ref id; guardrail, accounts and regions narrow it', () => {
    expect(exemptionMatches(entry({ resource: 'main' }), 'cloudtrail', TRAIL, ACCOUNT)).toBe(true);
    expect(exemptionMatches(entry({ resource: 'main' }), 'flow-logs', TRAIL, ACCOUNT)).toBe(false);
    expect(exemptionMatches(entry({ resource: 'main', accounts: ['222222222222'] }), 'cloudtrail', TRAIL, ACCOUNT)).toBe(false);
    expect(exemptionMatches(entry({ resource: 'main', accounts: [ACCOUNT] }), 'cloudtrail', TRAIL, ACCOUNT)).toBe(true);
    expect(exemptionMatches(entry({ resource: 'main', regions: ['us-east-1'] }), 'cloudtrail', TRAIL, ACCOUNT)).toBe(false);
  });
});

describe('exemptionFor', () => {
  it('a matching, unexpired policy exemption exempts, with its expiry, approver and ticket', () => {
    expect(exemptionFor([entry({ approver: 'ciso' })], 'cloudtrail', TRAIL, ACCOUNT, {}, NOW)).toEqual({
      exempt: true,
      reason: 'bucket migration (approved by ciso, ticket CHG-1; until 2026-07-01)',
      grant: { expires: '2026-07-01', approver: 'ciso', ticket: 'CHG-1' },
    });
  });

  it('a bare date lasts to the end of that day UTC; after it the exemption no longer applies and is noted', () => {
    expect(exemptionFor([entry({ expires: '2026-06-15' })], 'cloudtrail', TRAIL, ACCOUNT, {}, NOW).exempt).toBe(true);
    expect(exemptionFor([entry({ expires: '2026-06-14' })], 'cloudtrail', TRAIL, ACCOUNT, {}, NOW)).toEqual({
      exempt: false,
      notes: ['policy exemption expired on 2026-06-14 (ticket CHG-1)'],
    });
    expect(exemptionFor([entry({ expires: '2026-06-15T11:59:59Z' })], 'cloudtrail', TRAIL, ACCOUNT, {}, NOW).exempt).toBe(false);
  });

  it('an unreadable expiry does not exempt (fail closed)', () => {
    expect(exemptionFor([entry({ expires: 'soon' })], 'cloudtrail', TRAIL, ACCOUNT, {}, NOW)).toEqual({
      exempt: false,
      notes: ['policy exemption ignored: expires "soon" is not readable'],
    });
  });

  it('an exemption tag alone never exempts; the request is noted, its value cut short', () => {
    const tags = { 'logwarden:exempt': `INC-1 ${'x'.repeat(200)}`, 'logwarden:exempt-until': '2999-12-31', team: 'a' };
    const verdict = exemptionFor([], 'cloudtrail', TRAIL, ACCOUNT, tags, NOW);
    expect(verdict.exempt).toBe(false);
    expect(verdict).toEqual({
      exempt: false,
      notes: [
        expect.stringMatching(
          /^unapproved exemption request ignored: tag logwarden:exempt="INC-1 x+", logwarden:exempt-until="2999-12-31"; exemptions are granted in the policy$/,
        ),
      ],
    });
    expect((verdict as { notes: string[] }).notes[0]?.length).toBeLessThan(220);
    expect(exemptionFor([], 'cloudtrail', TRAIL, ACCOUNT, { team: 'a' }, NOW)).toEqual({ exempt: false, notes: [] });
  });
});
