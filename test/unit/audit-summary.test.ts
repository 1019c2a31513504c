import { describe, expect, it } from 'vitest';
import { summaryText } from '../../cli/audit/format.js';
import { hasFindings, integrityOf, percentile, SummaryBuilder, summarize } from '../../cli/audit/summary.js';
import { A, B, C, KNOWN, NOW, rec } from '../browser/audit-known-records.js';

describe('audit summary of a known record set', () => {
  // Records arrive in any order (shards, archive objects): the figures must not depend on it.
  const shuffled = [...KNOWN].reverse();
  const s = summarize(shuffled, { now: NOW });

  it('counts by guardrail × outcome and in total', () => {
    expect(s.selected).toBe(13);
    expect(s.byOutcome).toEqual({
      remediated: 5,
      compliant: 4,
      exempt: 0,
      'drift-detected': 1,
      failed: 2,
      ignored: 0,
      escalated: 1,
    });
    const byName = Object.fromEntries(s.byGuardrail.map((g) => [g.guardrail, g]));
    expect(Object.keys(byName)).toEqual(['bucket-logging', 'cloudtrail', 'flow-logs', 'guardduty', 'heartbeat']);
    expect(byName.cloudtrail).toMatchObject({
      total: 5,
      outcomes: { remediated: 3, compliant: 1, 'drift-detected': 1, failed: 0 },
    });
    expect(byName['flow-logs']).toMatchObject({ total: 2, outcomes: { remediated: 1, failed: 1 } });
    expect(byName.heartbeat).toMatchObject({ total: 3, outcomes: { compliant: 3 } });
    expect(s.window).toEqual({ first: '2026-11-24T08:00:00.000Z', last: '2026-11-26T11:45:00.000Z', asOf: NOW.toISOString() });
  });

  it('lists the resources remediated most often (flapping candidates first)', () => {
    expect(s.topRemediated.map((t) => [t.resource, t.account, t.count])).toEqual([
      ['main', A, 3],
      ['vpc-1', A, 1],
      ['bucket-a', B, 1],
    ]);
    expect(s.topRemediated[0]).toMatchObject({ first: '2026-11-24T10:00:00.000Z', last: '2026-11-26T09:00:00.000Z' });
    expect(summarize(KNOWN, { now: NOW, top: 1 }).topRemediated).toHaveLength(1);
  });

  it('lists accounts with failures and the resources still failing (latest record failed or escalated)', () => {
    expect(
      s.accountsWithFailures.map((a) => [a.account, a.failed, a.escalated, a.stillFailing.map((f) => [f.resource, f.outcome])]),
    ).toEqual([
      [B, 1, 1, [['det-1', 'escalated']]],
      [A, 1, 0, [['vpc-1', 'failed']]],
    ]);
    // bucket-a failed, then was remediated: no longer failing.
    expect(s.accountsWithFailures[0]?.lastFailure).toBe('2026-11-26T08:00:00.000Z');
    expect(s.accountsWithFailures[1]?.stillFailing[0]).toMatchObject({ runbook: 'runbooks/flow-logs.md', region: 'eu-west-1' });
  });

  it('finds the deployments whose heartbeat stopped', () => {
    expect(s.heartbeats.map((h) => [h.deployment, h.stopped, h.ageMs])).toEqual([
      [`${B}/us-east-1`, true, 3 * 3_600_000],
      [`${C}/us-east-1`, false, 30 * 60_000],
      [`${A}/us-east-1`, false, 15 * 60_000],
    ]);
    // Judged at --until when the window ends earlier, and with another threshold.
    const earlier = summarize(KNOWN, { now: NOW, until: new Date('2026-11-26T09:30:00Z') });
    expect(earlier.window.asOf).toBe('2026-11-26T09:30:00.000Z');
    expect(summarize(KNOWN, { now: NOW, heartbeatStaleMs: 4 * 3_600_000 }).heartbeats.some((h) => h.stopped)).toBe(false);
  });

  it('computes p50/p95 time to remediate (nearest rank), overall and per guardrail', () => {
    expect(s.timeToRemediate).toMatchObject({ count: 5, p50Ms: 300, p95Ms: 5000 });
    expect(s.timeToRemediate.byGuardrail.find((g) => g.guardrail === 'cloudtrail')).toEqual({
      guardrail: 'cloudtrail',
      count: 3,
      p50Ms: 200,
      p95Ms: 300,
    });
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });

  it('counts remediations per day and guardrail, and keeps the notable records for the timeline', () => {
    expect(s.remediationsPerDay).toEqual([
      { day: '2026-11-24', byGuardrail: { 'bucket-logging': 1, cloudtrail: 1 }, total: 2 },
      { day: '2026-11-25', byGuardrail: { cloudtrail: 1, 'flow-logs': 1 }, total: 2 },
      { day: '2026-11-26', byGuardrail: { cloudtrail: 1 }, total: 1 },
    ]);
    expect(s.timeline).toHaveLength(9);
    expect(s.timeline[0]?.outcome).toBe('drift-detected');
    expect(s.timeline.every((r) => r.outcome !== 'compliant')).toBe(true);
  });

  it('has findings when something still fails, a heartbeat stopped or records were rejected', () => {
    expect(hasFindings(s)).toBe(true);
    const clean = KNOWN.filter((r) => r.account === C);
    expect(hasFindings(summarize(clean, { now: NOW }))).toBe(false);
    const rejected = summarize(clean, {
      now: NOW,
      integrity: integrityOf(3, [{ kind: 'malformed-json', location: 'f:3', message: 'x' }]),
    });
    expect(rejected.integrity).toMatchObject({ read: 3, valid: 2, rejected: 1, byKind: { 'malformed-json': 1 } });
    expect(hasFindings(rejected)).toBe(true);
  });

  it('keeps the timeline bounded on large inputs', () => {
    const b = new SummaryBuilder();
    for (let i = 0; i < 1000; i++) b.add(rec('cloudtrail', A, 'us-east-1', `t-${i}`, 'remediated', `2026-11-2${i % 7}T10:00`, i));
    const big = b.result({ now: NOW });
    expect(big.timeline).toHaveLength(200);
    expect(big.timeline[0]?.time).toBe('2026-11-26T10:00:00.000Z');
    expect(big.timeToRemediate).toMatchObject({ count: 1000, p50Ms: 499, p95Ms: 949 });
  });
});

