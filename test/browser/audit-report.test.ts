import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditIo, registerAuditCommand } from '../../cli/audit/command.js';
import { renderReport } from '../../cli/audit/report.js';
import { summarize } from '../../cli/audit/summary.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { OUTCOMES } from '../../controllers/core/record.js';
import { record } from '../helpers/records.js';
import { A, B, KNOWN, NOW, rec } from './audit-known-records.js';
import { CLUSTER, DETECTOR, LOAD_BALANCER, LONG, LONG_NOW, OTHER_DETECTOR } from './audit-long-records.js';

/** Debian's chromium (scripts/setup.sh installs it); CHROMIUM overrides. */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'logwarden-report-'));
const SOURCE = join(dir, 'audit.jsonl');
const HTML = join(dir, 'report.html');
const LONG_HTML = join(dir, 'long.html');

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
  const longSummary = summarize(LONG, { now: LONG_NOW });
  writeFileSync(
    LONG_HTML,
    renderReport({ summary: longSummary, source: SOURCE, query: {}, heartbeatStaleMs: 3_600_000, generatedAt: LONG_NOW }),
  );
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
      .locator('#chart-outcomes .bar')
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
      .locator('#chart-top .bar')
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

/**
 * The page's DOM, typed only as far as the checks below use it: the project compiles without the
 * DOM library, so that Node code cannot use a browser global by mistake.
 */
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface PageNode {
  textContent: string | null;
}
interface PageElement extends PageNode {
  tagName: string;
  id: string;
  scrollWidth: number;
  clientWidth: number;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getBBox(): Box;
  viewBox: { baseVal: Box };
}
interface PageDocument {
  querySelectorAll(selector: string): Iterable<PageElement>;
  createTreeWalker(root: PageElement, whatToShow: number): { nextNode(): PageNode | null };
  createRange(): {
    setStart(node: PageNode, offset: number): void;
    setEnd(node: PageNode, offset: number): void;
    getBoundingClientRect(): Box & { top: number };
  };
}

/** Boxes scrolling sideways (sections, table cells, bar labels, headline figures): text wider than its box. Runs in the page. */
function overflowing(): string[] {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  const found: string[] = [];
  for (const el of doc.querySelectorAll('section, td, th, .hlabel, .htrack, .kpi, .legend span, header p')) {
    if (el.scrollWidth > el.clientWidth + 1)
      found.push(
        `overflows: ${el.tagName} ${el.id} "${(el.textContent ?? '').slice(0, 60)}" ${el.scrollWidth} > ${el.clientWidth}`,
      );
  }
  return found;
}

/** SVG texts (chart labels, values, ticks) not wholly inside their SVG's viewBox. Runs in the page. */
function outsideViewBox(): string[] {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  const found: string[] = [];
  for (const svg of doc.querySelectorAll('svg')) {
    const view = svg.viewBox.baseVal;
    for (const text of svg.querySelectorAll('text')) {
      const box = text.getBBox();
      const inside =
        box.x >= view.x &&
        box.y >= view.y &&
        box.x + box.width <= view.x + view.width &&
        box.y + box.height <= view.y + view.height;
      if (!inside) found.push(`outside ${svg.id}: "${text.textContent}" ${JSON.stringify(box)}`);
    }
  }
  return found;
}

/** Ids (code, links) wrapped between two letters or digits: mid-word. After `/`, `:`, `-`, `"` or a space is fine. Runs in the page. */
function midWordWraps(): string[] {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  const SHOW_TEXT = 4; // NodeFilter.SHOW_TEXT
  const inWord = /[A-Za-z0-9]/;
  const found: string[] = [];
  for (const code of doc.querySelectorAll('td code, td a, .hlabel code')) {
    let previous: { top: number; char: string } | null = null;
    const walker = doc.createTreeWalker(code, SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      for (let index = 0; index < text.length; index++) {
        const range = doc.createRange();
        range.setStart(node, index);
        range.setEnd(node, index + 1);
        const { top } = range.getBoundingClientRect();
        const char = text[index] as string;
        if (previous && top > previous.top + 4 && inWord.test(previous.char) && inWord.test(char))
          found.push(`wrapped mid-word: "${code.textContent}" before "${text.slice(index, index + 8)}"`);
        previous = { top, char };
      }
    }
  }
  return found;
}

