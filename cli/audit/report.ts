import { type AuditRecord, OUTCOMES, type Outcome } from '../../controllers/core/record.js';
import type { AuditQuery } from './filters.js';
import { humanMs, shortActor } from './format.js';
import type { AuditSummary, FailingResource } from './summary.js';

/** Escape text for HTML content and attribute values. Every value from a record goes through it. */
function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
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
  if (/^https?:\/\//i.test(runbook)) return `<a href="${esc(runbook)}">${esc(runbook)}</a>`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(runbook)) return `<code>${esc(runbook)}</code>`;
  let href = runbook;
  if (base) {
    try {
      href = new URL(runbook, base.endsWith('/') ? base : `${base}/`).toString();
    } catch {
      href = runbook;
    }
  }
  return `<a href="${esc(href)}">${esc(runbook)}</a>`;
}

function legend(items: readonly { label: string; color: string }[]): string {
  return `<div class="legend">${items
    .map((i) => `<span><i style="background:${i.color}"></i>${esc(i.label)}</span>`)
    .join('')}</div>`;
}

/** Stacked bars: remediations per UTC day, one colour per guardrail. */
function perDayChart(s: AuditSummary, colors: Map<string, string>): string {
  const days = s.remediationsPerDay;
  if (days.length === 0) return '<p class="empty">No remediation in the selected records.</p>';
  const guardrails = [...colors.keys()].filter((g) => days.some((d) => (d.byGuardrail[g] ?? 0) > 0));
  const max = Math.max(...days.map((d) => d.total));
  const H = 220;
  const top = 20;
  const bottom = 40;
  const left = 40;
  const slot = Math.max(6, Math.min(110, Math.floor(900 / days.length)));
  const barW = Math.max(3, Math.min(56, Math.floor(slot * 0.7)));
  const W = left + slot * days.length + 10;
  const y = (v: number) => top + H - (v / max) * H;
  const parts: string[] = [];
  for (const tick of [0, Math.ceil(max / 2), max]) {
    parts.push(
      `<line x1="${left}" x2="${W}" y1="${y(tick)}" y2="${y(tick)}" class="grid"/><text x="${left - 6}" y="${y(tick) + 4}" class="axis" text-anchor="end">${tick}</text>`,
    );
  }
  const labelEvery = Math.max(1, Math.ceil(days.length / 12));
  for (const [i, d] of days.entries()) {
    const x = left + i * slot + (slot - barW) / 2;
    let acc = 0;
    for (const g of guardrails) {
      const v = d.byGuardrail[g] ?? 0;
      if (v === 0) continue;
      const h = (v / max) * H;
      parts.push(
        `<rect class="bar" data-chart="per-day" data-day="${d.day}" data-guardrail="${esc(g)}" data-value="${v}" x="${x}" y="${y(acc + v)}" width="${barW}" height="${Math.max(h, 0.5)}" fill="${colors.get(g)}"><title>${d.day} ${esc(g)}: ${v} remediated</title></rect>`,
      );
      acc += v;
    }
    parts.push(`<text x="${x + barW / 2}" y="${y(acc) - 4}" class="value" text-anchor="middle">${d.total}</text>`);
    if (i % labelEvery === 0) {
      parts.push(`<text x="${x + barW / 2}" y="${top + H + 16}" class="axis" text-anchor="middle">${d.day.slice(5)}</text>`);
    }
  }
  return `<svg id="chart-per-day" role="img" aria-label="Remediations per day by guardrail" viewBox="0 0 ${W} ${top + H + bottom}" width="100%" style="max-width:${W}px">${parts.join('')}</svg>${legend(guardrails.map((g) => ({ label: g, color: colors.get(g) as string })))}`;
}

/** Horizontal bars with a label, a value and a colour each. */
function hbarChart(
  id: string,
  label: string,
  rows: readonly { key: string; label: string; value: number; color: string; title?: string }[],
): string {
  if (rows.length === 0) return '<p class="empty">Nothing to show.</p>';
  const max = Math.max(1, ...rows.map((r) => r.value));
  const labelW = 330;
  const barMax = 420;
  const rowH = 26;
  const W = labelW + barMax + 80;
  const H = rows.length * rowH + 8;
  const parts = rows.map((r, i) => {
    const y = 4 + i * rowH;
    const w = Math.max((r.value / max) * barMax, r.value > 0 ? 2 : 0);
    const text = r.label.length > 48 ? `${r.label.slice(0, 47)}…` : r.label;
    return `<g><title>${esc(r.title ?? `${r.label}: ${r.value}`)}</title><text x="${labelW - 8}" y="${y + 17}" class="label" text-anchor="end">${esc(text)}</text><rect class="bar" data-chart="${id}" data-key="${esc(r.key)}" data-value="${r.value}" x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 8}" fill="${r.color}"/><text x="${labelW + w + 6}" y="${y + 17}" class="value">${r.value}</text></g>`;
  });
  return `<svg id="chart-${id}" role="img" aria-label="${esc(label)}" viewBox="0 0 ${W} ${H}" width="100%" style="max-width:${W}px">${parts.join('')}</svg>`;
}