describe('audit summary: exemptions in use', () => {
  const exempt = (resource: string, expires: string, time = '2026-11-26T10:00') => ({
    ...rec('cloudtrail', A, 'us-east-1', resource, 'exempt', time),
    exemption: { expires, approver: 'ciso', ticket: `CHG-${resource}` },
  });

  it('lists active exemptions by expiry and those ending within 14 days; expired, superseded and legacy ones are not listed', () => {
    const records = [
      exempt('far', '2027-01-31'),
      exempt('soon', '2026-12-05'),
      exempt('over', '2026-11-20'),
      exempt('fixed', '2027-01-01', '2026-11-25T10:00'),
      rec('cloudtrail', A, 'us-east-1', 'fixed', 'remediated', '2026-11-26T09:00'),
      rec('cloudtrail', A, 'us-east-1', 'legacy', 'exempt', '2026-11-26T09:00'),
    ];
    const { exemptions } = summarize(records, { now: NOW });
    expect(exemptions.active.map((e) => [e.resource, e.expires, e.approver, e.ticket])).toEqual([
      ['soon', '2026-12-05', 'ciso', 'CHG-soon'],
      ['far', '2027-01-31', 'ciso', 'CHG-far'],
    ]);
    expect(exemptions.expiringSoon.map((e) => e.resource)).toEqual(['soon']);
    expect(exemptions.active[0]).toMatchObject({ guardrail: 'cloudtrail', account: A, lastSeen: '2026-11-26T10:00:00.000Z' });
  });

  it('prints them in the text summary, the soon-ending marked', () => {
    const text = summaryText(summarize([exempt('soon', '2026-12-05'), exempt('far', '2027-01-31')], { now: NOW }), {
      heartbeatStaleMs: 3_600_000,
    });
    expect(text).toContain('EXEMPTIONS IN USE (2; 1 ending within 14 days)');
    expect(text).toMatch(/soon\s+2026-12-05\s+ciso\s+CHG-soon\s+expiring soon/);
    expect(text).toMatch(/far\s+2027-01-31\s+ciso\s+CHG-far\s+active\n/);
  });
});

