import { expiryOf } from '../../controllers/core/exemptions.js';
import { type AuditRecord, OUTCOMES, type Outcome } from '../../controllers/core/record.js';
import type { AuditQuery } from './filters.js';
import { humanMs, shortActor } from './format.js';
import { type AuditSummary, EXEMPTION_EXPIRING_DAYS, type FailingResource } from './summary.js';

/** Escape text for HTML content and attribute values. Every value from a record goes through it. */
function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * An id, escaped, with a line-break opportunity after each separator (`/`, `:`, `-`, `_`, `.`, `@`,
 * `=`, `,`): a long ARN, alone or in a reason, wraps between its parts, never inside one (CSS `break-all` cut
 * `c2b7e4f1…` mid-word, which made ids hard to read and to copy).
 */
function breakable(id: string): string {
  return id
    .split(/(?<=[/:\-_.@=,])/)
    .map(esc)
    .join('<wbr>');
}

/** Text that must not wrap (an account, a region: `ap-southeast-2` would break after `ap-`). */
const whole = (text: string) => `<span class="nw">${esc(text)}</span>`;

/** An ISO time that may wrap between its date and its clock only. */
function timeCell(iso: string): string {
  const [date, clock] = iso.split('T');
  return clock === undefined ? whole(iso) : `<span class="nw">${esc(date)}</span><wbr><span class="nw">T${esc(clock)}</span>`;
}

const OUTCOME_COLORS: Record<Outcome, string> = {
  remediated: '#2e7d32',
  compliant: '#607d8b',
  exempt: '#7b1fa2',
  'drift-detected': '#ef6c00',
  failed: '#c62828',
  ignored: '#9e9e9e',
  escalated: '#ad1457',
};

const PALETTE = ['#1565c0', '#00897b', '#f9a825', '#6d4c41', '#0277bd', '#5e35b1', '#00838f', '#558b2f', '#d84315', '#37474f'];

/**
 * A runbook as a link: absolute http(s) links as they are, relative paths resolved against
 * `base` when given (else left relative to the report). Anything else (`javascript:`…) is text only.
 */
