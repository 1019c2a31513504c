import { randomUUID } from 'node:crypto';
import type { AwsClients } from './aws.js';
import { errorCode, errorMessage, isRetryable } from './errors.js';
import { exemptionFrom } from './exemptions.js';
import { type FlapStore, flapDecision } from './flapping.js';
import { classify, sessionIssuerArn } from './intake.js';
import { DEFAULT_LEASE_SETTINGS, type LeaseSettings, type LeaseStore } from './lease.js';
import type { Logger } from './log.js';
import { isOwnRole, type Policy } from './policy.js';
import {
  type ActionResult,
  type AuditRecord,
  type Drift,
  type Outcome,
  type ResourceId,
  SCHEMA_VERSION,
  type Trigger,
} from './record.js';
import type { AnyGuardrail, CloudTrailDetail, GuardrailPolicyBase, Listing, ResourceRef, Scope } from './types.js';

export interface ControllerOptions {
  guardrails: readonly AnyGuardrail[];
  policy: Policy;
  /** The account this controller governs. */
  account: string;
  clients: AwsClients;
  logger: Logger;
  now?: () => Date;
  /** Detect only, whatever the policy's mode (`remediate --dry-run`, `scan`). */
  dryRun?: boolean;
  /** Per-resource remediation history for flapping detection. Absent: no flapping guard. */
  flapStore?: FlapStore;
  /**
   * Per-resource leases: concurrent invocations for one resource do not all write. Absent: no lease
   * (one process, or tests that do not need it).
   */
  leaseStore?: LeaseStore;
  leaseSettings?: Partial<LeaseSettings>;
}

/** What the pure checks decided about an observed state: a final record, or the drift to fix. */
type Assessment = { record: AuditRecord } | { drift: Drift[]; steps: { api: string }[]; note: string };

/** Run `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, U>(items: readonly T[], limit: number, fn: (item: T) => Promise<U>): Promise<U[]> {
  const out: U[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** `aws.cloudtrail` from `cloudtrail.amazonaws.com`. */
export function sourceOf(eventSource: string): string {
  return `aws.${eventSource.split('.')[0]}`;
}

interface RecordInput {
  guardrail: string;
  account: string;
  region: string;
  resource: ResourceId;
  trigger: Trigger;
  outcome: Outcome;
  reason: string;
  mode?: AuditRecord['mode'];
  drift?: Drift[];
  actions?: ActionResult[];
  verified?: boolean | null;
  retryable?: boolean;
  started: number;
  runbook: string;
}

/**
 * The reconcile loop shared by every guardrail: intake → filters → resource refs →
 * observe → exemption → diff → plan → act → verify → exactly one audit record per resource and trigger.
 */
export class Controller {
  private readonly o: Required<Omit<ControllerOptions, 'dryRun' | 'flapStore' | 'leaseStore' | 'leaseSettings'>> & {
    dryRun: boolean;
    flapStore?: FlapStore;
    leaseStore?: LeaseStore;
    leaseSettings: LeaseSettings;
  };

  constructor(options: ControllerOptions) {
    this.o = {
      ...options,
      now: options.now ?? (() => new Date()),
      dryRun: options.dryRun ?? false,
      leaseSettings: { ...DEFAULT_LEASE_SETTINGS, ...options.leaseSettings },
    };
  }

  get guardrails(): readonly AnyGuardrail[] {
    return this.o.guardrails;
  }

  private record(r: RecordInput): AuditRecord {
    return {
      schemaVersion: SCHEMA_VERSION,
      id: randomUUID(),
      time: this.o.now().toISOString(),
      guardrail: r.guardrail,
      account: r.account,
      region: r.region,
      resource: r.resource,
      trigger: r.trigger,
      outcome: r.outcome,
      reason: r.reason,
      mode: r.mode ?? (this.o.dryRun ? 'dry-run' : 'remediate'),
      drift: r.drift ?? [],
      actions: r.actions ?? [],
      verified: r.verified ?? null,
      retryable: r.retryable ?? false,
      durationMs: Math.max(0, Date.now() - r.started),
      runbook: r.runbook,
    };
  }

  private sectionOf(g: AnyGuardrail): GuardrailPolicyBase | undefined {
    return this.o.policy.guardrails[g.name] as GuardrailPolicyBase | undefined;
  }