describe('audit summary: ignored resources', () => {
  const ignored = (resource: string, time: string, reason: string) => ({
    ...rec('bucket-logging', A, 'us-east-1', resource, 'ignored', time),
    reason,
  });

  it('lists the resources whose latest record is ignored, with the reason; later outcomes and nameless records are not listed', () => {
    const records = [
      ignored('cdk-assets', '2026-11-26T10:00', 'bucket cdk-assets is excluded by the policy (excludeBuckets: "cdk-assets")'),
      ignored('was-excluded', '2026-11-25T10:00', 'excluded then'),
      rec('bucket-logging', A, 'us-east-1', 'was-excluded', 'remediated', '2026-11-26T10:00'),
      ignored('unknown', '2026-11-26T10:00', 'event without requestParameters'),
      ignored('another', '2026-11-26T11:00', 'bucket another is in eu-west-1'),
    ];
    const summary = summarize(records, { now: NOW });
    expect(summary.ignored.total).toBe(2);
    expect(summary.ignored.resources.map((r) => [r.resource, r.reason])).toEqual([
      ['another', 'bucket another is in eu-west-1'],
      ['cdk-assets', 'bucket cdk-assets is excluded by the policy (excludeBuckets: "cdk-assets")'],
    ]);
    expect(summary.ignored.resources[1]).toMatchObject({ guardrail: 'bucket-logging', account: A, region: 'us-east-1' });

    const text = summaryText(summary, { heartbeatStaleMs: 3_600_000 });
    expect(text).toContain('IGNORED RESOURCES (2; latest record ignored');
    expect(text).toMatch(/bucket-logging\s+111111111111\s+us-east-1\s+cdk-assets\s+bucket cdk-assets is excluded by the policy/);
    expect(text).not.toContain('was-excluded');
  });

  it('lists at most 50 in the text and says how many more', () => {
    const many = Array.from({ length: 60 }, (_, i) => ignored(`b-${String(i).padStart(2, '0')}`, '2026-11-26T10:00', 'excluded'));
    const summary = summarize(many, { now: NOW });
    expect(summary.ignored.resources).toHaveLength(60);
    const text = summaryText(summary, { heartbeatStaleMs: 3_600_000 });
    expect(text).toContain('b-49');
    expect(text).not.toContain('b-50');
    expect(text).toContain('… and 10 more (--summary --json lists up to 1000)');
  });
});

/** Each table of the text: its header line and its rows, cut into columns at the dashes line's groups. */
function textTables(text: string): { headers: string[]; rows: string[][] }[] {
  const lines = text.split('\n');
  const tables: { headers: string[]; rows: string[][] }[] = [];
  for (const [index, dashes] of lines.entries()) {
    if (!/^-+( {2}-+)*$/.test(dashes)) continue;
    const spans = [...dashes.matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length] as const);
    const cut = (line: string) => spans.map(([start, end]) => line.slice(start, end).trim());
    const rows: string[][] = [];
    for (const line of lines.slice(index + 1)) {
      if (line.trim() === '') break;
      rows.push(cut(line));
    }
    tables.push({ headers: cut(lines[index - 1] ?? ''), rows });
  }
  return tables;
}

describe('audit summary text', () => {
  const exempt = {
    ...rec('guardduty', B, 'us-east-1', 'det-9', 'exempt', '2026-11-26T10:00'),
    exemption: { expires: '2026-12-01', approver: 'ciso', ticket: null },
  };
  const text = summaryText(summarize([...KNOWN, exempt], { now: NOW }), { heartbeatStaleMs: 3_600_000 });

  it('lists only resources remediated 2 or more times as flapping candidates', () => {
    const section = text.slice(text.indexOf('RESOURCES REMEDIATED MOST OFTEN'), text.indexOf('ACCOUNTS WITH FAILURES'));
    expect(section).toMatch(/^3\s+cloudtrail\s+111111111111\s+us-east-1\s+main\s/m);
    // vpc-1 and bucket-a were remediated once each: in topRemediated, not flapping.
    expect(section).not.toMatch(/vpc-1|bucket-a/);
    const once = summaryText(summarize(KNOWN.slice(3, 4), { now: NOW }), { heartbeatStaleMs: 3_600_000 });
    expect(once).toMatch(/RESOURCES REMEDIATED MOST OFTEN \(2 or more: flapping candidates\)\n {2}none\n/);
  });

  it('gives every column of every table a header', () => {
    const tables = textTables(text);
    // outcomes by guardrail, time to remediate, flapping, exemptions, heartbeats
    expect(tables).toHaveLength(5);
    for (const { headers, rows } of tables) {
      expect(rows.length).toBeGreaterThan(0);
      for (const header of headers) expect(header, headers.join(' | ')).toMatch(/^[A-Z0-9(][A-Z0-9 ()_-]*$/);
    }
  });
});
