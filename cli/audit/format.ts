import type { AuditRecord } from '../../controllers/core/record.js';
import { OUTCOMES } from '../../controllers/core/record.js';
import { table } from '../format.js';
import { type AuditSummary, EXEMPTION_EXPIRING_DAYS, FLAPPING_MIN, type Integrity, MAX_LISTED_IGNORED } from './summary.js';
import type { SignatureReport } from './verify.js';

/** Problems listed in text output; `--json` lists them all (up to MAX_LISTED_PROBLEMS). */
const TEXT_PROBLEMS = 20;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const shortTime = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

/** `arn:aws:sts::1:assumed-role/Admin/alice` → `assumed-role/Admin/alice`; other actors as they are. */
export function shortActor(actor: string | null): string {
  if (!actor) return '-';
  const match = /^arn:aws[a-z-]*:(?:iam|sts)::\d{12}:(.+)$/.exec(actor);
  return match ? (match[1] as string) : actor;
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
    records.map((record) => [
      shortTime(record.time),
      record.account,
      record.region,
      record.guardrail,
      clip(record.resource.id, 40),
      record.outcome,
      clip(shortActor(record.trigger.actor), 40),
      clip(
        record.outcome === 'remediated' && record.actions.length > 0
          ? `${record.actions.map((action) => action.api + (action.ok ? '' : ' (failed)')).join(', ')}${record.verified === false ? ' — NOT verified' : ''}`
          : record.reason,
        80,
      ),
    ]),
  );
}

/** Rejected items, listed (the first `max`) with their count. */
export function integrityText(integrity: Integrity, max = TEXT_PROBLEMS): string {
  const origin = originText(integrity);
  if (integrity.rejected === 0) return `integrity: all ${integrity.read} item(s) read are valid audit records${origin}`;
  const kinds = Object.entries(integrity.byKind)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  const lines = [`integrity: ${integrity.rejected} of ${integrity.read} item(s) rejected (${kinds}):`];
  for (const problem of integrity.problems.slice(0, max)) {
    lines.push(`  ${problem.location}  ${problem.kind}: ${clip(problem.message, 160)}`);
  }
  if (integrity.rejected > max) lines.push(`  … and ${integrity.rejected - max} more (all are listed by --summary --json)`);
  return `${lines.join('\n')}${origin}`;
}

/** How many selected records carried no EventBridge envelope, so no AWS-set account to check theirs against. */
function originText(integrity: Integrity): string {
  if (integrity.unverified === 0) return '';
  return `\norigin: ${integrity.unverified} selected record(s) have no EventBridge envelope (an export or an old file): their account is not verified`;
}

/** `--verify`: how many records verified, and each unsigned, invalid or altered one with where it was read. */
export function signaturesText(report: SignatureReport, max = TEXT_PROBLEMS): string {
  const { counts } = report;
  const key = report.key.keyId ?? report.key.source;
  const head = `signatures (key ${key}): ${counts.verified} of ${report.checked} selected record(s) verified; ${counts.unsigned} unsigned, ${counts.invalid} invalid, ${counts.altered} altered`;
  const bad = report.checked - counts.verified;
  if (bad === 0) return head;
  const lines = [`${head}:`];
  for (const f of report.findings.slice(0, max)) {
    lines.push(`  ${f.location}  ${f.status} (record ${clip(f.recordId, 40)}): ${clip(f.reason, 160)}`);
  }
  if (bad > max) lines.push(`  … and ${bad - max} more (all are listed by --summary --json)`);
  return lines.join('\n');
}

/** Active policy exemptions, those ending soon marked. */
function exemptionsText(exemptions: AuditSummary['exemptions']): string[] {
  const soon = new Set(exemptions.expiringSoon);
  return [
    `EXEMPTIONS IN USE (${exemptions.active.length}; ${exemptions.expiringSoon.length} ending within ${EXEMPTION_EXPIRING_DAYS} days)`,
    exemptions.active.length === 0
      ? '  none'
      : table(
          ['GUARDRAIL', 'ACCOUNT', 'REGION', 'RESOURCE', 'EXPIRES', 'APPROVER', 'TICKET', 'STATUS'],
          exemptions.active.map((e) => [
            e.guardrail,
            e.account,
            e.region,
            clip(e.resource, 60),
            e.expires,
            clip(e.approver ?? '-', 30),
            clip(e.ticket ?? '-', 30),
            soon.has(e) ? 'expiring soon' : 'active',
          ]),
        ),
  ];
}

/** Ignored resources listed in the text; `--summary --json` lists up to MAX_LISTED_IGNORED. */
const TEXT_IGNORED = 50;