function runbookLink(runbook: string, base?: string): string {
  if (/^https?:\/\//i.test(runbook)) return `<a href="${esc(runbook)}">${breakable(runbook)}</a>`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(runbook)) return `<code>${breakable(runbook)}</code>`;
  let href = runbook;
  if (base) {
    try {
      href = new URL(runbook, base.endsWith('/') ? base : `${base}/`).toString();
    } catch {
      href = runbook;
    }
  }
  return `<a href="${esc(href)}">${breakable(runbook)}</a>`;
}

function legend(items: readonly { label: string; color: string }[]): string {
  return `<div class="legend">${items
    .map((item) => `<span><i style="background:${item.color}"></i>${esc(item.label)}</span>`)
    .join('')}</div>`;
}

/** Stacked bars: remediations per UTC day, one colour per guardrail. */
function perDayChart(summary: AuditSummary, colors: Map<string, string>): string {
  const days = summary.remediationsPerDay;
  if (days.length === 0) return '<p class="empty">No remediation in the selected records.</p>';
  const guardrails = [...colors.keys()].filter((guardrail) => days.some((day) => (day.byGuardrail[guardrail] ?? 0) > 0));
  const max = Math.max(...days.map((day) => day.total));
  const plotHeight = 220;
  const top = 20;
  const bottom = 40;
  const left = textWidth(String(max), 11) + 12;
  const slot = Math.max(6, Math.min(110, Math.floor(900 / days.length)));
  const barWidth = Math.max(3, Math.min(56, Math.floor(slot * 0.7)));
  const width = left + slot * days.length + 10;
  const y = (value: number) => top + plotHeight - (value / max) * plotHeight;
  const parts: string[] = [];
  for (const tick of [0, Math.ceil(max / 2), max]) {
    parts.push(
      `<line x1="${left}" x2="${width}" y1="${y(tick)}" y2="${y(tick)}" class="grid"/><text x="${left - 6}" y="${y(tick) + 4}" class="axis" text-anchor="end">${tick}</text>`,
    );
  }
  const labelEvery = Math.max(1, Math.ceil(days.length / 12));
  for (const [dayIndex, day] of days.entries()) {
    const x = left + dayIndex * slot + (slot - barWidth) / 2;
    let stacked = 0;
    for (const guardrail of guardrails) {
      const count = day.byGuardrail[guardrail] ?? 0;
      if (count === 0) continue;
      const barHeight = (count / max) * plotHeight;
      parts.push(
        `<rect class="bar" data-chart="per-day" data-day="${day.day}" data-guardrail="${esc(guardrail)}" data-value="${count}" x="${x}" y="${y(stacked + count)}" width="${barWidth}" height="${Math.max(barHeight, 0.5)}" fill="${colors.get(guardrail)}"><title>${day.day} ${esc(guardrail)}: ${count} remediated</title></rect>`,
      );
      stacked += count;
    }
    parts.push(`<text x="${x + barWidth / 2}" y="${y(stacked) - 4}" class="value" text-anchor="middle">${day.total}</text>`);
    if (dayIndex % labelEvery === 0) {
      parts.push(
        `<text x="${x + barWidth / 2}" y="${top + plotHeight + 16}" class="axis" text-anchor="middle">${day.day.slice(5)}</text>`,
      );
    }
  }
  return `<svg id="chart-per-day" role="img" aria-label="Remediations per day by guardrail" viewBox="0 0 ${width} ${top + plotHeight + bottom}" width="100%" style="max-width:${width}px">${parts.join('')}</svg>${legend(guardrails.map((guardrail) => ({ label: guardrail, color: colors.get(guardrail) as string })))}`;
}

interface BarRow {
  key: string;
  /** HTML, escaped by the caller. */
  label: string;
  value: number;
  color: string;
  title: string;
}

/**
 * Horizontal bars, as HTML rather than SVG: a label wraps in its box (SVG text cannot), so a long
 * resource id is shown whole instead of clipped.
 */
function hbarChart(id: string, label: string, rows: readonly BarRow[]): string {
  if (rows.length === 0) return '<p class="empty">Nothing to show.</p>';
  const max = Math.max(1, ...rows.map((row) => row.value));
  const bars = rows.map((row) => {
    const share = (row.value / max).toFixed(4);
    return `<div class="hrow" role="listitem" title="${esc(row.title)}"><div class="hlabel">${row.label}</div><div class="htrack"><span class="bar" data-chart="${id}" data-key="${esc(row.key)}" data-value="${row.value}" style="width:calc((100% - 4em) * ${share});background:${row.color}"></span><span class="value">${row.value}</span></div></div>`;
  });
  return `<div class="hbars" id="chart-${id}" role="list" aria-label="${esc(label)}">${bars.join('')}</div>`;
}

/**
 * Width of `text` in SVG user units at `fontPx`, over-estimated (0.62 em a character; system-ui
 * averages about 0.55 em): SVG text cannot be measured while rendering, and a margin too wide
 * costs a little space where one too narrow clips the label.
 */
function textWidth(text: string, fontPx: number): number {
  return Math.ceil(text.length * fontPx * 0.62);
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Tick steps, smallest first; every one divides a UTC day or is whole days, so ticks fall on round times. */
const TICK_STEPS = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  28 * DAY,
  91 * DAY,
  364 * DAY,
];
const MAX_TICKS = 6;

/** A tick's label: as precise as the step needs (seconds below a minute, milliseconds below a second), the date when the span crosses days. */
function tickLabel(time: number, step: number, crossesDays: boolean): string {
  const iso = new Date(time).toISOString();
  if (step >= DAY) return iso.slice(0, 10);
  const clock = iso.slice(11, step < SECOND ? 23 : step < MINUTE ? 19 : 16);
  return crossesDays ? `${iso.slice(5, 10)} ${clock}` : clock;
}

/**
 * Ticks for a time axis from `first` to `last` (ms): round times, at most {@link MAX_TICKS}, each
 * label distinct (a span of a few minutes gets seconds). One tick when the span is empty. Pure.
 */
export function timeTicks(first: number, last: number): { time: number; label: string }[] {
  if (last <= first) return [{ time: first, label: new Date(first).toISOString().slice(11, 19) }];
  const span = last - first;
  const step = TICK_STEPS.find((candidate) => span / candidate <= MAX_TICKS) ?? Math.ceil(span / MAX_TICKS / DAY) * DAY;
  const crossesDays = new Date(first).toISOString().slice(0, 10) !== new Date(last).toISOString().slice(0, 10);
  const ticks: { time: number; label: string }[] = [];
  for (let time = Math.ceil(first / step) * step; time <= last; time += step) {
    ticks.push({ time, label: tickLabel(time, step, crossesDays) });
  }
  return ticks;
}

/** The axis caption: UTC, and the day when every tick is on it. */
function axisCaption(first: number, last: number): string {
  const [firstDay, lastDay] = [first, last].map((time) => new Date(time).toISOString().slice(0, 10));
  return firstDay === lastDay ? `time (UTC) on ${firstDay}` : `time (UTC), ${firstDay} to ${lastDay}`;
}

/** Dots on a time axis, one lane per guardrail, coloured by outcome: the newest notable records. */
function timelineChart(records: readonly AuditRecord[], colors: Map<string, string>): string {
  if (records.length === 0) return '<p class="empty">No remediated, failed, escalated, drift-detected or exempt record.</p>';
  const lanes = [...new Set(records.map((record) => record.guardrail))].sort();
  const times = records.map((record) => Date.parse(record.time));
  const firstTime = Math.min(...times);
  const lastTime = Math.max(...times);
  const ticks = timeTicks(firstTime, lastTime);
  const tickHalf = Math.max(...ticks.map((tick) => textWidth(tick.label, 11))) / 2;
  const left = Math.max(tickHalf, ...lanes.map((lane) => textWidth(lane, 12))) + 16;
  const plotWidth = 800;
  const width = left + plotWidth + tickHalf + 8;
  const laneHeight = 28;
  const axisY = lanes.length * laneHeight + 10;
  const x = (time: number) =>
    left + (lastTime === firstTime ? plotWidth / 2 : ((time - firstTime) / (lastTime - firstTime)) * plotWidth);
  const parts: string[] = [];
  for (const [laneIndex, guardrail] of lanes.entries()) {
    const y = 10 + laneIndex * laneHeight + laneHeight / 2;
    parts.push(
      `<text x="${left - 10}" y="${y + 4}" class="label" text-anchor="end" fill="${colors.get(guardrail)}">${esc(guardrail)}</text><line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" class="grid"/>`,
    );
  }
  for (const record of records) {
    const y = 10 + lanes.indexOf(record.guardrail) * laneHeight + laneHeight / 2;
    parts.push(
      `<circle class="dot" data-outcome="${record.outcome}" cx="${x(Date.parse(record.time)).toFixed(1)}" cy="${y}" r="5" fill="${OUTCOME_COLORS[record.outcome]}"><title>${esc(`${record.time} ${record.outcome} ${record.guardrail} ${record.account}/${record.region} ${record.resource.id} — ${record.reason}`)}</title></circle>`,
    );
  }
  for (const tick of ticks) {
    const tickX = x(tick.time).toFixed(1);
    parts.push(
      `<line x1="${tickX}" x2="${tickX}" y1="${axisY - 4}" y2="${axisY + 2}" class="tick"/><text x="${tickX}" y="${axisY + 15}" class="axis tick-label" text-anchor="middle" data-time="${new Date(tick.time).toISOString()}">${tick.label}</text>`,
    );
  }
  parts.push(`<text x="${left}" y="${axisY + 32}" class="axis">${axisCaption(firstTime, lastTime)}</text>`);
  const height = axisY + 40;
  return `<svg id="chart-timeline" role="img" aria-label="Timeline" viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px">${parts.join('')}</svg>${legend(
    OUTCOMES.filter((outcome) => records.some((record) => record.outcome === outcome)).map((outcome) => ({
      label: outcome,
      color: OUTCOME_COLORS[outcome],
    })),
  )}`;
}

/** Policy exemptions in use (as in `audit --summary`): who approved them, the ticket, when they end; those ending soon first and marked. */
function exemptionsSection(exemptions: AuditSummary['exemptions'], asOf: string): string {
  const { active, expiringSoon } = exemptions;
  const heading = `<h2>Exemptions in use (${active.length}; ${expiringSoon.length} ending within ${EXEMPTION_EXPIRING_DAYS} days of ${esc(asOf)})</h2>`;
  if (active.length === 0) return `<section id="sec-exemptions">${heading}<p class="empty">No exemption in use.</p></section>`;
  const soon = new Set(expiringSoon);
  const rows = active.map((exemption) => {
    const ending = soon.has(exemption);
    const status = ending
      ? '<span class="badge" style="background:#ef6c00">ending soon</span>'
      : '<span class="badge" style="background:#7b1fa2">active</span>';
    const endsIn = humanMs(expiryOf(exemption.expires) - Date.parse(asOf));
    return `<tr data-resource="${esc(exemption.resource)}" data-ending-soon="${ending}"><td>${whole(exemption.guardrail)}</td><td>${whole(exemption.account)}</td><td>${whole(exemption.region)}</td><td><code>${breakable(exemption.resource)}</code></td><td>${timeCell(exemption.expires)}</td><td class="n">${endsIn}</td><td>${breakable(exemption.approver ?? '-')}</td><td>${breakable(exemption.ticket ?? '-')}</td><td>${timeCell(exemption.lastSeen)}</td><td>${status}</td></tr>`;
  });
  return `<section id="sec-exemptions">${heading}<table id="exemptions"><thead><tr><th>Guardrail</th><th>Account</th><th>Region</th><th>Resource</th><th>Expires</th><th class="n">Ends in</th><th>Approver</th><th>Ticket</th><th>Last exempt record</th><th>Status</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function describeQuery(query: AuditQuery): string {
  const parts: string[] = [];
  for (const field of ['guardrail', 'account', 'region', 'resource', 'outcome', 'actor'] as const) {
    const values = query[field];
    if (values && values.length > 0) parts.push(`${field} = ${values.join(' | ')}`);
  }
  if (query.since) parts.push(`since ${query.since.toISOString()}`);
  if (query.until) parts.push(`until ${query.until.toISOString()}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function failingRows(accounts: AuditSummary['accountsWithFailures'], runbookBase?: string): string {
  const rows: FailingResource[] = accounts.flatMap((account) => account.stillFailing);
  if (rows.length === 0) return '<p class="empty ok">No resource is still failing.</p>';
  return `<table id="failures"><thead><tr><th>Since</th><th>Outcome</th><th>Account</th><th>Region</th><th>Guardrail</th><th>Resource</th><th>Reason</th><th>Retry?</th><th>Runbook</th></tr></thead><tbody>${rows
    .map(
      (failing) =>
        `<tr data-account="${esc(failing.account)}" data-outcome="${failing.outcome}"><td>${timeCell(failing.time)}</td><td><span class="badge" style="background:${OUTCOME_COLORS[failing.outcome]}">${failing.outcome}</span></td><td>${whole(failing.account)}</td><td>${esc(failing.region)}</td><td>${esc(failing.guardrail)}</td><td><code>${breakable(failing.resource)}</code></td><td>${breakable(failing.reason)}</td><td>${failing.retryable ? 'yes' : 'no'}</td><td>${runbookLink(failing.runbook, runbookBase)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2327;background:#f6f7f9}
header{background:#1d2939;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}header p{margin:0;color:#c9d3e0}
main{padding:8px 28px 40px;max-width:1400px}section{background:#fff;border:1px solid #e2e5ea;border-radius:8px;padding:14px 18px;margin:16px 0;overflow-x:auto}
h2{font-size:17px;margin:0 0 10px}.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.kpi{background:#fff;border:1px solid #e2e5ea;border-radius:8px;padding:10px 16px;min-width:140px}.kpi b{display:block;font-size:26px}.kpi.bad b{color:#c62828}
.kpi span{color:#5f6b7a;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:5px 6px;border-bottom:1px solid #edf0f3;vertical-align:top}
th{background:#f1f3f6;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg text{font:12px system-ui,sans-serif;fill:#37474f}svg .axis{fill:#78909c;font-size:11px}svg .value{font-size:11px;fill:#263238}
svg .grid{stroke:#eceff1;stroke-width:1}.legend{display:flex;flex-wrap:wrap;gap:14px;margin-top:6px;font-size:12px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.empty{color:#78909c}.ok{color:#2e7d32}.badge{display:inline-block;padding:0 6px;border-radius:9px;color:#fff;font-size:12px}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:0 16px}input[type=search]{padding:5px 8px;width:320px;margin-bottom:8px}
code{font-size:12px}.nw,td.n,.badge{white-space:nowrap}
.hbars{display:flex;flex-direction:column;gap:6px}.hrow{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:10px;align-items:center}
.hlabel{text-align:right;overflow-wrap:anywhere;line-height:1.25}.hlabel small{display:block;color:#78909c;font-size:11px}
.htrack{display:flex;align-items:center;gap:6px}.htrack .bar{display:block;height:16px;border-radius:2px;min-width:2px;flex:none}
.htrack .value{font-size:11px;color:#263238;font-variant-numeric:tabular-nums}svg .tick{stroke:#b0bec5;stroke-width:1}`;

/** Filters the timeline table as you type; the page works without it. */
const SCRIPT = `
(function(){var box=document.getElementById('timeline-filter');if(!box)return;var rows=document.querySelectorAll('#timeline-table tbody tr');
box.addEventListener('input',function(){var q=box.value.toLowerCase();var shown=0;rows.forEach(function(r){var hit=r.textContent.toLowerCase().indexOf(q)>=0;r.style.display=hit?'':'none';if(hit)shown++;});
document.getElementById('timeline-count').textContent=String(shown);});})();`;

export interface ReportInput {
  summary: AuditSummary;
  source: string;
  query: AuditQuery;
  heartbeatStaleMs: number;
  generatedAt: Date;
  /** Base URL for relative runbook paths (e.g. the repository's browse URL). */
  runbookBase?: string;
}

/** `--verify`: the signature counts and every record that did not verify, with where it was read. Pure. */
function signaturesSection(report: AuditSummary['signatures']): string {
  if (!report) {
    return '<p class="empty" id="signatures-unchecked">Signatures not checked (run with <code>--verify</code>).</p>';
  }
  const { counts } = report;
  const bad = report.checked - counts.verified;
  const head = `<p class="${bad === 0 ? 'ok' : ''}" id="signatures-counts" data-verified="${counts.verified}" data-unsigned="${counts.unsigned}" data-invalid="${counts.invalid}" data-altered="${counts.altered}">Signatures checked with ${esc(report.key.keyId ?? report.key.source)}: ${counts.verified} of ${report.checked} record(s) verified; ${counts.unsigned} unsigned, ${counts.invalid} invalid, ${counts.altered} altered.</p>`;
  if (bad === 0) return head;
  const rows = report.findings
    .slice(0, 200)
    .map(
      (f) =>
        `<tr data-status="${esc(f.status)}"><td><code>${breakable(f.location)}</code></td><td>${esc(f.status)}</td><td><code>${breakable(f.recordId)}</code></td><td>${esc(f.reason)}</td></tr>`,
    )
    .join('');
  const more = bad > 200 ? `<p>… and ${bad - 200} more (see <code>logwarden audit --verify --summary --json</code>).</p>` : '';
  return `${head}<table id="signatures"><thead><tr><th>Where</th><th>Status</th><th>Record</th><th>Why</th></tr></thead><tbody>${rows}</tbody></table>${more}`;
}

/** One self-contained HTML page: inline CSS and SVG, no external resource, a CSP that forbids fetching any. Pure. */
export function renderReport(input: ReportInput): string {
  const { summary } = input;
  const guardrails = [...new Set([...summary.byGuardrail.map((row) => row.guardrail)])].sort();
  const colors = new Map(guardrails.map((guardrail, index) => [guardrail, PALETTE[index % PALETTE.length] as string]));
  const stillFailing = summary.accountsWithFailures.reduce((count, account) => count + account.stillFailing.length, 0);
  const stopped = summary.heartbeats.filter((heartbeat) => heartbeat.stopped).length;
  const kpi = (id: string, value: string | number, label: string, bad = false) =>
    `<div class="kpi${bad ? ' bad' : ''}" id="kpi-${id}" data-value="${esc(value)}"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;

  const matrix = `<table id="matrix"><thead><tr><th>Guardrail</th>${OUTCOMES.map((outcome) => `<th class="n">${outcome}</th>`).join('')}<th class="n">total</th></tr></thead><tbody>${summary.byGuardrail
    .map(
      (row) =>
        `<tr data-guardrail="${esc(row.guardrail)}"><td>${whole(row.guardrail)}</td>${OUTCOMES.map((outcome) => `<td class="n" data-outcome="${outcome}">${row.outcomes[outcome]}</td>`).join('')}<td class="n">${row.total}</td></tr>`,
    )
    .join(
      '',
    )}<tr><th>all</th>${OUTCOMES.map((outcome) => `<th class="n">${summary.byOutcome[outcome]}</th>`).join('')}<th class="n">${summary.selected}</th></tr></tbody></table>`;

  const ttr = `<table id="ttr"><thead><tr><th>Guardrail</th><th class="n">remediated</th><th class="n">p50</th><th class="n">p95</th></tr></thead><tbody>${[
    ...summary.timeToRemediate.byGuardrail.map((row) => [row.guardrail, row.count, row.p50Ms, row.p95Ms] as const),
    ['all', summary.timeToRemediate.count, summary.timeToRemediate.p50Ms, summary.timeToRemediate.p95Ms] as const,
  ]
    .map(
      ([guardrail, count, p50, p95]) =>
        `<tr data-guardrail="${esc(guardrail)}"><td>${whole(guardrail)}</td><td class="n">${count}</td><td class="n" data-ms="${p50 ?? ''}">${humanMs(p50)}</td><td class="n" data-ms="${p95 ?? ''}">${humanMs(p95)}</td></tr>`,
    )
    .join('')}</tbody></table>`;

  const heartbeats =
    summary.heartbeats.length === 0
      ? '<p class="empty">No heartbeat record in the selection.</p>'
      : `<table id="heartbeats"><thead><tr><th>Deployment</th><th>Last heartbeat</th><th class="n">Age</th><th>Status</th></tr></thead><tbody>${summary.heartbeats
          .map(
            (heartbeat) =>
              `<tr data-stopped="${heartbeat.stopped}"><td>${esc(heartbeat.deployment)}</td><td>${timeCell(heartbeat.last)}</td><td class="n">${humanMs(heartbeat.ageMs)}</td><td>${heartbeat.stopped ? '<span class="badge" style="background:#c62828">stopped</span>' : '<span class="badge" style="background:#2e7d32">ok</span>'}</td></tr>`,
          )
          .join('')}</tbody></table>`;

  const timelineTable = `<input type="search" id="timeline-filter" placeholder="Filter: account, resource, actor, outcome…" aria-label="Filter the timeline"> <span id="timeline-count">${summary.timeline.length}</span> shown
<table id="timeline-table"><thead><tr><th>Time</th><th>Outcome</th><th>Guardrail</th><th>Account / region</th><th>Resource</th><th>Trigger and actor</th><th>What happened</th></tr></thead><tbody>${summary.timeline
    .map(
      (record) =>
        `<tr><td>${timeCell(record.time)}</td><td><span class="badge" style="background:${OUTCOME_COLORS[record.outcome]}">${record.outcome}</span></td><td>${esc(record.guardrail)}</td><td>${whole(record.account)} / ${esc(record.region)}</td><td><code>${breakable(record.resource.id)}</code></td><td>${esc(record.trigger.type)}${record.trigger.eventName ? ` ${esc(record.trigger.eventName)}` : ''}<br><small>${breakable(shortActor(record.trigger.actor))}</small></td><td>${breakable(record.reason)}${record.actions.length > 0 ? `<br><small>${record.actions.map((action) => esc(action.api) + (action.ok ? '' : ` (failed: ${esc(action.error ?? '')})`)).join(', ')}</small>` : ''}</td></tr>`,
    )
    .join('')}</tbody></table>`;

  const problems =
    summary.integrity.rejected === 0
      ? `<p class="ok" id="integrity-ok">All ${summary.integrity.read} item(s) read are valid audit records of schema version 1.0.</p>`
      : `<p>${summary.integrity.rejected} of ${summary.integrity.read} item(s) rejected: ${Object.entries(
          summary.integrity.byKind,
        )
          .filter(([, count]) => count > 0)
          .map(([kind, count]) => `${count} ${esc(kind)}`)
          .join(
            ', ',
          )}.</p><table id="problems"><thead><tr><th>Where</th><th>Kind</th><th>Problem</th></tr></thead><tbody>${summary.integrity.problems
          .slice(0, 200)
          .map(
            (problem) =>
              `<tr><td><code>${breakable(problem.location)}</code></td><td>${esc(problem.kind)}</td><td>${esc(problem.message)}</td></tr>`,
          )
          .join(
            '',
          )}</tbody></table>${summary.integrity.rejected > 200 ? `<p>… and ${summary.integrity.rejected - 200} more (see <code>logwarden audit --summary --json</code>).</p>` : ''}`;

  const outcomeRows = OUTCOMES.map((outcome) => ({
    key: outcome,
    label: esc(outcome),
    value: summary.byOutcome[outcome],
    color: OUTCOME_COLORS[outcome],
    title: `${outcome}: ${summary.byOutcome[outcome]}`,
  }));
  const topRows = summary.topRemediated.map((resource) => ({
    key: `${resource.account}/${resource.region}/${resource.resource}`,
    label: `<code>${breakable(resource.resource)}</code><small>${esc(resource.guardrail)} · ${esc(resource.account)} · ${esc(resource.region)}</small>`,
    value: resource.count,
    color: colors.get(resource.guardrail) ?? '#1565c0',
    title: `${resource.guardrail} ${resource.account}/${resource.region} ${resource.resource}: remediated ${resource.count} time(s), ${resource.first} → ${resource.last}`,
  }));

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>logwarden audit report</title><style>${CSS}</style></head>
<body><header><h1>logwarden audit report</h1><p>Source <code>${breakable(input.source)}</code> · filters: ${esc(describeQuery(input.query))} · records from ${esc(summary.window.first ?? '-')} to ${esc(summary.window.last ?? '-')} · generated ${esc(input.generatedAt.toISOString())}</p></header>
<main>
<div class="kpis">${kpi('selected', summary.selected, 'records')}${kpi('remediated', summary.byOutcome.remediated, 'remediated')}${kpi('failed', summary.byOutcome.failed, 'failed', summary.byOutcome.failed > 0)}${kpi('still-failing', stillFailing, 'resources still failing', stillFailing > 0)}${kpi('heartbeats-stopped', stopped, 'heartbeats stopped', stopped > 0)}${kpi('p50', humanMs(summary.timeToRemediate.p50Ms), 'time to remediate p50')}${kpi('p95', humanMs(summary.timeToRemediate.p95Ms), 'time to remediate p95')}${kpi('exemptions-ending', summary.exemptions.expiringSoon.length, `exemptions ending within ${EXEMPTION_EXPIRING_DAYS} days`)}${kpi('rejected', summary.integrity.rejected, 'records rejected', summary.integrity.rejected > 0)}${summary.signatures ? kpi('not-verified', summary.signatures.checked - summary.signatures.counts.verified, 'records not verified (unsigned, invalid, altered)', summary.signatures.checked > summary.signatures.counts.verified) : ''}</div>
<section id="sec-failures"><h2>Failures to follow up</h2>${failingRows(summary.accountsWithFailures, input.runbookBase)}</section>
<section id="sec-per-day"><h2>Remediations per day, by guardrail (UTC)</h2>${perDayChart(summary, colors)}</section>
<div class="two"><section id="sec-outcomes"><h2>Outcomes</h2>${hbarChart('outcomes', 'Outcomes', outcomeRows)}</section>
<section id="sec-top"><h2>Resources remediated most often</h2>${hbarChart('top', 'Resources remediated most often', topRows)}<p class="empty">Two or more remediations of one resource: something keeps switching it off (flapping candidate).</p></section></div>
<section id="sec-timeline"><h2>Timeline: the ${summary.timeline.length} newest remediated, failed, escalated, drift-detected and exempt records</h2>${timelineChart(summary.timeline, colors)}${timelineTable}</section>
<section id="sec-matrix"><h2>Records by guardrail and outcome</h2>${matrix}</section>
<section id="sec-ttr"><h2>Time to remediate</h2>${ttr}<p class="empty">durationMs of remediated records (event in → state re-read and verified), nearest-rank percentiles.</p></section>
${exemptionsSection(summary.exemptions, summary.window.asOf)}
<section id="sec-heartbeats"><h2>Heartbeats (stopped: none for ${esc(humanMs(input.heartbeatStaleMs))} as of ${esc(summary.window.asOf)})</h2>${heartbeats}</section>
<section id="sec-integrity"><h2>Integrity</h2>${problems}${originParagraph(summary.integrity.unverified)}${signaturesSection(summary.signatures)}</section>
</main><script>${SCRIPT}</script></body></html>
`;
}

/** Records with no EventBridge envelope: their account is their own word (an export or an old file). */
function originParagraph(unverified: number): string {
  if (unverified === 0) return '';
  return `<p id="origin-unverified">${unverified} record(s) have no EventBridge envelope (an export or an old file): their account is not verified against the one AWS sets. Records whose envelope disagrees are rejected above as <code>origin-mismatch</code>.</p>`;
}
