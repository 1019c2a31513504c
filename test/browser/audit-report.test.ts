import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditIo, registerAuditCommand } from '../../cli/audit/command.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { OUTCOMES } from '../../controllers/core/record.js';
import { record } from '../helpers/records.js';
import { A, B, KNOWN, NOW, rec } from './audit-known-records.js';

/** Debian's chromium (scripts/setup.sh installs it); CHROMIUM overrides. */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'logwarden-report-'));
const SOURCE = join(dir, 'audit.jsonl');
const HTML = join(dir, 'report.html');

// The known set, one record whose resource id tries to inject markup, and a malformed line.
const HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>';
const RECORDS: AuditRecord[] = [
  ...KNOWN,
  rec('bucket-logging', A, 'us-east-1', HOSTILE, 'failed', '2026-11-26T11:00'),
  record({
    ...rec('cloudtrail', B, 'us-east-1', 'org-trail', 'failed', '2026-11-26T11:10'),
    runbook: 'javascript:alert(1)',
  }),
];

/** Expected figures, computed here from the records without the summary code. */
function expected() {
  const perDay = new Map<string, number>();
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<string, number>;
  for (const r of RECORDS) {
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    if (r.outcome === 'remediated') {
      const key = `${r.time.slice(0, 10)}|${r.guardrail}`;
      perDay.set(key, (perDay.get(key) ?? 0) + 1);
    }
  }
  const latest = new Map<string, AuditRecord>();
  for (const r of RECORDS.filter((r) => r.guardrail !== 'heartbeat')) {
    const k = `${r.guardrail}|${r.account}|${r.region}|${r.resource.id}`;
    const seen = latest.get(k);
    if (!seen || seen.time <= r.time) latest.set(k, r);
  }
  const failing = [...latest.values()].filter((r) => r.outcome === 'failed' || r.outcome === 'escalated');
  return { perDay, outcomes, failing };
}

let browser: Browser;
let page: Page;
const problems: string[] = [];
const requests: string[] = [];
let reportOut = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run scripts/setup.sh (installs Debian's chromium)`);
  writeFileSync(SOURCE, `${RECORDS.map((r) => JSON.stringify(r)).join('\n')}\n{"broken\n`);
  const io: AuditIo = {
    out: (s) => {
      reportOut += s;
    },
    err: () => undefined,
    isTTY: false,
    now: () => NOW,
    setExitCode: () => undefined,
  };
  const program = new Command('logwarden').exitOverride();
  registerAuditCommand(program, io);
  await program.parseAsync([
    'node',
    'logwarden',
    'audit',
    'report',
    '--html',
    HTML,
    SOURCE,
    '--runbook-base',
    'https://example.invalid/logwarden/blob/main/',
  ]);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(HTML).toString(), { waitUntil: 'load' });
  if (process.env.AUDIT_REPORT_SCREENSHOT) await page.screenshot({ path: process.env.AUDIT_REPORT_SCREENSHOT, fullPage: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('logwarden audit report --html in headless Chromium', () => {
  it('loads from disk with no error, no dialog and no request but the page itself', async () => {
    expect(reportOut).toMatch(/15 record\(s\) of 16 read, 1 rejected/);
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(HTML).toString()]);
    expect(await page.title()).toBe('logwarden audit report');
  });

  it('renders every chart with visible marks', async () => {
    for (const id of ['chart-per-day', 'chart-outcomes', 'chart-top', 'chart-timeline']) {
      const box = await page.locator(`#${id}`).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box?.width ?? 0).toBeGreaterThan(200);
      expect(box?.height ?? 0).toBeGreaterThan(40);
    }
    const bars = page.locator('#chart-per-day rect.bar');
    expect(await bars.count()).toBeGreaterThan(0);
    for (const b of await bars.all()) expect((await b.boundingBox())?.height ?? 0).toBeGreaterThan(0);
  });

  it('remediations per day by guardrail match the records, bar heights in proportion', async () => {
    const { perDay } = expected();
    const bars = await page.locator('#chart-per-day rect.bar').evaluateAll((els) =>
      els.map((e) => ({
        day: e.getAttribute('data-day'),
        guardrail: e.getAttribute('data-guardrail'),
        value: Number(e.getAttribute('data-value')),
        height: e.getBoundingClientRect().height,
      })),
    );
    expect(new Map(bars.map((b) => [`${b.day}|${b.guardrail}`, b.value]))).toEqual(perDay);
    const unit = (bars[0]?.height ?? 0) / (bars[0]?.value ?? 1);
    for (const b of bars) expect(b.height).toBeCloseTo(b.value * unit, 0);
  });

  it('outcome counts and the headline figures match the records', async () => {
    const { outcomes, failing } = expected();
    const shown = await page
      .locator('#chart-outcomes rect.bar')
      .evaluateAll((els) =>
        Object.fromEntries(els.map((e) => [e.getAttribute('data-key'), Number(e.getAttribute('data-value'))])),
      );
    expect(shown).toEqual(outcomes);
    const kpi = async (id: string) => page.locator(`#kpi-${id}`).getAttribute('data-value');
    expect(await kpi('selected')).toBe(String(RECORDS.length));
    expect(await kpi('remediated')).toBe(String(outcomes.remediated));
    expect(await kpi('failed')).toBe(String(outcomes.failed));
    expect(await kpi('still-failing')).toBe(String(failing.length));
    expect(await kpi('heartbeats-stopped')).toBe('1');
    expect(await kpi('rejected')).toBe('1');
    // Remediated durations 100, 200, 300, 1000, 5000 ms: nearest-rank p50 = 300 ms, p95 = 5.0 s.
    expect(await page.locator('#kpi-p50 b').textContent()).toBe('300 ms');
    expect(await page.locator('#kpi-p95 b').textContent()).toBe('5.0 s');
    expect(await page.locator('#problems tbody tr').count()).toBe(1);
  });

  it('lists the failures to follow up with their runbook links; record text never becomes markup', async () => {
    const { failing } = expected();
    const rows = page.locator('#failures tbody tr');
    expect(await rows.count()).toBe(failing.length);
    expect((await rows.locator('td:nth-child(6)').allTextContents()).sort()).toEqual(failing.map((f) => f.resource.id).sort());
    const hrefs = await rows.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs.sort()).toEqual(
      failing
        .filter((f) => f.runbook.startsWith('runbooks/'))
        .map((f) => `https://example.invalid/logwarden/blob/main/${f.runbook}`)
        .sort(),
    );
    expect(await rows.locator('td:nth-child(9) code').allTextContents()).toEqual(['javascript:alert(1)']);
    // The hostile resource id is shown as text, ran nothing, and the javascript: runbook is no link.
    expect(await page.title()).not.toBe('pwned');
    expect(await page.locator('#failures img').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
  });

  it('top resources and the timeline show the records; the filter box narrows the timeline', async () => {
    const top = await page
      .locator('#chart-top rect.bar')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-key'), Number(e.getAttribute('data-value'))]));
    expect(top[0]).toEqual([`${A}/us-east-1/main`, 3]);
    const notable = RECORDS.filter((r) => ['remediated', 'failed', 'escalated', 'drift-detected', 'exempt'].includes(r.outcome));
    expect(await page.locator('#chart-timeline circle.dot').count()).toBe(notable.length);
    expect(await page.locator('#timeline-table tbody tr').count()).toBe(notable.length);
    await page.locator('#timeline-filter').fill('escalated');
    expect(await page.locator('#timeline-count').textContent()).toBe('1');
    expect(await page.locator('#timeline-table tbody tr:visible').count()).toBe(1);
  });
});
