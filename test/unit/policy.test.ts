import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloudtrail } from '../../controllers/cloudtrail/index.js';
import { PolicyError } from '../../controllers/core/errors.js';
import { filteredOut } from '../../controllers/core/filters.js';
import { ownRoleArnTemplate } from '../../controllers/core/identity.js';
import { loadPolicyFile, ownRoleArnsIn, parsePolicy, sweepScheduleOf } from '../../controllers/core/policy.js';
import { guardrails as registry } from '../../controllers/registry.js';
import { trailPolicy } from '../helpers/cloudtrail.js';
import { flowLogsPolicy } from '../helpers/flow-logs.js';
import { policyWith } from '../helpers/policy.js';

const parse = (doc: unknown) => parsePolicy(doc, [cloudtrail]);

function issuesOf(doc: unknown): string[] {
  try {
    parse(doc);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return [...(error as PolicyError).issues];
  }
  throw new Error('expected the policy to be rejected');
}

describe('policy', () => {
  it('accepts a valid document and applies defaults', () => {
    const policy = parse(
      policyWith({ cloudtrail: { trails: [{ name: 'main', homeRegion: 'us-east-1', s3BucketName: 'logs-bucket' }] } }),
    );
    const section = policy.guardrails.cloudtrail as {
      mode: string;
      trails: { isMultiRegionTrail: boolean; enableLogFileValidation: boolean }[];
    };
    expect(section.mode).toBe('remediate');
    expect(section.trails[0]).toMatchObject({ isMultiRegionTrail: true, enableLogFileValidation: true });
    expect(policy.controller.sweepSchedule).toBe('rate(1 hour)');
  });

  it('names the field of every problem', () => {
    const doc = policyWith({ cloudtrail: trailPolicy({ s3BucketName: undefined, homeRegion: 'moon-1' }) });
    expect(issuesOf(doc)).toEqual([
      expect.stringMatching(/^guardrails\.cloudtrail\.trails\[0\]\.homeRegion: must be an AWS region/),
      expect.stringMatching(/^guardrails\.cloudtrail\.trails\[0\]\.s3BucketName: /),
    ]);
  });

  it('rejects unknown guardrails and unknown fields (typos) by name', () => {
    expect(issuesOf(policyWith({ cloudtrial: {} }))).toEqual([expect.stringMatching(/^guardrails: .*\(cloudtrial\)$/)]);
    expect(issuesOf(policyWith({ cloudtrail: trailPolicy({ multiRegion: true }) }))).toEqual([
      expect.stringMatching(/^guardrails\.cloudtrail\.trails\[0\]: .*\(multiRegion\)$/),
    ]);
  });

  it('rejects a bad mode, a bad own-role ARN, a bad bus and a wrong version', () => {
    const doc = policyWith({ cloudtrail: { ...trailPolicy(), mode: 'fix-it' } }, { ownRoleArns: ['logwarden'] });
    (doc as { audit: { eventBus: string } }).audit.eventBus = 'arn:aws:sqs:us-east-1:123456789012:not-a-bus';
    (doc as { version: number }).version = 2;
    const issues = issuesOf(doc);
    expect(issues.map((i) => i.split(':')[0])).toEqual(
      expect.arrayContaining(['version', 'controller.ownRoleArns[0]', 'audit.eventBus', 'guardrails.cloudtrail.mode']),
    );
  });

  it('checks cross-field rules of trails', () => {
    const issues = issuesOf(
      policyWith({
        cloudtrail: trailPolicy({
          isOrganizationTrail: true,
          eventSelectors: [{ ReadWriteType: 'All' }],
          advancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }],
        }),
      }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^guardrails\.cloudtrail\.trails\[0\]\.advancedEventSelectors: use eventSelectors or advancedEventSelectors/,
        ),
        expect.stringMatching(
          /^guardrails\.cloudtrail\.trails\[0\]\.accounts: an organization trail must name exactly one account/,
        ),
      ]),
    );
  });

  it('fails at load with the file name for a missing file and for invalid JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-policy-'));
    expect(() => loadPolicyFile(join(dir, 'nope.json'), [cloudtrail])).toThrow(/cannot read policy file .*nope\.json/);
    writeFileSync(join(dir, 'bad.json'), '{ "version": 1, ');
    expect(() => loadPolicyFile(join(dir, 'bad.json'), [cloudtrail])).toThrow(/bad\.json is not valid JSON/);
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(policyWith({ cloudtrail: trailPolicy() })));
    expect(loadPolicyFile(join(dir, 'ok.json'), [cloudtrail]).version).toBe(1);
  });

  it('a Lambda bundle that knows one guardrail accepts the other sections', () => {
    const doc = policyWith({ cloudtrail: trailPolicy(), 'flow-logs': { mode: 'notify' } });
    expect(() => parsePolicy(doc, [cloudtrail])).toThrow(PolicyError);
    expect(parsePolicy(doc, [cloudtrail], 'policy', { onlyThese: false }).guardrails.cloudtrail).toBeDefined();
  });
});

