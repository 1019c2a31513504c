/**
 * `logwarden audit --verify` in process, offline with a key file: what the text, `--json`,
 * `--summary --json` and the HTML report show, and bad input counted and listed, never a crash.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SigningKeyError } from '../../cli/audit/errors.js';
import type { AuditSummary } from '../../cli/audit/summary.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE, type AuditRecord } from '../../controllers/core/record.js';
import { signRecords } from '../../controllers/core/signing.js';
import { jsonRecords, runAudit } from '../helpers/audit-cli.js';
import { record } from '../helpers/records.js';
import { localSigner, p256 } from '../helpers/signing.js';

const dir = mkdtempSync(join(tmpdir(), 'logwarden-verify-'));
const FILE = join(dir, 'audit.jsonl');
const PEM = join(dir, 'audit-signing.pem');
const RSA_PEM = join(dir, 'rsa.pem');
const NOW = () => new Date('2026-11-26T12:00:00Z');
const envelope = (detail: unknown) => ({ version: '0', 'detail-type': AUDIT_DETAIL_TYPE, source: AUDIT_SOURCE, detail });
const compliant = (i: number) => record({ id: `r${i}`, outcome: 'compliant', reason: `ok ${i}`, drift: [], actions: [] });
const run = (args: string[]) => runAudit(args, { now: NOW });

beforeAll(async () => {
  const key = p256();
  writeFileSync(PEM, key.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(RSA_PEM, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
  const { records } = await signRecords([0, 1, 2, 3].map(compliant), localSigner(key.privateKey));
  const [ok, edited, truncated, alsoOk] = records.map(
    (r) => JSON.parse(JSON.stringify(r)) as AuditRecord & Record<string, unknown>,
  );
  (edited as AuditRecord).reason = 'ok (forged)';
  const integrity = (truncated as unknown as { integrity: { signature: string } }).integrity;
  integrity.signature = integrity.signature.slice(0, 20);
  const lines = [
    envelope(ok),
    envelope(edited),
    truncated,
    envelope(compliant(9)), // an old record: no integrity
    { ...compliant(8), schemaVersion: '9.9' }, // a schema this reader does not know: rejected, not verified
    alsoOk,
  ].map((l) => JSON.stringify(l));
  writeFileSync(FILE, `${lines.join('\n')}\nnot json\n`);
});

describe('logwarden audit --verify (offline, key file)', () => {
  it('lists the records, then the signature status and every record that did not verify with its line', async () => {
    const { out, code } = await run([FILE, '--verify', '--public-key', PEM]);
    expect(out).toContain(`signatures (key ${PEM}): 2 of 5 selected record(s) verified; 1 unsigned, 1 invalid, 1 altered:`);
    expect(out).toMatch(new RegExp(`${FILE}:2  altered \\(record r1\\): the record differs from what was signed`));
    expect(out).toMatch(new RegExp(`${FILE}:3  invalid \\(record r2\\): malformed signature \\(15 bytes.*truncated`));
    expect(out).toMatch(new RegExp(`${FILE}:4  unsigned \\(record r9\\): no integrity field`));
    // Bad input is counted and listed too.
    expect(out).toMatch(/2 of 7 item\(s\) rejected \(1 malformed-json, 1 unknown-schema-version\)/);
    expect(code).toBe(1);
  });

  it('--summary --json carries the counts and findings; --json keeps records on stdout, findings on stderr', async () => {
    const summary = JSON.parse((await run([FILE, '--verify', '--public-key', PEM, '--summary', '--json'])).out) as AuditSummary;
    expect(summary.signatures?.counts).toEqual({ verified: 2, unsigned: 1, invalid: 1, altered: 1 });
    expect(summary.signatures?.findings.map((f) => f.location)).toEqual([`${FILE}:2`, `${FILE}:3`, `${FILE}:4`]);
    const listed = await run([FILE, '--verify', '--public-key', PEM, '--json']);
    expect(jsonRecords(listed.out).map((r) => r.id)).toHaveLength(5);
    expect(listed.err).toContain('1 altered');
  });

  it('without --verify nothing is checked and signatures are no finding', async () => {
    const summary = JSON.parse((await run([FILE, '--summary', '--json'])).out) as AuditSummary;
    expect(summary.signatures).toBeUndefined();
  });

  it('a public key of the wrong type: every signed record invalid with the reason, no crash', async () => {
    const summary = JSON.parse(
      (await run([FILE, '--verify', '--public-key', RSA_PEM, '--summary', '--json'])).out,
    ) as AuditSummary;
    expect(summary.signatures?.counts).toEqual({ verified: 0, unsigned: 1, invalid: 4, altered: 0 });
    expect(summary.signatures?.findings.find((f) => f.recordId === 'r0')?.reason).toMatch(/public key is rsa/);
  });

  it('the HTML report shows the integrity status and the records that did not verify', async () => {
    const html = join(dir, 'report.html');
    const res = await run(['report', '--html', html, FILE, '--verify', '--public-key', PEM]);
    expect(res.code).toBe(1);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/id="signatures-counts" data-verified="2" data-unsigned="1" data-invalid="1" data-altered="1"/);
    expect(page).toContain('<tr data-status="altered">');
    expect(page).toMatch(/id="kpi-not-verified" data-value="3"/);
    const plain = join(dir, 'plain.html');
    await run(['report', '--html', plain, FILE]);
    expect(readFileSync(plain, 'utf8')).toContain('id="signatures-unchecked"');
  });

  it('no usable key is an error before reading; --public-key without --verify is a usage error', async () => {
    await expect(run([FILE, '--verify', '--public-key', FILE])).rejects.toBeInstanceOf(SigningKeyError);
    await expect(run([FILE, '--public-key', PEM])).rejects.toThrow(/--public-key: only with --verify/);
  });
});
