import type { AuditRecord } from '../controllers/core/record.js';

/** A plain text table: columns padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Records as a table for people. */
export function recordsTable(records: readonly AuditRecord[]): string {
  return table(
    ['GUARDRAIL', 'REGION', 'RESOURCE', 'OUTCOME', 'DETAIL'],
    records.map((record) => [
      record.guardrail,
      record.region,
      clip(record.resource.id, 48),
      record.outcome,
      clip(
        record.drift.length > 0 && record.outcome !== 'remediated'
          ? `drift: ${record.drift.map((drift) => drift.property).join(', ')}`
          : record.reason,
        90,
      ),
    ]),
  );
}

/** Records as JSON lines for machines. */
export function jsonLines(records: readonly AuditRecord[]): string {
  return records.map((record) => JSON.stringify(record)).join('\n');
}