describe('own roles: exact ARNs only', () => {
  const ACCOUNT = '123456789012';
  const template = ownRoleArnTemplate('cloudtrail');
  const own = `arn:aws:iam::${ACCOUNT}:role/logwarden/logwarden-cloudtrail-controller-us-east-1`;

  it('rejects wildcard and prefix entries, a fixed or missing account, and anything but a role, naming the field', () => {
    const bad = [
      'arn:aws:iam::*:role/logwarden/*',
      'arn:aws:iam::{account}:role/logwarden/*',
      'arn:aws:iam::{account}:role/logwarden/logwarden-cloudtrail-controller-*',
      'arn:aws:iam::*:role/logwarden/logwarden-cloudtrail-controller-{region}',
      `arn:aws:iam::${ACCOUNT}:role/logwarden/logwarden-cloudtrail-controller-{region}`,
      'arn:aws:iam::{account}:user/logwarden',
      'arn:aws:iam::{account}:role/logwarden/{account}',
      'logwarden',
    ];
    for (const arn of bad) {
      const issues = issuesOf(policyWith({ cloudtrail: trailPolicy() }, { ownRoleArns: [template, arn] }));
      expect(issues, arn).toEqual([expect.stringMatching(/^controller\.ownRoleArns\[1\]: /)]);
      if (arn.includes('*')) expect(issues[0]).toMatch(/wildcards \(\*\) are not allowed/);
    }
  });

  it('fills the governed account and expands {region} over the governed regions into a finite exact list', () => {
    const policy = parse(
      policyWith(
        { cloudtrail: trailPolicy() },
        { regions: ['us-east-1', 'eu-west-1'], ownRoleArns: [template, 'arn:aws:iam::{account}:role/ops/fixed'] },
      ),
    );
    expect(ownRoleArnsIn(policy.controller, ACCOUNT)).toEqual([
      own,
      `arn:aws:iam::${ACCOUNT}:role/logwarden/logwarden-cloudtrail-controller-eu-west-1`,
      `arn:aws:iam::${ACCOUNT}:role/ops/fixed`,
    ]);
    expect(ownRoleArnsIn(policy.controller, 'TOKEN', ['REGION'])).toEqual([
      'arn:aws:iam::TOKEN:role/logwarden/logwarden-cloudtrail-controller-REGION',
      'arn:aws:iam::TOKEN:role/ops/fixed',
    ]);
  });

  it("the own-role filter leaves only logwarden's exact role alone: look-alikes are acted on", () => {
    const policy = parse(policyWith({ cloudtrail: trailPolicy() }, { ownRoleArns: [template] }));
    const by = (issuer: string) =>
      filteredOut({
        guardrail: cloudtrail,
        policy,
        governedAccount: ACCOUNT,
        account: ACCOUNT,
        region: 'us-east-1',
        call: {
          eventSource: 'cloudtrail.amazonaws.com',
          eventName: 'StopLogging',
          userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { type: 'Role', arn: issuer } } },
        } as never,
      });
    expect(by(own)).toBe(`made by logwarden's own role ${own}`);
    const lookAlikes = [
      `arn:aws:iam::${ACCOUNT}:role/logwarden/attacker`,
      `${own}-x`,
      `arn:aws:iam::999999999999:role/logwarden/logwarden-cloudtrail-controller-us-east-1`,
      `arn:aws:iam::${ACCOUNT}:role/logwarden-cloudtrail-controller-us-east-1`,
      `arn:aws:iam::${ACCOUNT}:role/logwarden/logwarden-cloudtrail-controller-ap-south-1`,
      `arn:aws:iam::${ACCOUNT}:role/logwarden/logwarden-guardduty-controller-us-east-1`,
    ];
    for (const arn of lookAlikes) expect(by(arn), arn).toBeNull();
  });
});

describe('sweep schedule per guardrail', () => {
  const base = { cloudtrail: trailPolicy(), 'flow-logs': flowLogsPolicy() };
  const parseAll = (controller: Record<string, unknown>) => parsePolicy(policyWith(base, controller), registry);
  const flowLogs = registry.find((g) => g.name === 'flow-logs') as (typeof registry)[number];

  it('CloudTrail sweeps every 15 minutes by default; the others take controller.sweepSchedule', () => {
    const policy = parseAll({ sweepSchedule: 'rate(6 hours)' });
    expect(sweepScheduleOf(policy, cloudtrail)).toBe('rate(15 minutes)');
    expect(sweepScheduleOf(policy, flowLogs)).toBe('rate(6 hours)');
    expect(sweepScheduleOf(parseAll({}), flowLogs)).toBe('rate(1 hour)');
  });

  it('controller.sweepSchedules overrides any default for the guardrail it names', () => {
    const policy = parseAll({ sweepSchedules: { cloudtrail: 'rate(5 minutes)', 'flow-logs': 'cron(0 * * * ? *)' } });
    expect(sweepScheduleOf(policy, cloudtrail)).toBe('rate(5 minutes)');
    expect(sweepScheduleOf(policy, flowLogs)).toBe('cron(0 * * * ? *)');
  });

  it('rejects an override for a guardrail the policy does not enable, and a bad expression, by field', () => {
    const issues = (() => {
      try {
        parseAll({ sweepSchedules: { guarduty: 'rate(1 hour)' } });
      } catch (error) {
        return (error as PolicyError).issues;
      }
      return [];
    })();
    expect(issues).toEqual(['controller.sweepSchedules.guarduty: no guardrail guarduty is enabled in this policy']);
    expect(() => parseAll({ sweepSchedules: { cloudtrail: 'hourly' } })).toThrow(
      /controller\.sweepSchedules\.cloudtrail: must be rate\(\.\.\.\) or cron/,
    );
  });
});
