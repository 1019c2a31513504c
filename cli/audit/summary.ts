import { expiryOf } from '../../controllers/core/exemptions.js';
import {
  type AuditRecord,
  DEPLOYMENT_RESOURCE_TYPE,
  HEARTBEAT_GUARDRAIL,
  OUTCOMES,
  type Outcome,
} from '../../controllers/core/record.js';
import { MONITOR_EVENT_NAME } from '../../controllers/monitor/decide.js';
import { DEFAULT_TOP } from './defaults.js';
import type { Problem, ProblemKind } from './parse.js';
import { type SignatureReport, signatureFindings } from './verify.js';

/** Heartbeats come every 15 minutes by default; four missed beats and the deployment counts as silent. */
const DEFAULT_HEARTBEAT_STALE_MS = 3_600_000;
/** Remediated, failed, escalated, drift-detected and exempt records kept for the timeline of the HTML report. */
const TIMELINE_SIZE = 200;

const PROBLEM_KINDS: readonly ProblemKind[] = [
  'malformed-json',
  'unknown-schema-version',
  'invalid-record',
  'not-an-audit-record',
  'origin-mismatch',
];

/** What was read and what was rejected. Every rejected item is counted; the first {@link MAX_LISTED_PROBLEMS} are listed. */
export interface Integrity {
  /** Items read from the source (lines, log events, stream records, archive documents). */
  read: number;
  valid: number;
  rejected: number;
  byKind: Record<ProblemKind, number>;
  problems: Problem[];
  /** True when more problems were found than are listed. */
  problemsTruncated: boolean;
  /** Selected records without an EventBridge envelope: their account is the record's own word. */
  unverified: number;
}

export const MAX_LISTED_PROBLEMS = 10_000;

/** Integrity figures for records and problems already in memory. Pure. */
export function integrityOf(read: number, problems: readonly Problem[], unverified = 0): Integrity {
  const byKind = Object.fromEntries(PROBLEM_KINDS.map((kind) => [kind, 0])) as Record<ProblemKind, number>;
  for (const problem of problems) byKind[problem.kind]++;
  return {
    read,
    valid: read - problems.length,
    rejected: problems.length,
    byKind,
    problems: problems.slice(0, MAX_LISTED_PROBLEMS),
    problemsTruncated: problems.length > MAX_LISTED_PROBLEMS,
    unverified,
  };
}

export type OutcomeCounts = Record<Outcome, number>;

export interface ResourceRef {
  guardrail: string;
  account: string;
  region: string;
  resourceType: string;
  resource: string;
}

export interface FailingResource extends ResourceRef {
  /** `failed`, or `escalated` (logwarden stopped re-applying a flapping resource, which stays out of policy). */
  outcome: Outcome;
  time: string;
  reason: string;
  runbook: string;
  retryable: boolean;
}

/** A policy exemption in use: the latest record of the resource is `exempt`, and it has not expired. */
export interface ExemptionInUse extends ResourceRef {
  expires: string;
  approver: string | null;
  ticket: string | null;
  /** The latest `exempt` record. */
  lastSeen: string;
}

/** A resource left alone (`ignored`) by its latest record, with the reason: an exclusion, out of scope, … */
export interface IgnoredResource extends ResourceRef {
  time: string;
  reason: string;
}

/** Ignored resources listed in the summary; `ignored.total` always counts them all. */
export const MAX_LISTED_IGNORED = 1_000;

/** Remediated this many times or more, a resource is a flapping candidate: something keeps switching it off. */
export const FLAPPING_MIN = 2;

/** Exemptions ending within this many days are listed apart, to renew or let lapse. */
export const EXEMPTION_EXPIRING_DAYS = 14;

