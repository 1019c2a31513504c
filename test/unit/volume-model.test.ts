import { describe, expect, it } from 'vitest';
import { type GuardrailVolume, monthlyVolume, runsPerMonth, volumeLines } from '../../bench/volume-model.js';

const volume = (guardrail: string, schedule: string, published = 1): GuardrailVolume => ({
  guardrail,
  schedule,
  steadyResources: 3,
  steadyOutcomes: 'compliant,compliant,compliant',
  bytes: { remediated: 1400, compliant: 1200, summaryRecord: 1300 },
  steadySweep: { all: { records: 3, bytes: 3600 }, summary: { records: published, bytes: 1300 * published } },
});

describe('the audit volume model (#13 item 6)', () => {
  it('counts the runs of a rate schedule in a 30-day month; a cron counts as hourly', () => {
    expect(runsPerMonth('rate(15 minutes)')).toBe(2880);
    expect(runsPerMonth('rate(1 hour)')).toBe(720);
    expect(runsPerMonth('rate(2 hours)')).toBe(360);
    expect(runsPerMonth('rate(1 day)')).toBe(30);
    expect(runsPerMonth('cron(0 * * * ? *)')).toBe(720);
  });

  it('summary mode publishes one record per sweep, all mode one per resource; Sign calls are the same in both', () => {
    const m = monthlyVolume([volume('flow-logs', 'rate(1 hour)')], 1500);
    const records = (mode: 'summary' | 'all') => m.lines[0]?.[mode].usd ?? Number.NaN;
    // 4,000 deployments × (720 sweeps + 10 changes + 2,880 beats) in summary mode; 3 VPCs per sweep in all mode.
    expect(records('summary')).toBeCloseTo((4000 * (720 + 10 + 2880)) / 1e6, 2);
    expect(records('all')).toBeCloseTo((4000 * (720 * 3 + 10 + 2880)) / 1e6, 2);
    const kms = m.lines.find((l) => l.item.startsWith('KMS'));
    expect(kms?.summary.usd).toBe(kms?.all.usd);
    expect(kms?.summary.usd).toBeCloseTo(((4000 * (720 + 10 + 2880)) / 10_000) * 0.15, 1);
    expect(m.total.all).toBeGreaterThan(m.total.summary);
  });

  it('ignored results that a steady sweep still publishes in full count in summary mode', () => {
    const one = monthlyVolume([volume('bucket-logging', 'rate(1 hour)', 1)], 1500);
    const two = monthlyVolume([volume('bucket-logging', 'rate(1 hour)', 2)], 1500);
    expect(two.lines[0]?.summary.usd).toBeGreaterThan(one.lines[0]?.summary.usd ?? Number.POSITIVE_INFINITY);
  });

  it('the report section names a failed measurement instead of a table', () => {
    expect(volumeLines({ error: 'emulator did not start' }).join('\n')).toContain('Not measured: emulator did not start.');
    const lines = volumeLines({
      guardrails: [volume('cloudtrail', 'rate(15 minutes)')],
      heartbeatBytes: 1500,
      model: monthlyVolume([volume('cloudtrail', 'rate(15 minutes)')], 1500),
    });
    expect(lines.some((l) => l.startsWith('| **total** |'))).toBe(true);
  });
});