/** Dots on a time axis, one lane per guardrail, coloured by outcome: the newest notable records. */
function timelineChart(records: readonly AuditRecord[], colors: Map<string, string>): string {
  if (records.length === 0) return '<p class="empty">No remediated, failed, escalated, drift-detected or exempt record.</p>';
  const lanes = [...new Set(records.map((r) => r.guardrail))].sort();
  const times = records.map((r) => Date.parse(r.time));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const left = 140;
  const plotW = 800;
  const laneH = 28;
  const H = lanes.length * laneH + 40;
  const x = (t: number) => left + (t1 === t0 ? plotW / 2 : ((t - t0) / (t1 - t0)) * plotW);
  const parts: string[] = [];
  for (const [i, g] of lanes.entries()) {
    const y = 10 + i * laneH + laneH / 2;
    parts.push(
      `<text x="${left - 10}" y="${y + 4}" class="label" text-anchor="end" fill="${colors.get(g)}">${esc(g)}</text><line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" class="grid"/>`,
    );
  }
  for (const r of records) {
    const y = 10 + lanes.indexOf(r.guardrail) * laneH + laneH / 2;
    parts.push(
      `<circle class="dot" data-outcome="${r.outcome}" cx="${x(Date.parse(r.time)).toFixed(1)}" cy="${y}" r="5" fill="${OUTCOME_COLORS[r.outcome]}"><title>${esc(`${r.time} ${r.outcome} ${r.guardrail} ${r.account}/${r.region} ${r.resource.id} — ${r.reason}`)}</title></circle>`,
    );
  }
  const yAxis = lanes.length * laneH + 28;
  parts.push(
    `<text x="${left}" y="${yAxis}" class="axis">${esc(new Date(t0).toISOString().slice(0, 16).replace('T', ' '))}</text><text x="${left + plotW}" y="${yAxis}" class="axis" text-anchor="end">${esc(new Date(t1).toISOString().slice(0, 16).replace('T', ' '))} UTC</text>`,
  );
  return `<svg id="chart-timeline" role="img" aria-label="Timeline" viewBox="0 0 ${left + plotW + 20} ${H}" width="100%" style="max-width:${left + plotW + 20}px">${parts.join('')}</svg>${legend(
    OUTCOMES.filter((o) => records.some((r) => r.outcome === o)).map((o) => ({ label: o, color: OUTCOME_COLORS[o] })),
  )}`;
}

