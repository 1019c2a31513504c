import type { AuditRecord } from '../../controllers/core/record.js';
import { OUTCOMES } from '../../controllers/core/record.js';
import { table } from '../format.js';
import type { AuditSummary, Integrity } from './summary.js';

/** Problems listed in text output; `--json` lists them all (up to MAX_LISTED_PROBLEMS). */
const TEXT_PROBLEMS = 20;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const shortTime = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

/** `arn:aws:sts::1:assumed-role/Admin/alice` → `assumed-role/Admin/alice`; other actors as they are. */
export function shortActor(actor: string | null): string {
  if (!actor) return '-';
  const m = /^arn:aws[a-z-]*:(?:iam|sts)::\d{12}:(.+)$/.exec(actor);
  return m ? (m[1] as string) : actor;
}

/** Milliseconds for people: `850 ms`, `2.4 s`, `3.1 min`, `2.0 h`, `3.5 d`. */
export function humanMs(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** The records as a table for people. */
export function auditTable(records: readonly AuditRecord[]): string {
  return table(
    ['TIME', 'ACCOUNT', 'REGION', 'GUARDRAIL', 'RESOURCE', 'OUTCOME', 'ACTOR', 'DETAIL'],
    records.map((r) => [
      shortTime(r.time),
      r.account,
      r.region,
      r.guardrail,
      clip(r.resource.id, 40),
      r.outcome,
      clip(shortActor(r.trigger.actor), 40),
      clip(
        r.outcome === 'remediated' && r.actions.length > 0
          ? `${r.actions.map((a) => a.api + (a.ok ? '' : ' (failed)')).join(', ')}${r.verified === false ? ' — NOT verified' : ''}`
          : r.reason,
        80,
      ),
    ]),
  );
}

/** Rejected items, listed (the first `max`) with their count. */
export function integrityText(integrity: Integrity, max = TEXT_PROBLEMS): string {
  if (integrity.rejected === 0) return `integrity: all ${integrity.read} item(s) read are valid audit records`;
  const kinds = Object.entries(integrity.byKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const lines = [`integrity: ${integrity.rejected} of ${integrity.read} item(s) rejected (${kinds}):`];
  for (const p of integrity.problems.slice(0, max)) lines.push(`  ${p.location}  ${p.kind}: ${clip(p.message, 160)}`);
  if (integrity.rejected > max) lines.push(`  … and ${integrity.rejected - max} more (all are listed by --summary --json)`);
  return lines.join('\n');
}

/** The `--summary` text. */
export function summaryText(s: AuditSummary, opts: { heartbeatStaleMs: number }): string {
  const out: string[] = [];
  const span = s.window.first ? `${shortTime(s.window.first)} → ${shortTime(s.window.last as string)}` : 'no records';
  out.push(
    `audit summary: ${s.selected} record(s) selected of ${s.integrity.read} read, ${s.integrity.rejected} rejected; ${span}`,
  );
  out.push('');

  out.push('OUTCOMES BY GUARDRAIL');
  const totals = s.byOutcome;
  out.push(
    table(
      ['GUARDRAIL', ...OUTCOMES.map((o) => o.toUpperCase()), 'TOTAL'],
      [
        ...s.byGuardrail.map((g) => [g.guardrail, ...OUTCOMES.map((o) => String(g.outcomes[o])), String(g.total)]),
        ['(all)', ...OUTCOMES.map((o) => String(totals[o])), String(s.selected)],
      ],
    ),
  );
  out.push('');

  out.push('TIME TO REMEDIATE (durationMs of remediated records: event in → state verified; nearest-rank percentiles)');
  out.push(
    table(
      ['GUARDRAIL', 'REMEDIATED', 'P50', 'P95'],
      [
        ...s.timeToRemediate.byGuardrail.map((g) => [g.guardrail, String(g.count), humanMs(g.p50Ms), humanMs(g.p95Ms)]),
        ['(all)', String(s.timeToRemediate.count), humanMs(s.timeToRemediate.p50Ms), humanMs(s.timeToRemediate.p95Ms)],
      ],
    ),
  );
  out.push('');

  out.push('RESOURCES REMEDIATED MOST OFTEN (2 or more: flapping candidates)');
  out.push(
    s.topRemediated.length === 0
      ? '  none'
      : table(
          ['COUNT', 'GUARDRAIL', 'ACCOUNT', 'REGION', 'RESOURCE', 'LAST', ''],
          s.topRemediated.map((t) => [
            String(t.count),
            t.guardrail,
            t.account,
            t.region,
            clip(t.resource, 60),
            shortTime(t.last),
            t.count >= 2 ? 'flapping?' : '',
          ]),
        ),
  );
  out.push('');

  out.push('ACCOUNTS WITH FAILURES (failed or escalated; "still failing": the latest record of the resource)');
  if (s.accountsWithFailures.length === 0) out.push('  none');
  for (const a of s.accountsWithFailures) {
    out.push(
      `  ${a.account}: ${a.failed} failed, ${a.escalated} escalated record(s), last ${shortTime(a.lastFailure)}; ${a.stillFailing.length} resource(s) still failing`,
    );
    for (const f of a.stillFailing) {
      out.push(`    ${f.outcome} ${f.guardrail} ${f.region} ${clip(f.resource, 60)}: ${clip(f.reason, 100)}  → ${f.runbook}`);
    }
  }
  out.push('');

  out.push(`HEARTBEATS (stopped: none for more than ${humanMs(opts.heartbeatStaleMs)} as of ${shortTime(s.window.asOf)})`);
  out.push(
    s.heartbeats.length === 0
      ? '  no heartbeat records selected'
      : table(
          ['DEPLOYMENT', 'LAST HEARTBEAT', 'AGE', 'STATUS'],
          s.heartbeats.map((h) => [h.deployment, shortTime(h.last), humanMs(h.ageMs), h.stopped ? 'STOPPED' : 'ok']),
        ),
  );
  out.push('');
  out.push(integrityText(s.integrity));
  return out.join('\n');
}
