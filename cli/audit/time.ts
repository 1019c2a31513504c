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
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
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
  const trimmed = text.trim();
  if (trimmed === 'now') return new Date(now.getTime());
  const ago = durationMs(trimmed);
  if (ago !== undefined) return new Date(now.getTime() - ago);
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) {
    const date = new Date(`${trimmed}T00:00:00.000Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(trimmed)) {
    // A date-time without a zone is taken as UTC, never as the machine's local time.
    const date = new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(trimmed) ? trimmed : `${trimmed}Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new ConfigError(
    flag,
    `expected a relative time (30m, 12h, 7d, 2w), a date (2026-11-01) or an ISO date-time (2026-11-01T12:00:00Z), got ${JSON.stringify(text)}`,
  );
}
