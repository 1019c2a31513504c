import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditSourceError } from '../../cli/audit/errors.js';
import type { AuditSummary } from '../../cli/audit/summary.js';
import { ConfigError } from '../../controllers/core/errors.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE, type AuditRecord } from '../../controllers/core/record.js';
import { A, B, C, KNOWN, NOW } from '../browser/audit-known-records.js';
import { jsonRecords, runAudit } from '../helpers/audit-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'logwarden-audit-'));
const FILE = join(dir, 'audit.jsonl');
const envelope = (detail: unknown) => ({ version: '0', id: 'x', 'detail-type': AUDIT_DETAIL_TYPE, source: AUDIT_SOURCE, detail });

const run = (args: string[], opts: { stdin?: string; isTTY?: boolean } = {}) => runAudit(args, { ...opts, now: () => NOW });

beforeAll(() => {
  // The known set, half of it in EventBridge envelopes (what `handle` prints is bare; the log group holds envelopes).
  writeFileSync(FILE, `${KNOWN.map((r, i) => JSON.stringify(i % 2 ? envelope(r) : r)).join('\n')}\n`);
});

describe('logwarden audit (in-process)', () => {
  it('lists every record as a table, in time order, with a footer', async () => {
    const { out, code } = await run([FILE]);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^TIME\s+ACCOUNT\s+REGION\s+GUARDRAIL\s+RESOURCE\s+OUTCOME\s+ACTOR\s+DETAIL$/);
    const rows = lines.slice(2).filter((l) => /^\d{4}-/.test(l));
    expect(rows).toHaveLength(13);
    expect(rows[0]).toMatch(/^2026-11-24T08:00:00Z\s+222222222222\s+us-east-1\s+bucket-logging\s+bucket-a\s+failed/);
    expect(out).toContain('13 of 13 selected record(s) shown (sorted by time); 13 item(s) read');
    // Still-failing resources and a stopped heartbeat are findings.
    expect(code).toBe(1);
  });

  it('filters by guardrail, account, region, resource, outcome, actor and time; sorts and limits', async () => {
    const ids = async (...args: string[]) => jsonRecords((await run([FILE, '--json', ...args])).out).map((r) => r.id);
    const idsOf = (f: (r: AuditRecord) => boolean) =>
      KNOWN.filter(f)
        .sort((x, y) => x.time.localeCompare(y.time) || (x.id < y.id ? -1 : 1))
        .map((r) => r.id);
    expect(await ids('--guardrail', 'cloudtrail')).toEqual(idsOf((r) => r.guardrail === 'cloudtrail'));
    expect(await ids('-g', 'flow-logs,guardduty')).toEqual(idsOf((r) => ['flow-logs', 'guardduty'].includes(r.guardrail)));
    expect(await ids('--account', B)).toEqual(idsOf((r) => r.account === B));
    expect(await ids('--region', 'eu-west-1')).toEqual(idsOf((r) => r.region === 'eu-west-1'));
    expect(await ids('--resource', 'vpc-*')).toEqual(idsOf((r) => r.resource.id === 'vpc-1'));
    expect(await ids('--outcome', 'failed', '--outcome', 'escalated')).toHaveLength(3);
    expect(await ids('--actor', 'aws.events')).toHaveLength(3);
    expect(await ids('--actor', '*user/mallory')).toHaveLength(10);
    expect(await ids('--since', '2026-11-26')).toHaveLength(7);
    expect(await ids('--since', '3h')).toEqual(idsOf((r) => r.time >= '2026-11-26T09:00:00.000Z'));
    expect(await ids('--since', '2026-11-25', '--until', '2026-11-26')).toHaveLength(3);
    expect(await ids('--account', A, '--guardrail', 'cloudtrail', '--since', '2026-11-25')).toHaveLength(2);
    const newest = jsonRecords((await run([FILE, '--json', '--desc', '--limit', '2'])).out);
    expect(newest.map((r) => r.time)).toEqual(['2026-11-26T11:45:00.000Z', '2026-11-26T11:30:00.000Z']);
    const slowest = jsonRecords((await run([FILE, '--json', '--sort', 'duration', '--desc', '-n', '1'])).out);
    expect(slowest[0]?.durationMs).toBe(5000);
    const clean = await run([FILE, '--account', C, '--guardrail', 'cloudtrail']);
    expect(clean.code).toBe(0);
  });

  it('prints the summary as text and as one JSON document', async () => {
    const text = await run([FILE, '--summary']);
    expect(text.out).toContain('audit summary: 13 record(s) selected of 13 read, 0 rejected');
    expect(text.out).toMatch(/cloudtrail\s+3\s+1\s+0\s+1\s+0\s+0\s+0\s+5/);
    expect(text.out).toMatch(/\(all\)\s+5\s+300 ms\s+5\.0 s/);
    expect(text.out).toMatch(/3\s+cloudtrail\s+111111111111\s+us-east-1\s+main\s+2026-11-24T10:00:00Z\s+2026-11-26T09:00:00Z\n/);
    expect(text.out).toContain('escalated guardduty us-east-1 det-1');
    expect(text.out).toMatch(/222222222222\/us-east-1\s+2026-11-26T09:00:00Z\s+3\.0 h\s+STOPPED/);
    const json = JSON.parse((await run([FILE, '--summary', '--json'])).out) as AuditSummary;
    expect(json.selected).toBe(13);
    expect(json.timeToRemediate).toMatchObject({ p50Ms: 300, p95Ms: 5000 });
    expect(json.heartbeats.filter((h) => h.stopped).map((h) => h.account)).toEqual([B]);
    const later = JSON.parse(
      (await run([FILE, '--summary', '--json', '--heartbeat-after', '4h', '--top', '1'])).out,
    ) as AuditSummary;
    expect(later.heartbeats.some((h) => h.stopped)).toBe(false);
    expect(later.topRemediated).toHaveLength(1);
  });

  it('counts and lists malformed and unknown-version records, never skips them silently', async () => {
    const file = join(dir, 'mixed.jsonl');
    const good = KNOWN[0] as AuditRecord;
    writeFileSync(
      file,
      [
        JSON.stringify(good),
        '{"schemaVersion":"1.0","id":',
        JSON.stringify({ ...good, schemaVersion: '0.9' }),
        JSON.stringify(envelope({ ...good, outcome: 'fixed' })),
        JSON.stringify({ source: 'aws.cloudtrail', 'detail-type': 'AWS API Call via CloudTrail', detail: {} }),
        '',
        `${JSON.stringify(envelope(good))}${JSON.stringify(envelope(KNOWN[1]))}`,
      ].join('\n'),
    );
    const table = await run([file]);
    expect(table.out).toContain('3 of 3 selected record(s) shown');
    expect(table.out).toContain(
      'integrity: 4 of 7 item(s) rejected (1 malformed-json, 1 unknown-schema-version, 1 invalid-record, 1 not-an-audit-record)',
    );
    expect(table.out).toMatch(new RegExp(`${file}:2\\s+malformed-json`));
    expect(table.out).toMatch(new RegExp(`${file}:3\\s+unknown-schema-version: schemaVersion "0.9"`));
    expect(table.out).toMatch(new RegExp(`${file}:4\\s+invalid-record: outcome`));
    expect(table.code).toBe(1);
    // --json keeps standard output machine-readable; the problems go to standard error.
    const json = await run([file, '--json']);
    expect(jsonRecords(json.out)).toHaveLength(3);
    expect(json.err).toContain('4 of 7 item(s) rejected');
    const summary = JSON.parse((await run([file, '--summary', '--json'])).out) as AuditSummary;
    expect(summary.integrity).toMatchObject({ read: 7, valid: 3, rejected: 4, problemsTruncated: false });
    expect(summary.integrity.problems.map((p) => p.location)).toEqual([`${file}:2`, `${file}:3`, `${file}:4`, `${file}:5`]);
  });

  it('reads gzip files and standard input', async () => {
    const gz = join(dir, 'archive-copy.jsonl.gz');
    writeFileSync(gz, gzipSync(readFileSync(FILE)));
    expect(jsonRecords((await run([gz, '--json'])).out)).toHaveLength(13);
    const piped = await run(['-', '--json', '--outcome', 'remediated'], { stdin: readFileSync(FILE, 'utf8') });
    expect(jsonRecords(piped.out)).toHaveLength(5);
    expect(jsonRecords((await run(['--file', FILE, '--json', '-o', 'escalated'])).out)).toHaveLength(1);
  });

  it('shows progress on a terminal only, on standard error', async () => {
    const quiet = await run([FILE, '--json']);
    expect(quiet.err).toBe('');
    const tty = await run([FILE, '--summary'], { isTTY: true });
    // The final progress report is always drawn (then cleared) on a terminal.
    expect(tty.err).toContain('13 read, 13 selected, 0 rejected');
    expect(tty.out).not.toContain('\r');
    expect((await run([FILE, '--summary', '--no-progress'], { isTTY: true })).err).toBe('');
  });

  it('raises typed errors for bad flags and unreadable sources', async () => {
    await expect(run([FILE, '--since', 'yesterday'])).rejects.toBeInstanceOf(ConfigError);
    await expect(run([FILE, '--outcome', 'fixed'])).rejects.toThrow(/--outcome/);
    await expect(run([FILE, '--since', '1d', '--until', '2d'])).rejects.toThrow(/not before/);
    await expect(run([FILE, '--limit', '0'])).rejects.toThrow(/--limit/);
    await expect(run([FILE, '--stream', 'x'])).rejects.toThrow(/name one source/);
    await expect(run([join(dir, 'missing.jsonl')])).rejects.toBeInstanceOf(AuditSourceError);
    // No source named: LOGWARDEN_AUDIT_SOURCE, else what the demo saved (run from a folder without it).
    const cwd = process.cwd();
    const saved = process.env.LOGWARDEN_AUDIT_SOURCE;
    try {
      process.chdir(dir);
      delete process.env.LOGWARDEN_AUDIT_SOURCE;
      await expect(run(['--summary'])).rejects.toThrow(/run "logwarden demo" first/);
      process.env.LOGWARDEN_AUDIT_SOURCE = FILE;
      expect((await run(['--summary'])).out).toContain('13 record(s) selected');
    } finally {
      process.chdir(cwd);
      if (saved === undefined) delete process.env.LOGWARDEN_AUDIT_SOURCE;
      else process.env.LOGWARDEN_AUDIT_SOURCE = saved;
    }
  });

  it('writes the HTML report', async () => {
    const html = join(dir, 'out', 'report.html');
    const { out, code } = await run(['report', '--html', html, FILE, '--guardrail', 'cloudtrail']);
    expect(out).toMatch(/^report: .*report\.html \(5 record\(s\) of 13 read, 0 rejected, \d+ bytes\)/);
    expect(code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg id="chart-per-day"');
    expect(page).toContain('guardrail = cloudtrail');
    expect(page).not.toMatch(/(src|href)="https?:/);
  });
});

describe('logwarden audit (CLI process)', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['bin/logwarden.mjs', 'audit', ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });

  it('exit codes: 1 for findings, 0 when clean, 2 for errors (message on stderr, nothing on stdout)', () => {
    const findings = cli([FILE, '--json']);
    expect(findings.status).toBe(1);
    expect(jsonRecords(findings.stdout)).toHaveLength(13);
    expect(findings.stderr).toBe('');
    const clean = cli([FILE, '--account', C, '--guardrail', 'cloudtrail', '--summary']);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toContain('2 record(s) selected');
    const error = cli([join(dir, 'missing.jsonl')]);
    expect(error.status).toBe(2);
    expect(error.stdout).toBe('');
    expect(error.stderr).toMatch(/^logwarden: AuditSourceUnreadable: .*missing\.jsonl: cannot read/);
  });
});