function describeQuery(q: AuditQuery): string {
  const parts: string[] = [];
  for (const k of ['guardrail', 'account', 'region', 'resource', 'outcome', 'actor'] as const) {
    const v = q[k];
    if (v && v.length > 0) parts.push(`${k} = ${v.join(' | ')}`);
  }
  if (q.since) parts.push(`since ${q.since.toISOString()}`);
  if (q.until) parts.push(`until ${q.until.toISOString()}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function failingRows(accounts: AuditSummary['accountsWithFailures'], runbookBase?: string): string {
  const rows: FailingResource[] = accounts.flatMap((a) => a.stillFailing);
  if (rows.length === 0) return '<p class="empty ok">No resource is still failing.</p>';
  return `<table id="failures"><thead><tr><th>Since</th><th>Outcome</th><th>Account</th><th>Region</th><th>Guardrail</th><th>Resource</th><th>Reason</th><th>Retry?</th><th>Runbook</th></tr></thead><tbody>${rows
    .map(
      (f) =>
        `<tr data-account="${esc(f.account)}" data-outcome="${f.outcome}"><td>${esc(f.time)}</td><td><span class="badge" style="background:${OUTCOME_COLORS[f.outcome]}">${f.outcome}</span></td><td>${esc(f.account)}</td><td>${esc(f.region)}</td><td>${esc(f.guardrail)}</td><td><code>${esc(f.resource)}</code></td><td>${esc(f.reason)}</td><td>${f.retryable ? 'yes' : 'no'}</td><td>${runbookLink(f.runbook, runbookBase)}</td></tr>`,
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
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #edf0f3;vertical-align:top}
th{background:#f1f3f6;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg text{font:12px system-ui,sans-serif;fill:#37474f}svg .axis{fill:#78909c;font-size:11px}svg .value{font-size:11px;fill:#263238}
svg .grid{stroke:#eceff1;stroke-width:1}.legend{display:flex;flex-wrap:wrap;gap:14px;margin-top:6px;font-size:12px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.empty{color:#78909c}.ok{color:#2e7d32}.badge{display:inline-block;padding:0 6px;border-radius:9px;color:#fff;font-size:12px}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:0 16px}input[type=search]{padding:5px 8px;width:320px;margin-bottom:8px}
code{font-size:12px;word-break:break-all}`;

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

/** One self-contained HTML page: inline CSS and SVG, no external resource, a CSP that forbids fetching any. Pure. */
export function renderReport(input: ReportInput): string {
  const { summary: s } = input;
  const guardrails = [...new Set([...s.byGuardrail.map((g) => g.guardrail)])].sort();
  const colors = new Map(guardrails.map((g, i) => [g, PALETTE[i % PALETTE.length] as string]));
  const stillFailing = s.accountsWithFailures.reduce((n, a) => n + a.stillFailing.length, 0);
  const stopped = s.heartbeats.filter((h) => h.stopped).length;
  const kpi = (id: string, value: string | number, label: string, bad = false) =>
    `<div class="kpi${bad ? ' bad' : ''}" id="kpi-${id}" data-value="${esc(value)}"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;

  const matrix = `<table id="matrix"><thead><tr><th>Guardrail</th>${OUTCOMES.map((o) => `<th class="n">${o}</th>`).join('')}<th class="n">total</th></tr></thead><tbody>${s.byGuardrail
    .map(
      (g) =>
        `<tr data-guardrail="${esc(g.guardrail)}"><td>${esc(g.guardrail)}</td>${OUTCOMES.map((o) => `<td class="n" data-outcome="${o}">${g.outcomes[o]}</td>`).join('')}<td class="n">${g.total}</td></tr>`,
    )
    .join(
      '',
    )}<tr><th>all</th>${OUTCOMES.map((o) => `<th class="n">${s.byOutcome[o]}</th>`).join('')}<th class="n">${s.selected}</th></tr></tbody></table>`;

  const ttr = `<table id="ttr"><thead><tr><th>Guardrail</th><th class="n">remediated</th><th class="n">p50</th><th class="n">p95</th></tr></thead><tbody>${[
    ...s.timeToRemediate.byGuardrail.map((g) => [g.guardrail, g.count, g.p50Ms, g.p95Ms] as const),
    ['all', s.timeToRemediate.count, s.timeToRemediate.p50Ms, s.timeToRemediate.p95Ms] as const,
  ]
    .map(
      ([g, n, p50, p95]) =>
        `<tr data-guardrail="${esc(g)}"><td>${esc(g)}</td><td class="n">${n}</td><td class="n" data-ms="${p50 ?? ''}">${humanMs(p50)}</td><td class="n" data-ms="${p95 ?? ''}">${humanMs(p95)}</td></tr>`,
    )
    .join('')}</tbody></table>`;

  const heartbeats =
    s.heartbeats.length === 0
      ? '<p class="empty">No heartbeat record in the selection.</p>'
      : `<table id="heartbeats"><thead><tr><th>Deployment</th><th>Last heartbeat</th><th class="n">Age</th><th>Status</th></tr></thead><tbody>${s.heartbeats
          .map(
            (h) =>
              `<tr data-stopped="${h.stopped}"><td>${esc(h.deployment)}</td><td>${esc(h.last)}</td><td class="n">${humanMs(h.ageMs)}</td><td>${h.stopped ? '<span class="badge" style="background:#c62828">stopped</span>' : '<span class="badge" style="background:#2e7d32">ok</span>'}</td></tr>`,
          )
          .join('')}</tbody></table>`;

  const timelineTable = `<input type="search" id="timeline-filter" placeholder="Filter: account, resource, actor, outcome…" aria-label="Filter the timeline"> <span id="timeline-count">${s.timeline.length}</span> shown
<table id="timeline-table"><thead><tr><th>Time</th><th>Outcome</th><th>Guardrail</th><th>Account / region</th><th>Resource</th><th>Trigger</th><th>Actor</th><th>What happened</th></tr></thead><tbody>${s.timeline
    .map(
      (r) =>
        `<tr><td>${esc(r.time)}</td><td><span class="badge" style="background:${OUTCOME_COLORS[r.outcome]}">${r.outcome}</span></td><td>${esc(r.guardrail)}</td><td>${esc(r.account)} / ${esc(r.region)}</td><td><code>${esc(r.resource.id)}</code></td><td>${esc(r.trigger.type)}${r.trigger.eventName ? ` ${esc(r.trigger.eventName)}` : ''}</td><td>${esc(shortActor(r.trigger.actor))}</td><td>${esc(r.reason)}${r.actions.length > 0 ? `<br><small>${r.actions.map((a) => esc(a.api) + (a.ok ? '' : ` (failed: ${esc(a.error ?? '')})`)).join(', ')}</small>` : ''}</td></tr>`,
    )
    .join('')}</tbody></table>`;

  const problems =
    s.integrity.rejected === 0
      ? `<p class="ok" id="integrity-ok">All ${s.integrity.read} item(s) read are valid audit records of schema version 1.0.</p>`
      : `<p>${s.integrity.rejected} of ${s.integrity.read} item(s) rejected: ${Object.entries(s.integrity.byKind)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${n} ${esc(k)}`)
          .join(
            ', ',
          )}.</p><table id="problems"><thead><tr><th>Where</th><th>Kind</th><th>Problem</th></tr></thead><tbody>${s.integrity.problems
          .slice(0, 200)
          .map((p) => `<tr><td><code>${esc(p.location)}</code></td><td>${esc(p.kind)}</td><td>${esc(p.message)}</td></tr>`)
          .join(
            '',
          )}</tbody></table>${s.integrity.rejected > 200 ? `<p>… and ${s.integrity.rejected - 200} more (see <code>logwarden audit --summary --json</code>).</p>` : ''}`;

  const outcomeRows = OUTCOMES.map((o) => ({ key: o, label: o, value: s.byOutcome[o], color: OUTCOME_COLORS[o] }));
  const topRows = s.topRemediated.map((t) => ({
    key: `${t.account}/${t.region}/${t.resource}`,
    label: `${t.resource} (${t.account} ${t.region})`,
    value: t.count,
    color: colors.get(t.guardrail) ?? '#1565c0',
    title: `${t.guardrail} ${t.account}/${t.region} ${t.resource}: remediated ${t.count} time(s), ${t.first} → ${t.last}`,
  }));

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>logwarden audit report</title><style>${CSS}</style></head>
<body><header><h1>logwarden audit report</h1><p>Source <code>${esc(input.source)}</code> · filters: ${esc(describeQuery(input.query))} · records from ${esc(s.window.first ?? '-')} to ${esc(s.window.last ?? '-')} · generated ${esc(input.generatedAt.toISOString())}</p></header>
<main>
<div class="kpis">${kpi('selected', s.selected, 'records')}${kpi('remediated', s.byOutcome.remediated, 'remediated')}${kpi('failed', s.byOutcome.failed, 'failed', s.byOutcome.failed > 0)}${kpi('still-failing', stillFailing, 'resources still failing', stillFailing > 0)}${kpi('heartbeats-stopped', stopped, 'heartbeats stopped', stopped > 0)}${kpi('p50', humanMs(s.timeToRemediate.p50Ms), 'time to remediate p50')}${kpi('p95', humanMs(s.timeToRemediate.p95Ms), 'time to remediate p95')}${kpi('rejected', s.integrity.rejected, 'records rejected', s.integrity.rejected > 0)}</div>
<section id="sec-failures"><h2>Failures to follow up</h2>${failingRows(s.accountsWithFailures, input.runbookBase)}</section>
<section id="sec-per-day"><h2>Remediations per day, by guardrail (UTC)</h2>${perDayChart(s, colors)}</section>
<div class="two"><section id="sec-outcomes"><h2>Outcomes</h2>${hbarChart('outcomes', 'Outcomes', outcomeRows)}</section>
<section id="sec-top"><h2>Resources remediated most often</h2>${hbarChart('top', 'Resources remediated most often', topRows)}<p class="empty">Two or more remediations of one resource: something keeps switching it off (flapping candidate).</p></section></div>
<section id="sec-timeline"><h2>Timeline: the ${s.timeline.length} newest remediated, failed, escalated, drift-detected and exempt records</h2>${timelineChart(s.timeline, colors)}${timelineTable}</section>
<div class="two"><section id="sec-matrix"><h2>Records by guardrail and outcome</h2>${matrix}</section>
<section id="sec-ttr"><h2>Time to remediate</h2>${ttr}<p class="empty">durationMs of remediated records (event in → state re-read and verified), nearest-rank percentiles.</p></section></div>
<section id="sec-heartbeats"><h2>Heartbeats (stopped: none for ${esc(humanMs(input.heartbeatStaleMs))} as of ${esc(s.window.asOf)})</h2>${heartbeats}</section>
<section id="sec-integrity"><h2>Integrity</h2>${problems}</section>
</main><script>${SCRIPT}</script></body></html>
`;
}
