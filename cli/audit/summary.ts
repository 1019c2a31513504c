import {
  type AuditRecord,
  DEPLOYMENT_RESOURCE_TYPE,
  HEARTBEAT_GUARDRAIL,
  OUTCOMES,
  type Outcome,
} from '../../controllers/core/record.js';
import type { Problem, ProblemKind } from './parse.js';

/** Heartbeats come every 15 minutes by default; four missed beats and the deployment counts as silent. */
const DEFAULT_HEARTBEAT_STALE_MS = 3_600_000;
export const DEFAULT_TOP = 10;
/** Remediated, failed, escalated, drift-detected and exempt records kept for the timeline of the HTML report. */
const TIMELINE_SIZE = 200;

const PROBLEM_KINDS: readonly ProblemKind[] = [
  'malformed-json',
  'unknown-schema-version',
  'invalid-record',
  'not-an-audit-record',
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
}

export const MAX_LISTED_PROBLEMS = 10_000;

/** Integrity figures for records and problems already in memory. Pure. */
export function integrityOf(read: number, problems: readonly Problem[]): Integrity {
  const byKind = Object.fromEntries(PROBLEM_KINDS.map((k) => [k, 0])) as Record<ProblemKind, number>;
  for (const p of problems) byKind[p.kind]++;
  return {
    read,
    valid: read - problems.length,
    rejected: problems.length,
    byKind,
    problems: problems.slice(0, MAX_LISTED_PROBLEMS),
    problemsTruncated: problems.length > MAX_LISTED_PROBLEMS,
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
}

function emptyOutcomeCounts(): OutcomeCounts {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as OutcomeCounts;
}

/** Nearest-rank percentile of ascending values. Pure. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

const refKey = (r: AuditRecord) =>
  `${r.guardrail}\u0000${r.account}\u0000${r.region}\u0000${r.resource.type}\u0000${r.resource.id}`;
const refOf = (r: AuditRecord): ResourceRef => ({
  guardrail: r.guardrail,
  account: r.account,
  region: r.region,
  resourceType: r.resource.type,
  resource: r.resource.id,
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
  private readonly latest = new Map<string, { t: number; failing: FailingResource | null }>();
  private readonly failures = new Map<string, { failed: number; escalated: number; last: number }>();
  private readonly beats = new Map<string, { account: string; region: string; last: number }>();
  private readonly durations = new Map<string, number[]>();
  private readonly perDay = new Map<string, Map<string, number>>();
  private timeline: { t: number; record: AuditRecord }[] = [];

  add(r: AuditRecord): void {
    const t = Date.parse(r.time);
    this.selected++;
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
    this.byOutcome[r.outcome]++;
    let g = this.byGuardrail.get(r.guardrail);
    if (!g) {
      g = emptyOutcomeCounts();
      this.byGuardrail.set(r.guardrail, g);
    }
    g[r.outcome]++;

    if (r.guardrail === HEARTBEAT_GUARDRAIL && r.resource.type === DEPLOYMENT_RESOURCE_TYPE) {
      const key = `${r.account}/${r.region}`;
      const b = this.beats.get(key);
      if (!b) this.beats.set(key, { account: r.account, region: r.region, last: t });
      else if (t > b.last) b.last = t;
      return;
    }

    const key = refKey(r);
    const latest = this.latest.get(key);
    if (!latest || t >= latest.t) {
      this.latest.set(key, {
        t,
        failing: FOLLOW_UP.has(r.outcome)
          ? { ...refOf(r), outcome: r.outcome, time: r.time, reason: r.reason, runbook: r.runbook, retryable: r.retryable }
          : null,
      });
    }

    if (r.outcome === 'remediated') {
      const e = this.remediated.get(key);
      if (!e) this.remediated.set(key, { ref: refOf(r), count: 1, first: t, last: t });
      else {
        e.count++;
        if (t < e.first) e.first = t;
        if (t > e.last) e.last = t;
      }
      let d = this.durations.get(r.guardrail);
      if (!d) {
        d = [];
        this.durations.set(r.guardrail, d);
      }
      d.push(r.durationMs);
      const day = new Date(t).toISOString().slice(0, 10);
      let perGuardrail = this.perDay.get(day);
      if (!perGuardrail) {
        perGuardrail = new Map();
        this.perDay.set(day, perGuardrail);
      }
      perGuardrail.set(r.guardrail, (perGuardrail.get(r.guardrail) ?? 0) + 1);
    }
    if (FOLLOW_UP.has(r.outcome)) {
      let f = this.failures.get(r.account);
      if (!f) {
        f = { failed: 0, escalated: 0, last: t };
        this.failures.set(r.account, f);
      }
      if (r.outcome === 'failed') f.failed++;
      else f.escalated++;
      if (t > f.last) f.last = t;
    }
    if (NOTABLE.has(r.outcome)) {
      this.timeline.push({ t, record: r });
      if (this.timeline.length >= TIMELINE_SIZE * 2) this.trimTimeline();
    }
  }

  private trimTimeline(): void {
    this.timeline.sort((a, b) => b.t - a.t);
    this.timeline.length = Math.min(this.timeline.length, TIMELINE_SIZE);
  }

  result(
    options: { now?: Date; until?: Date; heartbeatStaleMs?: number; top?: number; integrity?: Integrity } = {},
  ): AuditSummary {
    const asOf = options.until && (!options.now || options.until < options.now) ? options.until : (options.now ?? new Date());
    const stale = options.heartbeatStaleMs ?? DEFAULT_HEARTBEAT_STALE_MS;
    const iso = (t: number) => new Date(t).toISOString();

    const stillFailing = new Map<string, FailingResource[]>();
    for (const { failing } of this.latest.values()) {
      if (!failing) continue;
      const list = stillFailing.get(failing.account) ?? [];
      list.push(failing);
      stillFailing.set(failing.account, list);
    }

    const all: number[] = [];
    const byGuardrailDurations = [...this.durations.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([guardrail, list]) => {
        const sorted = [...list].sort((a, b) => a - b);
        all.push(...list);
        return { guardrail, count: sorted.length, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95) };
      });
    all.sort((a, b) => a - b);

    this.trimTimeline();
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
          total: Object.values(outcomes).reduce((s, n) => s + n, 0),
          outcomes: { ...outcomes },
        })),
      topRemediated: [...this.remediated.values()]
        .sort((a, b) => b.count - a.count || b.last - a.last || a.ref.resource.localeCompare(b.ref.resource))
        .slice(0, options.top ?? DEFAULT_TOP)
        .map((e) => ({ ...e.ref, count: e.count, first: iso(e.first), last: iso(e.last) })),
      accountsWithFailures: [...this.failures.entries()]
        .sort(([a, x], [b, y]) => y.failed + y.escalated - (x.failed + x.escalated) || a.localeCompare(b))
        .map(([account, f]) => ({
          account,
          failed: f.failed,
          escalated: f.escalated,
          lastFailure: iso(f.last),
          stillFailing: (stillFailing.get(account) ?? []).sort(
            (a, b) => a.time.localeCompare(b.time) || a.resource.localeCompare(b.resource),
          ),
        })),
      heartbeats: [...this.beats.entries()]
        .map(([deployment, b]) => {
          const ageMs = asOf.getTime() - b.last;
          return { deployment, account: b.account, region: b.region, last: iso(b.last), ageMs, stopped: ageMs > stale };
        })
        .sort((a, b) => a.last.localeCompare(b.last) || a.deployment.localeCompare(b.deployment)),
      timeToRemediate: {
        count: all.length,
        p50Ms: percentile(all, 50),
        p95Ms: percentile(all, 95),
        byGuardrail: byGuardrailDurations,
      },
      remediationsPerDay: [...this.perDay.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([day, m]) => ({
          day,
          byGuardrail: Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b))),
          total: [...m.values()].reduce((s, n) => s + n, 0),
        })),
      timeline: this.timeline.map((e) => e.record),
    };
  }
}

/** The summary of a list of records. Pure. */
export function summarize(records: Iterable<AuditRecord>, options: Parameters<SummaryBuilder['result']>[0] = {}): AuditSummary {
  const b = new SummaryBuilder();
  for (const r of records) b.add(r);
  return b.result(options);
}

/** Does the summary hold something a reviewer must act on? (the `1` exit code) */
export function hasFindings(s: AuditSummary): boolean {
  return (
    s.integrity.rejected > 0 ||
    s.accountsWithFailures.some((a) => a.stillFailing.length > 0) ||
    s.heartbeats.some((h) => h.stopped)
  );
}
