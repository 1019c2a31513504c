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

/** What a row says: the reason, except for drift left in place, where the drifted properties lead. */
function detailOf(record: AuditRecord): string {
  if (record.outcome === 'drift-detected' && record.drift.length > 0) {
    return `drift: ${record.drift.map((drift) => drift.property).join(', ')}; ${record.reason}`;
  }
  return record.reason;
}

/** One line per guardrail and region: how many resources, by outcome. */
function summaryLines(records: readonly AuditRecord[]): string[] {
  const groups = new Map<string, Map<string, number>>();
  for (const record of records) {
    const key = `${record.guardrail} ${record.region}`;
    const counts = groups.get(key) ?? new Map<string, number>();
    counts.set(record.outcome, (counts.get(record.outcome) ?? 0) + 1);
    groups.set(key, counts);
  }
  return [...groups].map(([key, counts]) => {
    const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
    return `${key}: ${total} resource(s): ${[...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ')}`;
  });
}

/**
 * Records as a table for people. By default a summary line per guardrail and region, then a row for
 * every record that is not `compliant` (with its reason, shortened; `--json` has the whole text);
 * `all` gives a row for every record.
 */
export function recordsTable(records: readonly AuditRecord[], options: { all?: boolean } = {}): string {
  const shown = options.all ? records : records.filter((record) => record.outcome !== 'compliant');
  const rows = shown.map((record) => [
    record.guardrail,
    record.region,
    clip(record.resource.id, 48),
    record.outcome,
    clip(detailOf(record), 120),
  ]);
  const rowTable = rows.length > 0 ? table(['GUARDRAIL', 'REGION', 'RESOURCE', 'OUTCOME', 'DETAIL'], rows) : '';
  if (options.all) return rowTable;
  const summary = summaryLines(records);
  if (summary.length === 0) return 'no resource checked';
  return [...summary, ...(rowTable ? ['', rowTable] : [])].join('\n');
}

/** Records as JSON lines for machines. */
export function jsonLines(records: readonly AuditRecord[]): string {
  return records.map((record) => JSON.stringify(record)).join('\n');
}