/** Every label that does not fit, by the three checks. */
async function misfits(view: Page): Promise<string[]> {
  return [
    ...(await view.evaluate(overflowing)),
    ...(await view.evaluate(outsideViewBox)),
    ...(await view.evaluate(midWordWraps)),
  ];
}

describe('audit report labels: whole, wrapped between id parts, never outside their box', () => {
  // Below about 1,200 px a table of long ids scrolls sideways in its section rather than cut an id.
  for (const width of [1400, 1280]) {
    it(`fits every label and cell at ${width} px, for the known records and for long ids`, async () => {
      const view = await browser.newPage({ viewport: { width, height: 1000 } });
      for (const file of [HTML, LONG_HTML]) {
        await view.goto(pathToFileURL(file).toString(), { waitUntil: 'load' });
        expect(await misfits(view), `${file} at ${width}px`).toEqual([]);
      }
      await view.close();
    });
  }

  it('detects a mid-word wrap and an overflow (the check can fail)', async () => {
    const view = await browser.newPage({ viewport: { width: 800, height: 600 } });
    await view.setContent(
      `<table style="width:200px"><tr><td><code style="word-break:break-all">${DETECTOR}${DETECTOR}</code></td></tr></table><section style="width:100px;overflow:auto"><span style="white-space:nowrap">${LOAD_BALANCER}</span></section><svg id="clipped" viewBox="0 0 200 40" width="200"><text x="190" y="20">${DETECTOR}</text></svg>`,
    );
    const found = await misfits(view);
    expect(found.some((line) => line.startsWith('wrapped mid-word'))).toBe(true);
    expect(found.some((line) => line.startsWith('overflows: SECTION'))).toBe(true);
    expect(found.some((line) => line.startsWith('outside clipped'))).toBe(true);
    await view.close();
  });

  it('shows long ids whole, with account and region, and tells a short timeline apart', async () => {
    const view = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await view.goto(pathToFileURL(LONG_HTML).toString(), { waitUntil: 'load' });
    const labels = await view.locator('#chart-top .hlabel').allTextContents();
    expect(labels).toEqual([
      `${DETECTOR}guardduty · 444444444444 · ap-southeast-2`,
      `${OTHER_DETECTOR}guardduty · 555555555555 · ap-southeast-2`,
      `${CLUSTER}eks-control-plane-logs · 555555555555 · ap-southeast-2`,
      `${LOAD_BALANCER}load-balancer-logs · 444444444444 · ap-southeast-2`,
    ]);
    // 3 min 35 s of records: ticks on whole minutes, each label different.
    const ticks = await view.locator('#chart-timeline .tick-label').allTextContents();
    expect(ticks).toEqual(['11:58', '11:59', '12:00', '12:01']);
    await view.close();
  });

  it('lists the exemptions in use with approver, ticket and expiry, those ending within 14 days marked', async () => {
    const view = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await view.goto(pathToFileURL(LONG_HTML).toString(), { waitUntil: 'load' });
    expect(await view.locator('#sec-exemptions h2').textContent()).toMatch(/^Exemptions in use \(2; 1 ending within 14 days/);
    const rows = await view
      .locator('#exemptions tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-ending-soon'), ...[...tr.querySelectorAll('td')].map((td) => td.textContent)]),
      );
    expect(rows).toEqual([
      [
        'true',
        'guardduty',
        '666666666666',
        'ap-southeast-2',
        DETECTOR,
        '2026-12-03',
        '7.5 d',
        'security-architecture-review-board@example.com',
        'SECOPS-123456',
        '2026-11-26T12:01:20.000Z',
        'ending soon',
      ],
      [
        'false',
        'eks-control-plane-logs',
        '666666666666',
        'ap-southeast-2',
        CLUSTER,
        '2027-03-31',
        '125.5 d',
        '-',
        'CHG-2026-000123',
        '2026-11-26T12:01:35.000Z',
        'active',
      ],
    ]);
    expect(await view.locator('#kpi-exemptions-ending').getAttribute('data-value')).toBe('1');
    // The known records have no exemption: the section says so.
    expect(await page.locator('#sec-exemptions .empty').textContent()).toBe('No exemption in use.');
    await view.close();
  });
});