  private scope(g: AnyGuardrail, region: string): Scope<GuardrailPolicyBase> {
    return {
      account: this.o.account,
      region,
      policy: this.sectionOf(g) as GuardrailPolicyBase,
      clients: this.o.clients,
      logger: this.o.logger,
      now: this.o.now,
    };
  }

  /** Handle a batch of events. Never throws for bad input: every event ends in records. */
  async handleEvents(inputs: readonly unknown[]): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    for (const input of inputs) out.push(...(await this.handleEvent(input)));
    return out;
  }

  /** Handle one EventBridge event. */
  async handleEvent(input: unknown): Promise<AuditRecord[]> {
    const started = Date.now();
    const intake = classify(input);
    const ignoredBy = (guardrail: string, resource: ResourceId, reason: string, runbook = 'README.md'): AuditRecord =>
      this.record({
        guardrail,
        account: intake.account ?? this.o.account,
        region: intake.region ?? 'unknown',
        resource,
        trigger: intake.trigger,
        outcome: 'ignored',
        reason,
        started,
        runbook,
      });
    const unknownResource: ResourceId = { type: 'unknown', id: 'unknown', arn: null };

    if (intake.kind === 'invalid') return [ignoredBy('logwarden', unknownResource, intake.reason)];

    let targets: AnyGuardrail[];
    if (intake.kind === 'cloudtrail') {
      const source = sourceOf(intake.detail.eventSource);
      targets = this.o.guardrails.filter((g) =>
        g.cloudTrailEvents.some((e) => e.source === source && e.eventNames.includes(intake.detail.eventName)),
      );
      if (targets.length === 0) {
        return [
          ignoredBy('logwarden', unknownResource, `no guardrail reacts to ${source} ${intake.detail.eventName.slice(0, 100)}`),
        ];
      }
    } else if (intake.kind === 'config') {
      targets = this.o.guardrails.filter((g) => g.resourceType === intake.resourceType);
      if (targets.length === 0) {
        return [
          ignoredBy('logwarden', unknownResource, `no guardrail governs resource type ${intake.resourceType.slice(0, 100)}`),
        ];
      }
    } else {
      targets = intake.guardrail ? this.o.guardrails.filter((g) => g.name === intake.guardrail) : [...this.o.guardrails];
      if (targets.length === 0)
        return [ignoredBy('logwarden', unknownResource, `sweep for unknown guardrail "${intake.guardrail}"`)];
    }

    const records: AuditRecord[] = [];
    for (const g of targets) {
      const resource: ResourceId = { type: g.resourceType, id: 'unknown', arn: null };
      const ignore = (reason: string, res: ResourceId = resource) => records.push(ignoredBy(g.name, res, reason, g.runbook));
      if (!this.sectionOf(g)) {
        ignore(`guardrail ${g.name} is not enabled in the policy`);
        continue;
      }
      // Filters before any write.
      if (intake.account !== this.o.account) {
        ignore(`event for account ${intake.account}; this controller governs ${this.o.account}`);
        continue;
      }
      if (this.o.policy.controller.excludeAccounts.includes(intake.account)) {
        ignore(`account ${intake.account} is excluded by the policy`);
        continue;
      }
      if (!this.o.policy.controller.regions.includes(intake.region)) {
        ignore(`region ${intake.region} is not governed by the policy`);
        continue;
      }
      if (intake.kind === 'cloudtrail') {
        const own = this.ownCall(intake.detail);
        if (intake.detail.errorCode) {
          ignore(`the ${intake.detail.eventName} call failed (${intake.detail.errorCode.slice(0, 200)}); nothing changed`);
          continue;
        }
        if (own) {
          ignore(`made by logwarden's own role ${own}`);
          continue;
        }
      }
      records.push(...(await this.handleFor(g, intake, started)));
    }
    return records;
  }

  private ownCall(detail: CloudTrailDetail): string | null {
    const issuer = sessionIssuerArn(detail.userIdentity);
    return issuer && isOwnRole(issuer, this.o.policy.controller.ownRoleArns) ? issuer : null;
  }

  private async handleFor(
    g: AnyGuardrail,
    intake: Exclude<ReturnType<typeof classify>, { kind: 'invalid' }>,
    started: number,
  ): Promise<AuditRecord[]> {
    const scope = this.scope(g, intake.region);
    if (intake.kind === 'sweep') return this.sweepOne(g, scope, intake.trigger);
    let resolution: Awaited<ReturnType<AnyGuardrail['refsFromCloudTrail']>>;
    try {
      resolution =
        intake.kind === 'cloudtrail'
          ? await g.refsFromCloudTrail(intake.detail, scope)
          : g.refFromResourceId(intake.resourceId, scope);
    } catch (error) {
      return [
        this.scopeRecord(g, scope, intake.trigger, started, {
          id: 'unknown',
          error,
          reason: 'could not tell which resource the event is about',
        }),
      ];
    }
    if ('ignore' in resolution) {
      const hint = resolution.resource ?? {};
      return [
        this.scopeRecord(g, scope, intake.trigger, started, {
          id: hint.id ?? 'unknown',
          arn: hint.arn,
          outcome: 'ignored',
          reason: resolution.ignore,
        }),
      ];
    }
    const unique = [...new Map(resolution.refs.map((r: ResourceRef) => [`${r.type}|${r.region}|${r.id}`, r])).values()];
    return mapLimit(unique, this.o.policy.controller.concurrency, (ref) =>
      this.reconcile(g, ref, scope, intake.trigger, resolution.preread?.get(ref.id)),
    );
  }

  /**
   * A record about one guardrail in one scope, before (or instead of) reconciling a resource: an
   * event that named nothing usable, a listing that failed. With `error`: outcome `failed`, its code
   * and message appended to the reason, retryable as the error says.
   */
  private scopeRecord(
    g: AnyGuardrail,
    scope: Scope<GuardrailPolicyBase>,
    trigger: Trigger,
    started: number,
    r: { id: string; arn?: string | null; reason: string } & ({ error: unknown } | { outcome: Outcome }),
  ): AuditRecord {
    const failed = 'error' in r;
    return this.record({
      guardrail: g.name,
      account: scope.account,
      region: scope.region,
      resource: { type: g.resourceType, id: r.id, arn: r.arn ?? null },
      trigger,
      outcome: failed ? 'failed' : r.outcome,
      reason: failed ? `${r.reason}: ${errorCode(r.error)}: ${errorMessage(r.error)}` : r.reason,
      retryable: failed ? isRetryable(r.error) : false,
      started,
      runbook: g.runbook,
    });
  }

  /** Sweep every governed resource of one guardrail in one region. */
  private async sweepOne(g: AnyGuardrail, scope: Scope<GuardrailPolicyBase>, trigger: Trigger): Promise<AuditRecord[]> {
    const started = Date.now();
    let listing: Listing<ResourceRef, unknown>;
    try {
      listing = await g.listRefs(scope);
    } catch (error) {
      return [this.scopeRecord(g, scope, trigger, started, { id: '*', error, reason: 'sweep could not list resources' })];
    }
    return mapLimit(listing.refs, this.o.policy.controller.concurrency, (ref) =>
      this.reconcile(g, ref, scope, trigger, listing.preread?.get(ref.id)),
    );
  }

  /** Sweep the given guardrails (default all enabled) in the given regions (default all governed). */
  async sweep(options: {
    trigger: Trigger;
    guardrails?: readonly string[];
    regions?: readonly string[];
  }): Promise<AuditRecord[]> {
    const regions = options.regions ?? this.o.policy.controller.regions;
    const out: AuditRecord[] = [];
    for (const g of this.o.guardrails) {
      if (options.guardrails && !options.guardrails.includes(g.name)) continue;
      if (!this.sectionOf(g)) continue;
      for (const region of regions) out.push(...(await this.sweepOne(g, this.scope(g, region), options.trigger)));
    }
    return out;
  }

  /** Has this resource been remediated too often lately? A broken store never blocks a remediation. */
  private async flapCheck(
    key: string,
  ): Promise<{ escalate: false; note?: string } | { escalate: true; count: number; resumesAt: Date }> {
    const store = this.o.flapStore;
    if (!store) return { escalate: false };
    const settings = this.o.policy.controller.flapping;
    const now = this.o.now().getTime();
    try {
      return flapDecision(await store.recent(key, now - settings.windowMinutes * 60_000), now, settings);
    } catch (error) {
      this.o.logger.warn('flap state unreadable; remediating anyway', { key, error: errorMessage(error) });
      return { escalate: false, note: `flap state unreadable: ${errorCode(error)}` };
    }
  }

  private async noteRemediation(key: string): Promise<string> {
    const store = this.o.flapStore;
    if (!store) return '';
    try {
      await store.add(key, this.o.now().getTime(), this.o.policy.controller.flapping.windowMinutes * 60_000);
      return '';
    } catch (error) {
      this.o.logger.warn('flap state not written', { key, error: errorMessage(error) });
      return ` (flap state not written: ${errorCode(error)})`;
    }
  }

  /**
   * Take the resource's lease, waiting (bounded polling) while another invocation holds it. A broken
   * store never blocks a remediation: the controller then goes on without a lease and says so.
   */
  private async takeLease(
    key: string,
  ): Promise<
    { kind: 'held'; owner: string; waitedMs: number } | { kind: 'busy'; waitedMs: number } | { kind: 'unavailable'; note: string }
  > {
    const store = this.o.leaseStore as LeaseStore;
    const { ttlMs, waitMs, pollMs } = this.o.leaseSettings;
    const owner = randomUUID();
    const started = Date.now();
    try {
      for (;;) {
        if (await store.acquire(key, owner, ttlMs, Date.now())) return { kind: 'held', owner, waitedMs: Date.now() - started };
        if (Date.now() - started >= waitMs) return { kind: 'busy', waitedMs: Date.now() - started };
        await new Promise((r) => setTimeout(r, pollMs * (0.5 + Math.random())));
      }
    } catch (error) {
      this.o.logger.warn('lease store unavailable; remediating without a lease', { key, error: errorMessage(error) });
      return { kind: 'unavailable', note: `lease not taken: ${errorCode(error)}` };
    }
  }

  private async releaseLease(key: string, owner: string): Promise<void> {
    try {
      await this.o.leaseStore?.release(key, owner);
    } catch (error) {
      // It expires on its own after its TTL.
      this.o.logger.warn('lease not released; it expires on its own', { key, error: errorMessage(error) });
    }
  }

  /** The pure checks on an observed state: skip, exemption, compliance, detect-only, report-only. */
  private assess(
    g: AnyGuardrail,
    ref: ResourceRef,
    scope: Scope<GuardrailPolicyBase>,
    state: unknown,
    desired: unknown,
    base: Omit<RecordInput, 'outcome' | 'reason'>,
  ): Assessment {
    const policy = scope.policy;
    const detectOnly = this.o.dryRun || policy.mode === 'notify';
    const mode = base.mode as AuditRecord['mode'];
    const skip = g.skipReason?.(ref, state, scope) ?? null;
    if (skip) return { record: this.record({ ...base, outcome: 'ignored', reason: skip }) };
    const exemption = exemptionFrom(g.tagsOf(state), this.o.now());
    if (exemption.exempt) {
      return {
        record: this.record({
          ...base,
          outcome: 'exempt',
          reason: `exempt: ${exemption.reason}${exemption.until ? ` (until ${exemption.until})` : ''}`,
          drift: g.diff(state, desired),
        }),
      };
    }
    const note = exemption.note ? ` (${exemption.note})` : '';
    const drift = g.diff(state, desired);
    if (drift.length === 0)
      return { record: this.record({ ...base, outcome: 'compliant', reason: `matches the policy${note}` }) };
    const steps = g.plan(state, desired, drift);
    if (detectOnly) {
      return {
        record: this.record({
          ...base,
          outcome: 'drift-detected',
          reason: `${drift.length} difference(s) from the policy; ${mode} mode, would run: ${steps.map((s: { api: string }) => s.api).join(', ') || 'nothing'}${note}`,
          drift,
        }),
      };
    }
    const reportOnly = g.reportOnly?.(ref, state, drift, policy) ?? null;
    if (reportOnly) {
      return {
        record: this.record({
          ...base,
          mode: 'notify',
          outcome: 'drift-detected',
          reason: `${drift.length} difference(s) from the policy, reported only: ${reportOnly}${note}`,
          drift,
        }),
      };
    }
    return { drift, steps, note };
  }

  /** Reconcile one resource: the level-based core. Always returns exactly one record. */
  async reconcile(
    g: AnyGuardrail,
    ref: ResourceRef,
    scope: Scope<GuardrailPolicyBase>,
    trigger: Trigger,
    preread?: unknown,
  ): Promise<AuditRecord> {
    const started = Date.now();
    const policy = scope.policy;
    const mode: AuditRecord['mode'] = this.o.dryRun ? 'dry-run' : policy.mode;
    const base = {
      guardrail: g.name,
      account: scope.account,
      region: ref.region,
      resource: { type: ref.type, id: ref.id, arn: ref.arn },
      trigger,
      mode,
      started,
      runbook: g.runbook,
    };
    let drift: Drift[] = [];
    const actions: ActionResult[] = [];
    const key = `${g.name}#${scope.account}#${ref.region}#${ref.id}`;
    let leaseOwner: string | null = null;
    try {
      const desired = g.desired(ref, policy);
      const first = preread !== undefined ? preread : await g.observe(ref, scope);
      let assessed = this.assess(g, ref, scope, first, desired, base);
      if ('record' in assessed) return assessed.record;
      drift = assessed.drift;
      let leaseNote = '';
      if (this.o.leaseStore) {
        // About to write: take the resource's lease, then observe again under it, since whoever held
        // it may have remediated meanwhile (then this invocation finds the resource compliant).
        const lease = await this.takeLease(key);
        if (lease.kind === 'busy') {
          return this.record({
            ...base,
            outcome: 'failed',
            reason: `another invocation has held the lease on this resource for ${Math.round(lease.waitedMs / 1000)} s; not written, to be retried`,
            drift,
            retryable: true,
          });
        }
        if (lease.kind === 'unavailable') leaseNote = ` (${lease.note})`;
        else {
          leaseOwner = lease.owner;
          assessed = this.assess(g, ref, scope, await g.observe(ref, scope), desired, base);
          if ('record' in assessed) return assessed.record;
          drift = assessed.drift;
        }
      }
      const { steps, note } = assessed;
      const flapKey = key;
      const flap = await this.flapCheck(flapKey);
      if (flap.escalate) {
        return this.record({
          ...base,
          outcome: 'escalated',
          reason: `remediated ${flap.count} times in the last ${this.o.policy.controller.flapping.windowMinutes} minutes: stopped re-applying (something keeps changing it back); resumes after ${flap.resumesAt.toISOString()}${note}`,
          drift,
        });
      }
      const flapNote = flap.note ? ` (${flap.note})` : '';
      for (const step of steps) {
        try {
          await g.apply(step, ref, desired, scope);
          actions.push({ api: step.api, ok: true, error: null });
        } catch (error) {
          actions.push({ api: step.api, ok: false, error: `${errorCode(error)}: ${errorMessage(error)}` });
          return this.record({
            ...base,
            outcome: 'failed',
            reason: `${step.api} failed: ${errorCode(error)}: ${errorMessage(error)}`,
            drift,
            actions,
            retryable: isRetryable(error),
          });
        }
      }
      const after = await g.observe(ref, scope, 'verify');
      const remaining = g.diff(after, desired);
      if (remaining.length > 0) {
        return this.record({
          ...base,
          outcome: 'failed',
          reason: `verification failed: still different after remediation: ${remaining.map((d) => d.property).join(', ')}`,
          drift,
          actions,
          verified: false,
          retryable: true,
        });
      }
      const noted = await this.noteRemediation(flapKey);
      return this.record({
        ...base,
        outcome: 'remediated',
        reason: `restored ${drift.map((d) => d.property).join(', ')}${note}${flapNote}${leaseNote}${noted}`,
        drift,
        actions,
        verified: true,
      });
    } catch (error) {
      return this.record({
        ...base,
        outcome: 'failed',
        reason: `${errorCode(error)}: ${errorMessage(error)}`,
        drift,
        actions,
        retryable: isRetryable(error),
      });
    } finally {
      if (leaseOwner) await this.releaseLease(key, leaseOwner);
    }
  }
}