/** Resources whose latest record is `ignored`, with the reason: exclusions are an escape hatch, so they are named. */
function ignoredText(ignored: AuditSummary['ignored']): string[] {
  const shown = ignored.resources.slice(0, TEXT_IGNORED);
  const lines = [
    `IGNORED RESOURCES (${ignored.total}; latest record ignored: excluded by the policy, out of scope, …)`,
    shown.length === 0
      ? '  none'
      : table(
          ['GUARDRAIL', 'ACCOUNT', 'REGION', 'RESOURCE', 'REASON'],
          shown.map((r) => [r.guardrail, r.account, r.region, clip(r.resource, 60), clip(r.reason, 100)]),
        ),
  ];
  if (ignored.total > shown.length)
    lines.push(`  … and ${ignored.total - shown.length} more (--summary --json lists up to ${MAX_LISTED_IGNORED})`);
  return lines;
}

/** Resources remediated 2 or more times (of the `--top` most remediated): something keeps switching them off. */
function flappingText(top: AuditSummary['topRemediated']): string[] {
  const flapping = top.filter((resource) => resource.count >= FLAPPING_MIN);
  return [
    `RESOURCES REMEDIATED MOST OFTEN (${FLAPPING_MIN} or more: flapping candidates)`,
    flapping.length === 0
      ? '  none'
      : table(
          ['COUNT', 'GUARDRAIL', 'ACCOUNT', 'REGION', 'RESOURCE', 'FIRST', 'LAST'],
          flapping.map((resource) => [
            String(resource.count),
            resource.guardrail,
            resource.account,
            resource.region,
            clip(resource.resource, 60),
            shortTime(resource.first),
            shortTime(resource.last),
          ]),
        ),
  ];
}

/** The `--summary` text. */
export function summaryText(summary: AuditSummary, options: { heartbeatStaleMs: number }): string {
  const out: string[] = [];
  const span = summary.window.first
    ? `${shortTime(summary.window.first)} → ${shortTime(summary.window.last as string)}`
    : 'no records';
  out.push(
    `audit summary: ${summary.selected} record(s) selected of ${summary.integrity.read} read, ${summary.integrity.rejected} rejected; ${span}`,
  );
  out.push('');

  out.push('OUTCOMES BY GUARDRAIL');
  const totals = summary.byOutcome;
  out.push(
    table(
      ['GUARDRAIL', ...OUTCOMES.map((outcome) => outcome.toUpperCase()), 'TOTAL'],
      [
        ...summary.byGuardrail.map((row) => [
          row.guardrail,
          ...OUTCOMES.map((outcome) => String(row.outcomes[outcome])),
          String(row.total),
        ]),
        ['(all)', ...OUTCOMES.map((outcome) => String(totals[outcome])), String(summary.selected)],
      ],
    ),
  );
  out.push('');

  out.push('TIME TO REMEDIATE (durationMs of remediated records: event in → state verified; nearest-rank percentiles)');
  out.push(
    table(
      ['GUARDRAIL', 'REMEDIATED', 'P50', 'P95'],
      [
        ...summary.timeToRemediate.byGuardrail.map((row) => [
          row.guardrail,
          String(row.count),
          humanMs(row.p50Ms),
          humanMs(row.p95Ms),
        ]),
        [
          '(all)',
          String(summary.timeToRemediate.count),
          humanMs(summary.timeToRemediate.p50Ms),
          humanMs(summary.timeToRemediate.p95Ms),
        ],
      ],
    ),
  );
  out.push('');

  out.push(...flappingText(summary.topRemediated));
  out.push('');

  out.push('ACCOUNTS WITH FAILURES (failed or escalated; "still failing": the latest record of the resource)');
  if (summary.accountsWithFailures.length === 0) out.push('  none');
  for (const account of summary.accountsWithFailures) {
    out.push(
      `  ${account.account}: ${account.failed} failed, ${account.escalated} escalated record(s), last ${shortTime(account.lastFailure)}; ${account.stillFailing.length} resource(s) still failing`,
    );
    for (const failing of account.stillFailing) {
      out.push(
        `    ${failing.outcome} ${failing.guardrail} ${failing.region} ${clip(failing.resource, 60)}: ${clip(failing.reason, 100)}  → ${failing.runbook}`,
      );
    }
  }
  out.push('');

  out.push(...exemptionsText(summary.exemptions));
  out.push('');

  out.push(...ignoredText(summary.ignored));
  out.push('');

  out.push(
    `HEARTBEATS (stopped: none for more than ${humanMs(options.heartbeatStaleMs)} as of ${shortTime(summary.window.asOf)})`,
  );
  out.push(
    summary.heartbeats.length === 0
      ? '  no heartbeat records selected'
      : table(
          ['DEPLOYMENT', 'LAST HEARTBEAT', 'AGE', 'STATUS'],
          summary.heartbeats.map((heartbeat) => [
            heartbeat.deployment,
            shortTime(heartbeat.last),
            humanMs(heartbeat.ageMs),
            heartbeat.stopped ? 'STOPPED' : 'ok',
          ]),
        ),
  );
  out.push('');
  out.push(integrityText(summary.integrity));
  if (summary.signatures) out.push(signaturesText(summary.signatures));
  return out.join('\n');
}
