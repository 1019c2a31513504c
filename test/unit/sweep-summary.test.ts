import { describe, expect, it } from 'vitest';
import { type AuditRecord, auditRecordSchema, type Outcome } from '../../controllers/core/record.js';
import {
  MAX_LISTED_IGNORED,
  resourcesDigest,
  SWEEP_RESOURCE_TYPE,
  summariseSweeps,
} from '../../controllers/core/sweep-summary.js';
import { record } from '../helpers/records.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const sweep = { type: 'sweep' as const, eventId: 'e-1', eventName: 'Scheduled Event', actor: 'aws.events' };
const rec = (id: string, outcome: Outcome, over: Partial<AuditRecord> = {}): AuditRecord =>
  record({ resource: { type: 'AWS::S3::Bucket', id, arn: null }, outcome, trigger: sweep, ...over });

describe('sweep summaries', () => {
  it('folds compliant sweep results into one record per guardrail and region; the rest stays in full', () => {
    const records = [rec('a', 'compliant'), rec('b', 'remediated'), rec('c', 'compliant'), rec('d', 'failed')];
    const out = summariseSweeps(records, NOW);
    expect(out.map((r) => r.resource.id)).toEqual(['b', 'd', `${records[0]?.guardrail}/${records[0]?.region}`]);
    const summary = out[2] as AuditRecord;
    expect(summary.resource.type).toBe(SWEEP_RESOURCE_TYPE);
    expect(summary.sweep).toEqual({
      checked: 4,
      outcomes: { compliant: 2, remediated: 1, failed: 1 },
      compliant: 2,
      compliantDigest: resourcesDigest([records[0] as AuditRecord, records[2] as AuditRecord]),
    });
    expect(summary.time).toBe(NOW.toISOString());
  });

  it('one summary per guardrail and region, even when nothing was compliant', () => {
    const records = [rec('a', 'compliant', { region: 'eu-west-1' }), rec('b', 'remediated', { region: 'us-east-1' })];
    const out = summariseSweeps(records, NOW);
    const summaries = out.filter((r) => r.resource.type === SWEEP_RESOURCE_TYPE);
    expect(summaries.map((s) => [s.region, s.sweep?.compliant])).toEqual([
      ['eu-west-1', 1],
      ['us-east-1', 0],
    ]);
  });

  it('leaves records of events and the CLI unchanged', () => {
    const cloudtrail = { type: 'cloudtrail' as const, eventId: 'x', eventName: 'StopLogging', actor: 'arn:aws:iam::1:user/a' };
    const records = [rec('a', 'compliant', { trigger: cloudtrail })];
    expect(summariseSweeps(records, NOW)).toEqual(records);
  });

  it('names the ignored resources with their reason, sorted, at most 50, with a count of the rest', () => {
    const records = [
      rec('z-excluded', 'ignored', { reason: 'bucket z-excluded is excluded by the policy (excludeBuckets: "z-excluded")' }),
      rec('a', 'compliant'),
      rec('long', 'ignored', { reason: 'x'.repeat(1000) }),
    ];
    const summary = summariseSweeps(records, NOW).find((r) => r.resource.type === SWEEP_RESOURCE_TYPE) as AuditRecord;
    expect(summary.sweep?.ignored).toEqual({
      resources: [
        { type: 'AWS::S3::Bucket', id: 'long', reason: 'x'.repeat(300) },
        {
          type: 'AWS::S3::Bucket',
          id: 'z-excluded',
          reason: 'bucket z-excluded is excluded by the policy (excludeBuckets: "z-excluded")',
        },
      ],
      more: 0,
    });
    expect(summary.reason).toContain('2 ignored (listed in sweep.ignored)');
    expect(auditRecordSchema.parse(summary).sweep?.ignored?.resources).toHaveLength(2);

    const many = Array.from({ length: MAX_LISTED_IGNORED + 7 }, (_, i) => rec(`b-${String(i).padStart(3, '0')}`, 'ignored'));
    const big = summariseSweeps(many, NOW).find((r) => r.resource.type === SWEEP_RESOURCE_TYPE) as AuditRecord;
    expect(big.sweep?.ignored?.resources).toHaveLength(MAX_LISTED_IGNORED);
    expect(big.sweep?.ignored?.resources[0]?.id).toBe('b-000');
    expect(big.sweep?.ignored?.more).toBe(7);
  });

  it('the digest does not depend on order and changes with the set', () => {
    const [a, b, c] = [rec('a', 'compliant'), rec('b', 'compliant'), rec('c', 'compliant')];
    expect(resourcesDigest([a, b])).toBe(resourcesDigest([b, a]));
    expect(resourcesDigest([a, b])).not.toBe(resourcesDigest([a, c]));
  });
});