export interface AuditSummary {
  /** Time of the oldest and newest record selected, and the time heartbeats are judged at. */
  window: { first: string | null; last: string | null; asOf: string };
  integrity: Integrity;
  /** Valid records that passed the filters; every figure below is over these. */
  selected: number;
  byOutcome: OutcomeCounts;
  /** Counts by guardrail × outcome, guardrails by name. */
  byGuardrail: { guardrail: string; total: number; outcomes: OutcomeCounts }[];
  /** Resources remediated most often: flapping candidates when count ≥ 2. */
  topRemediated: (ResourceRef & { count: number; first: string; last: string })[];
  /**
   * Accounts with at least one failed or escalated record; `stillFailing` = resources whose latest
   * record is `failed` or `escalated`: what to follow up.
   */
  accountsWithFailures: {
    account: string;
    failed: number;
    escalated: number;
    lastFailure: string;
    stillFailing: FailingResource[];
  }[];
  /** Every deployment that sent a heartbeat, newest last; `stopped` when the last is older than the threshold. */
  heartbeats: { deployment: string; account: string; region: string; last: string; ageMs: number; stopped: boolean }[];
  /** Time to remediate: `durationMs` of remediated records (event received → state re-read and verified). */
  timeToRemediate: {
    count: number;
    p50Ms: number | null;
    p95Ms: number | null;
    byGuardrail: { guardrail: string; count: number; p50Ms: number | null; p95Ms: number | null }[];
  };
  /** Remediations per UTC day and guardrail, days in order. */
  remediationsPerDay: { day: string; byGuardrail: Record<string, number>; total: number }[];
  /** The newest remediated / failed / escalated / drift-detected / exempt records, newest first. */
  timeline: AuditRecord[];
  /**
   * Active exemptions (by expiry, soonest first), and those of them ending within
   * {@link EXEMPTION_EXPIRING_DAYS} days of `window.asOf`.
   */
  exemptions: { active: ExemptionInUse[]; expiringSoon: ExemptionInUse[] };
  /**
   * Resources whose latest record is `ignored` (records naming no resource left out), by guardrail,
   * account, region and id: every exclusion stays visible. The first {@link MAX_LISTED_IGNORED} are listed.
   */
  ignored: { total: number; resources: IgnoredResource[] };
  /** With `--verify`: the signature status of the selected records (unsigned, invalid and altered ones listed). */
  signatures?: SignatureReport;
}

function emptyOutcomeCounts(): OutcomeCounts {
  return Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as OutcomeCounts;
}

