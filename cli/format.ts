import type { AuditRecord } from '../controllers/core/record.js';

/** A plain text table: columns padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Records as a table for people. */
export function recordsTable(records: readonly AuditRecord[]): string {
  return table(
    ['GUARDRAIL', 'REGION', 'RESOURCE', 'OUTCOME', 'DETAIL'],
    records.map((r) => [
      r.guardrail,
      r.region,
      clip(r.resource.id, 48),
      r.outcome,
      clip(
        r.drift.length > 0 && r.outcome !== 'remediated' ? `drift: ${r.drift.map((d) => d.property).join(', ')}` : r.reason,
        90,
      ),
    ]),
  );
}

/** Records as JSON lines for machines. */
export function jsonLines(records: readonly AuditRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n');
}
