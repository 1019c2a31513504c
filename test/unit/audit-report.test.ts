import { describe, expect, it } from 'vitest';
import { timeTicks } from '../../cli/audit/report.js';

const at = (iso: string) => Date.parse(iso);
const labels = (first: string, last: string) => timeTicks(at(first), at(last)).map((tick) => tick.label);

describe('timeline ticks of the HTML report', () => {
  it('shows seconds when the span is a minute or two, so no two ticks read the same', () => {
    expect(labels('2026-11-26T11:58:10Z', '2026-11-26T11:59:40Z')).toEqual([
      '11:58:15',
      '11:58:30',
      '11:58:45',
      '11:59:00',
      '11:59:15',
      '11:59:30',
    ]);
    expect(labels('2026-11-26T11:58:00.100Z', '2026-11-26T11:58:02.400Z')).toEqual([
      '11:58:00.500',
      '11:58:01.000',
      '11:58:01.500',
      '11:58:02.000',
    ]);
  });

  it('uses whole minutes for a few minutes, dates for days, and the date before the clock across midnight', () => {
    expect(labels('2026-11-26T11:58:00Z', '2026-11-26T12:01:35Z')).toEqual(['11:58', '11:59', '12:00', '12:01']);
    expect(labels('2026-11-24T08:00:00Z', '2026-11-26T11:45:00Z')).toEqual([
      '11-24 12:00',
      '11-25 00:00',
      '11-25 12:00',
      '11-26 00:00',
    ]);
    // 56 days: 14-day steps, whole days counted from 1970-01-01.
    expect(labels('2026-10-01T00:00:00Z', '2026-11-26T00:00:00Z')).toEqual([
      '2026-10-08',
      '2026-10-22',
      '2026-11-05',
      '2026-11-19',
    ]);
  });

  it('keeps every label distinct, at most six ticks, on any span', () => {
    for (const spanMs of [3, 999, 61_000, 7 * 60_000, 3_599_000, 86_399_000, 40 * 86_400_000, 3 * 365 * 86_400_000]) {
      const ticks = timeTicks(at('2026-11-26T11:58:07.123Z'), at('2026-11-26T11:58:07.123Z') + spanMs);
      const shown = ticks.map((tick) => tick.label);
      expect(new Set(shown).size, `${spanMs} ms: ${shown.join(', ')}`).toBe(shown.length);
      expect(ticks.length, `${spanMs} ms`).toBeGreaterThanOrEqual(1);
      expect(ticks.length, `${spanMs} ms`).toBeLessThanOrEqual(6);
    }
    expect(timeTicks(at('2026-11-26T11:58:07Z'), at('2026-11-26T11:58:07Z'))).toEqual([
      { time: at('2026-11-26T11:58:07Z'), label: '11:58:07' },
    ]);
  });
});