/** Nearest-rank percentile of ascending values. Pure. */
export function percentile(sorted: readonly number[], percent: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((percent / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

const refKey = (record: AuditRecord) =>
  `${record.guardrail}\u0000${record.account}\u0000${record.region}\u0000${record.resource.type}\u0000${record.resource.id}`;
const refOrder = (ref: ResourceRef) => [ref.guardrail, ref.account, ref.region, ref.resource].join('\u0000');
const refOf = (record: AuditRecord): ResourceRef => ({
  guardrail: record.guardrail,
  account: record.account,
  region: record.region,
  resourceType: record.resource.type,
  resource: record.resource.id,
});

const NOTABLE: ReadonlySet<Outcome> = new Set(['remediated', 'failed', 'drift-detected', 'exempt', 'escalated']);
/** Outcomes that leave a resource out of policy until someone acts. */
const FOLLOW_UP: ReadonlySet<Outcome> = new Set(['failed', 'escalated']);

/**
 * Builds the summary one record at a time, so a summary of millions of records never holds them
 * all. Records may arrive in any order.
 */
export class SummaryBuilder {
  private selected = 0;
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;
  private readonly byOutcome = emptyOutcomeCounts();
  private readonly byGuardrail = new Map<string, OutcomeCounts>();
  private readonly remediated = new Map<string, { ref: ResourceRef; count: number; first: number; last: number }>();
  /** Per resource: the time of its latest record, and what to follow up when that record is a failure. Nothing more, to stay small. */
  private readonly latest = new Map<
    string,
    { time: number; failing: FailingResource | null; exempt: ExemptionInUse | null; ignored: IgnoredResource | null }
  >();
  private readonly failures = new Map<string, { failed: number; escalated: number; last: number }>();
  private readonly beats = new Map<string, { account: string; region: string; last: number }>();
  private readonly durations = new Map<string, number[]>();
  private readonly perDay = new Map<string, Map<string, number>>();
  private timeline: { time: number; record: AuditRecord }[] = [];

  add(record: AuditRecord): void {
    const time = Date.parse(record.time);
    this.selected++;
    if (time < this.first) this.first = time;
    if (time > this.last) this.last = time;
    this.byOutcome[record.outcome]++;
    let guardrailCounts = this.byGuardrail.get(record.guardrail);
    if (!guardrailCounts) {
      guardrailCounts = emptyOutcomeCounts();
      this.byGuardrail.set(record.guardrail, guardrailCounts);
    }
    guardrailCounts[record.outcome]++;

    // A deployment's own beat; the heartbeat monitor's records (`HeartbeatCheck`) are findings about one, not beats.
    const isBeat = record.trigger.eventName !== MONITOR_EVENT_NAME;
    if (record.guardrail === HEARTBEAT_GUARDRAIL && record.resource.type === DEPLOYMENT_RESOURCE_TYPE && isBeat) {
      const deployment = `${record.account}/${record.region}`;
      const beat = this.beats.get(deployment);
      if (!beat) this.beats.set(deployment, { account: record.account, region: record.region, last: time });
      else if (time > beat.last) beat.last = time;
      return;
    }

    const key = refKey(record);
    const latest = this.latest.get(key);
    if (!latest || time >= latest.time) {
      this.latest.set(key, {
        time,
        failing: FOLLOW_UP.has(record.outcome)
          ? {
              ...refOf(record),
              outcome: record.outcome,
              time: record.time,
              reason: record.reason,
              runbook: record.runbook,
              retryable: record.retryable,
            }
          : null,
        exempt: exemptionInUse(record),
        ignored: ignoredResource(record),
      });
    }

    if (record.outcome === 'remediated') {
      const remediated = this.remediated.get(key);
      if (!remediated) this.remediated.set(key, { ref: refOf(record), count: 1, first: time, last: time });
      else {
        remediated.count++;
        if (time < remediated.first) remediated.first = time;
        if (time > remediated.last) remediated.last = time;
      }
      let durations = this.durations.get(record.guardrail);
      if (!durations) {
        durations = [];
        this.durations.set(record.guardrail, durations);
      }
      durations.push(record.durationMs);
      const day = new Date(time).toISOString().slice(0, 10);
      let perGuardrail = this.perDay.get(day);
      if (!perGuardrail) {
        perGuardrail = new Map();
        this.perDay.set(day, perGuardrail);
      }
      perGuardrail.set(record.guardrail, (perGuardrail.get(record.guardrail) ?? 0) + 1);
    }
    if (FOLLOW_UP.has(record.outcome)) {
      let failures = this.failures.get(record.account);
      if (!failures) {
        failures = { failed: 0, escalated: 0, last: time };
        this.failures.set(record.account, failures);
      }
      if (record.outcome === 'failed') failures.failed++;
      else failures.escalated++;
      if (time > failures.last) failures.last = time;
    }
    if (NOTABLE.has(record.outcome)) {
      this.timeline.push({ time, record });
      if (this.timeline.length >= TIMELINE_SIZE * 2) this.trimTimeline();
    }
  }

  private trimTimeline(): void {
    this.timeline.sort((a, b) => b.time - a.time);
    this.timeline.length = Math.min(this.timeline.length, TIMELINE_SIZE);
  }

  result(
    options: {
      now?: Date;
      until?: Date;
      heartbeatStaleMs?: number;
      top?: number;
      integrity?: Integrity;
      signatures?: SignatureReport;
    } = {},
  ): AuditSummary {
    const asOf = options.until && (!options.now || options.until < options.now) ? options.until : (options.now ?? new Date());
    const stale = options.heartbeatStaleMs ?? DEFAULT_HEARTBEAT_STALE_MS;
    const iso = (time: number) => new Date(time).toISOString();

    const stillFailing = new Map<string, FailingResource[]>();
    for (const { failing } of this.latest.values()) {
      if (!failing) continue;
      const list = stillFailing.get(failing.account) ?? [];
      list.push(failing);
      stillFailing.set(failing.account, list);
    }

    const allDurations: number[] = [];
    const byGuardrailDurations = [...this.durations.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([guardrail, list]) => {
        const sorted = [...list].sort((a, b) => a - b);
        allDurations.push(...list);
        return { guardrail, count: sorted.length, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95) };
      });
    allDurations.sort((a, b) => a - b);

    this.trimTimeline();
    const exemptions = this.exemptionsAt(asOf);
    return {
      window: {
        first: this.selected > 0 ? iso(this.first) : null,
        last: this.selected > 0 ? iso(this.last) : null,
        asOf: asOf.toISOString(),
      },
      integrity: options.integrity ?? integrityOf(this.selected, []),
      selected: this.selected,
      byOutcome: { ...this.byOutcome },
      byGuardrail: [...this.byGuardrail.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([guardrail, outcomes]) => ({
          guardrail,
          total: Object.values(outcomes).reduce((sum, count) => sum + count, 0),
          outcomes: { ...outcomes },
        })),
      topRemediated: [...this.remediated.values()]
        .sort((a, b) => b.count - a.count || b.last - a.last || a.ref.resource.localeCompare(b.ref.resource))
        .slice(0, options.top ?? DEFAULT_TOP)
        .map((remediated) => ({
          ...remediated.ref,
          count: remediated.count,
          first: iso(remediated.first),
          last: iso(remediated.last),
        })),
      accountsWithFailures: [...this.failures.entries()]
        .sort(
          ([accountA, failuresA], [accountB, failuresB]) =>
            failuresB.failed + failuresB.escalated - (failuresA.failed + failuresA.escalated) || accountA.localeCompare(accountB),
        )
        .map(([account, failures]) => ({
          account,
          failed: failures.failed,
          escalated: failures.escalated,
          lastFailure: iso(failures.last),
          stillFailing: (stillFailing.get(account) ?? []).sort(
            (a, b) => a.time.localeCompare(b.time) || a.resource.localeCompare(b.resource),
          ),
        })),
      heartbeats: [...this.beats.entries()]
        .map(([deployment, beat]) => {
          const ageMs = asOf.getTime() - beat.last;
          return { deployment, account: beat.account, region: beat.region, last: iso(beat.last), ageMs, stopped: ageMs > stale };
        })
        .sort((a, b) => a.last.localeCompare(b.last) || a.deployment.localeCompare(b.deployment)),
      timeToRemediate: {
        count: allDurations.length,
        p50Ms: percentile(allDurations, 50),
        p95Ms: percentile(allDurations, 95),
        byGuardrail: byGuardrailDurations,
      },
      remediationsPerDay: [...this.perDay.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([day, perGuardrail]) => ({
          day,
          byGuardrail: Object.fromEntries([...perGuardrail.entries()].sort(([a], [b]) => a.localeCompare(b))),
          total: [...perGuardrail.values()].reduce((sum, count) => sum + count, 0),
        })),
      timeline: this.timeline.map((entry) => entry.record),
      exemptions,
      ignored: this.ignoredResources(),
      ...(options.signatures ? { signatures: options.signatures } : {}),
    };
  }

  /** Resources whose latest record is `ignored`, in a stable order. */
  private ignoredResources(): AuditSummary['ignored'] {
    const all = [...this.latest.values()].flatMap(({ ignored }) => (ignored ? [ignored] : []));
    all.sort((a, b) => refOrder(a).localeCompare(refOrder(b)));
    return { total: all.length, resources: all.slice(0, MAX_LISTED_IGNORED) };
  }

  /** Exemptions whose resource's latest record is `exempt` and that have not ended at `asOf`. */
  private exemptionsAt(asOf: Date): AuditSummary['exemptions'] {
    const soon = asOf.getTime() + EXEMPTION_EXPIRING_DAYS * 86_400_000;
    const active = [...this.latest.values()]
      .flatMap(({ exempt }) => (exempt && expiryOf(exempt.expires) > asOf.getTime() ? [exempt] : []))
      .sort((a, b) => expiryOf(a.expires) - expiryOf(b.expires) || a.resource.localeCompare(b.resource));
    return { active, expiringSoon: active.filter((e) => expiryOf(e.expires) <= soon) };
  }
}

/** The resource an `ignored` record left alone, or null (not ignored, or about no resource). */
function ignoredResource(record: AuditRecord): IgnoredResource | null {
  if (record.outcome !== 'ignored' || record.resource.id === 'unknown') return null;
  return { ...refOf(record), time: record.time, reason: record.reason };
}

/** The exemption an `exempt` record carries, or null (older records carry none). */
function exemptionInUse(record: AuditRecord): ExemptionInUse | null {
  if (record.outcome !== 'exempt' || !record.exemption) return null;
  return { ...refOf(record), ...record.exemption, lastSeen: record.time };
}

/** The summary of a list of records. Pure. */
export function summarize(records: Iterable<AuditRecord>, options: Parameters<SummaryBuilder['result']>[0] = {}): AuditSummary {
  const builder = new SummaryBuilder();
  for (const record of records) builder.add(record);
  return builder.result(options);
}

/** Does the summary hold something a reviewer must act on? (the `1` exit code) */
export function hasFindings(summary: AuditSummary): boolean {
  return (
    summary.integrity.rejected > 0 ||
    signatureFindings(summary.signatures) > 0 ||
    summary.accountsWithFailures.some((account) => account.stillFailing.length > 0) ||
    summary.heartbeats.some((heartbeat) => heartbeat.stopped)
  );
}
