/**
 * For the demos' `duplicates` checks: each value that occurs more than once, described by `label`
 * with its count. Pure.
 */
export function repeats(values: readonly string[], label: (value: string, count: number) => string): string[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].filter(([, n]) => n > 1).map(([v, n]) => label(v, n));
}
