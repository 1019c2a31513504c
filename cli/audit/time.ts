import { ConfigError } from '../../controllers/core/errors.js';

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `90s`, `30m`, `12h`, `7d`, `2w` → milliseconds; undefined when the text is not a duration. Pure. */
export function durationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

/** Like {@link durationMs} but raises a ConfigError naming the flag. */
export function parseDuration(flag: string, text: string): number {
  const ms = durationMs(text);
  if (ms === undefined || ms <= 0)
    throw new ConfigError(flag, `expected a duration like 30m, 12h or 7d, got ${JSON.stringify(text)}`);
  return ms;
}

/**
 * A point in time from a flag: relative to `now` (`7d` = seven days ago, `now`), a date
 * (`2026-11-01`, midnight UTC) or an ISO 8601 date-time (`2026-11-01T12:00:00Z`). Pure.
 */
export function parseTime(flag: string, text: string, now: Date): Date {
  const t = text.trim();
  if (t === 'now') return new Date(now.getTime());
  const rel = durationMs(t);
  if (rel !== undefined) return new Date(now.getTime() - rel);
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const d = new Date(`${t}T00:00:00.000Z`);
    if (!Number.isNaN(d.getTime())) return d;
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    // A date-time without a zone is taken as UTC, never as the machine's local time.
    const d = new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : `${t}Z`);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new ConfigError(
    flag,
    `expected a relative time (30m, 12h, 7d, 2w), a date (2026-11-01) or an ISO date-time (2026-11-01T12:00:00Z), got ${JSON.stringify(text)}`,
  );
}
