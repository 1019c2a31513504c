import { randomUUID } from 'node:crypto';
import type { AwsClients } from './aws.js';
import { mapLimit } from './concurrency.js';
import { type Decision, decide, resourceKey, withNotes } from './decide.js';
import { errorCode, errorMessage, isRetryable } from './errors.js';
import { type ExemptionGrant, tagRequestNotes } from './exemptions.js';
import { filteredOut } from './filters.js';
import { checkFlapping, type FlapCheck, type FlapStore, noteRemediation } from './flapping.js';
import { ACCOUNT_RESOURCE_TYPE, classify, configRuleName, type Intake } from './intake.js';
import { DEFAULT_LEASE_SETTINGS, type LeaseSettings, type LeaseStore, releaseLease, takeLease } from './lease.js';
import type { Logger } from './log.js';
import type { Policy } from './policy.js';
import {
  type ActionResult,
  type AuditRecord,
  type Drift,
  type Outcome,
  type ResourceId,
  SCHEMA_VERSION,
  type Trigger,
} from './record.js';
import type {
  AnyGuardrail,
  BatchItem,
  GuardrailPolicyBase,
  Listing,
  Resolution,
  ResourceRef,
  Scope,
  Step,
  StepOutputs,
} from './types.js';

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

/** `aws.cloudtrail` from `cloudtrail.amazonaws.com`. */
function sourceOf(eventSource: string): string {
  return `aws.${eventSource.split('.')[0]}`;
}

/** The key of a resource's flap history and lease in the state table: guardrail, account, type, region, id. */
export function stateKey(guardrail: string, account: string, ref: Pick<ResourceRef, 'type' | 'region' | 'id'>): string {
  return `${guardrail}#${account}#${resourceKey(ref)}`;
}

/** What every record of one reconciliation shares. */
interface RecordBase {
  guardrail: string;
  account: string;
  region: string;
  resource: ResourceId;
  trigger: Trigger;
  mode: AuditRecord['mode'];
  started: number;
  runbook: string;
}

interface RecordFields {
  outcome: Outcome;
  reason: string;
  mode?: AuditRecord['mode'];
  drift?: Drift[];
  actions?: ActionResult[];
  verified?: boolean | null;
  retryable?: boolean;
  exemption?: ExemptionGrant;
}

/** One resource being reconciled: the guardrail, where, why, and the record fields it shares. */
interface Reconciliation {
  guardrail: AnyGuardrail;
  ref: ResourceRef;
  scope: Scope<GuardrailPolicyBase>;
  desired: unknown;
  base: RecordBase;
  key: string;
  /** Notes on exemption tags read on drift (`readTags`), read at most once per reconciliation. */
  tagNotes?: string[];
}

/** A decision to remediate, with the state it was made on. */
type RemediateDecision = Extract<Decision, { kind: 'remediate' }> & { state: unknown };

type Resolved = Exclude<Intake, { kind: 'invalid' }>;

/** A resource decided to be remediated, not yet written. */
interface Pending {
  run: Reconciliation;
  decision: RemediateDecision;
}

/** A resource of a batched group, by its index in the group, with its flap check once made. */
interface Slot {
  i: number;
  pending: Pending;
  flap?: FlapCheck;
}

const itemOf = ({ pending }: Slot): BatchItem<ResourceRef, unknown, Step> => ({
  ref: pending.run.ref,
  state: pending.decision.state,
  step: pending.decision.steps[0] as Step,
});

const noted = (p: Pending, note: string): Pending => ({ ...p, decision: { ...p.decision, notes: [...p.decision.notes, note] } });

const actionFailed = (api: string, error: unknown): ActionResult => ({
  api,
  ok: false,
  error: `${errorCode(error)}: ${errorMessage(error)}`,
});

/**
 * The reconcile loop shared by every guardrail: intake → filters → resource refs → observe →
 * decide (scope, exemption, diff, plan) → lease → act → verify → exactly one audit record per
 * resource and trigger.
 */
export class Controller {
  private readonly options: ControllerOptions & { now: () => Date; dryRun: boolean; leaseSettings: LeaseSettings };

  constructor(options: ControllerOptions) {
    this.options = {
      ...options,
      now: options.now ?? (() => new Date()),
      dryRun: options.dryRun ?? false,
      leaseSettings: { ...DEFAULT_LEASE_SETTINGS, ...options.leaseSettings },
    };
  }

  get guardrails(): readonly AnyGuardrail[] {
    return this.options.guardrails;
  }

  private get policy(): Policy {
    return this.options.policy;
  }

  private record(base: RecordBase, fields: RecordFields): AuditRecord {
    return {
      schemaVersion: SCHEMA_VERSION,
      id: randomUUID(),
      time: this.options.now().toISOString(),
      guardrail: base.guardrail,
      account: base.account,
      region: base.region,
      resource: base.resource,
      trigger: base.trigger,
      outcome: fields.outcome,
      reason: fields.reason,
      mode: fields.mode ?? base.mode,
      drift: fields.drift ?? [],
      actions: fields.actions ?? [],
      verified: fields.verified ?? null,
      retryable: fields.retryable ?? false,
      durationMs: Math.max(0, Date.now() - base.started),
      runbook: base.runbook,
      ...(fields.exemption ? { exemption: fields.exemption } : {}),
    };
  }

  private scope(
    guardrail: AnyGuardrail,
    region: string,
    trigger: Trigger,
    memo = new Map<string, unknown>(),
  ): Scope<GuardrailPolicyBase> {
    return {
      runId: trigger.eventId ?? randomUUID(),
      account: this.options.account,
      region,
      policy: this.policy.guardrails[guardrail.name] as GuardrailPolicyBase,
      clients: this.options.clients,
      logger: this.options.logger,
      now: this.options.now,
      memo,
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
    const ignored = (guardrail: string, runbook: string, resource: ResourceId, reason: string) =>
      this.record(
        {
          guardrail,
          account: intake.account ?? this.options.account,
          region: intake.region ?? 'unknown',
          resource,
          trigger: intake.trigger,
          mode: this.options.dryRun ? 'dry-run' : 'remediate',
          started,
          runbook,
        },
        { outcome: 'ignored', reason },
      );
    const unknownResource: ResourceId = { type: 'unknown', id: 'unknown', arn: null };
    if (intake.kind === 'invalid') return [ignored('logwarden', 'README.md', unknownResource, intake.reason)];
    const targets = this.targetsOf(intake);
    if ('ignore' in targets) return [ignored('logwarden', 'README.md', unknownResource, targets.ignore)];

    const records: AuditRecord[] = [];
    const memo = new Map<string, unknown>();
    for (const guardrail of targets.guardrails) {
      const reason = filteredOut({
        guardrail,
        policy: this.policy,
        governedAccount: this.options.account,
        account: intake.account,
        region: intake.region,
        call: intake.kind === 'cloudtrail' ? intake.detail : undefined,
      });
      const resource: ResourceId = { type: guardrail.resourceType, id: 'unknown', arn: null };
      if (reason) records.push(ignored(guardrail.name, guardrail.runbook, resource, reason));
      else
        records.push(
          ...(await this.handleFor(guardrail, intake, this.scope(guardrail, intake.region, intake.trigger, memo), started)),
        );
    }
    return records;
  }

  /** The guardrails an input is for, or why none is. */
  private targetsOf(intake: Resolved): { guardrails: AnyGuardrail[] } | { ignore: string } {
    const all = this.options.guardrails;
    if (intake.kind === 'cloudtrail') {
      const source = sourceOf(intake.detail.eventSource);
      const { eventName } = intake.detail;
      const guardrails = all.filter((g) =>
        g.cloudTrailEvents.some((e) => e.source === source && e.eventNames.includes(eventName)),
      );
      return guardrails.length > 0 ? { guardrails } : { ignore: `no guardrail reacts to ${source} ${eventName.slice(0, 100)}` };
    }
    if (intake.kind === 'config' && intake.resourceType === ACCOUNT_RESOURCE_TYPE) {
      // An account-level evaluation of a guardrail's own Config rule: the guardrail sweeps the account.
      const guardrails = all.filter((g) => configRuleName(g.name) === intake.configRuleName);
      if (guardrails.length > 0) return { guardrails };
      return {
        ignore: `account-level evaluation of ${intake.configRuleName.slice(0, 100)}, which is no guardrail's Config rule`,
      };
    }
    if (intake.kind === 'config') {
      const guardrails = all.filter((g) => g.resourceType === intake.resourceType);
      if (guardrails.length > 0) return { guardrails };
      return { ignore: `no guardrail governs resource type ${intake.resourceType.slice(0, 100)}` };
    }
    const guardrails = intake.guardrail ? all.filter((g) => g.name === intake.guardrail) : [...all];
    return guardrails.length > 0 ? { guardrails } : { ignore: `sweep for unknown guardrail "${intake.guardrail}"` };
  }

  private async handleFor(
    guardrail: AnyGuardrail,
    intake: Resolved,
    scope: Scope<GuardrailPolicyBase>,
    started: number,
  ): Promise<AuditRecord[]> {
    const accountLevel = intake.kind === 'config' && intake.resourceType === ACCOUNT_RESOURCE_TYPE;
    if (intake.kind === 'sweep' || accountLevel) return this.sweepOne(guardrail, scope, intake.trigger);
    let resolution: Resolution<ResourceRef, unknown>;
    try {
      resolution =
        intake.kind === 'cloudtrail'
          ? await guardrail.refsFromCloudTrail(intake.detail, scope)
          : guardrail.refFromResourceId(intake.resourceId, scope);
    } catch (error) {
      const reason = 'could not tell which resource the event is about';
      return [this.scopeRecord(guardrail, scope, intake.trigger, started, { id: 'unknown', error, reason })];
    }
    if ('ignore' in resolution) {
      const hint = resolution.resource ?? {};
      const fields = { id: hint.id ?? 'unknown', arn: hint.arn, outcome: 'ignored' as const, reason: resolution.ignore };
      return [this.scopeRecord(guardrail, scope, intake.trigger, started, fields)];
    }
    return this.reconcileAll(guardrail, resolution, scope, intake.trigger);
  }

  /** Reconcile every listed resource once (duplicates by type, region and id dropped), bounded in parallel. */
  private reconcileAll(
    guardrail: AnyGuardrail,
    listing: Listing<ResourceRef, unknown>,
    scope: Scope<GuardrailPolicyBase>,
    trigger: Trigger,
  ): Promise<AuditRecord[]> {
    const unique = [...new Map(listing.refs.map((r) => [resourceKey(r), r])).values()];
    return mapLimit(unique, this.policy.controller.concurrency, (ref) =>
      this.reconcile(guardrail, ref, scope, trigger, listing.preread?.get(ref.id)),
    );
  }

  /**
   * A record about one guardrail in one scope, before (or instead of) reconciling a resource: an
   * event that named nothing usable, a listing that failed. With `error`: outcome `failed`, its code
   * and message appended to the reason, retryable as the error says.
   */
  private scopeRecord(
    guardrail: AnyGuardrail,
    scope: Scope<GuardrailPolicyBase>,
    trigger: Trigger,
    started: number,
    fields: { id: string; arn?: string | null; reason: string } & ({ error: unknown } | { outcome: Outcome }),
  ): AuditRecord {
    const base: RecordBase = {
      guardrail: guardrail.name,
      account: scope.account,
      region: scope.region,
      resource: { type: guardrail.resourceType, id: fields.id, arn: fields.arn ?? null },
      trigger,
      mode: this.options.dryRun ? 'dry-run' : 'remediate',
      started,
      runbook: guardrail.runbook,
    };
    if (!('error' in fields)) return this.record(base, { outcome: fields.outcome, reason: fields.reason });
    const { error } = fields;
    const reason = `${fields.reason}: ${errorCode(error)}: ${errorMessage(error)}`;
    return this.record(base, { outcome: 'failed', reason, retryable: isRetryable(error) });
  }

  /** Sweep every governed resource of one guardrail in one region. */
  private async sweepOne(guardrail: AnyGuardrail, scope: Scope<GuardrailPolicyBase>, trigger: Trigger): Promise<AuditRecord[]> {
    const started = Date.now();
    let listing: Listing<ResourceRef, unknown>;
    try {
      listing = await guardrail.listRefs(scope);
    } catch (error) {
      return [this.scopeRecord(guardrail, scope, trigger, started, { id: '*', error, reason: 'sweep could not list resources' })];
    }
    const records = guardrail.batch
      ? await this.sweepInBatches(guardrail, listing, scope, trigger)
      : await this.reconcileAll(guardrail, listing, scope, trigger);
    if (!listing.incomplete) return records;
    const reason = `sweep incomplete: ${listing.incomplete}`;
    return [...records, this.scopeRecord(guardrail, scope, trigger, started, { id: '*', outcome: 'failed', reason })];
  }

  /**
   * The sweep of a guardrail with batch writes: every resource is decided first; those whose plan is
   * one step with a group key are written group by group (`remediateGroup`), the rest one by one.
   * The records keep the listing's order.
   */
  private async sweepInBatches(
    guardrail: AnyGuardrail,
    listing: Listing<ResourceRef, unknown>,
    scope: Scope<GuardrailPolicyBase>,
    trigger: Trigger,
  ): Promise<AuditRecord[]> {
    const unique = [...new Map(listing.refs.map((r) => [resourceKey(r), r])).values()];
    const limit = this.policy.controller.concurrency;
    const firsts = await mapLimit(unique, limit, (ref) =>
      this.firstDecision(guardrail, ref, scope, trigger, listing.preread?.get(ref.id)),
    );
    const records = firsts.map((f) => ('record' in f ? f.record : undefined));
    const groups = new Map<string, number[]>();
    const alone: number[] = [];
    firsts.forEach((f, i) => {
      if ('record' in f) return;
      const [step, more] = f.decision.steps;
      const key = step && !more ? (guardrail.batch?.groupOf(step, f.run.ref, f.run.desired) ?? null) : null;
      if (key === null) alone.push(i);
      else groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    await mapLimit(alone, limit, async (i) => {
      records[i] = await this.remediatePending(firsts[i] as Pending);
    });
    for (const indexes of groups.values()) {
      const out = await this.remediateGroup(
        indexes.map((i) => firsts[i] as Pending),
        scope,
      );
      indexes.forEach((i, k) => {
        records[i] = out[k];
      });
    }
    return records as AuditRecord[];
  }

  /** Sweep the given guardrails (default all enabled) in the given regions (default all governed). */
  async sweep(options: {
    trigger: Trigger;
    guardrails?: readonly string[];
    regions?: readonly string[];
  }): Promise<AuditRecord[]> {
    const regions = options.regions ?? this.policy.controller.regions;
    const out: AuditRecord[] = [];
    for (const guardrail of this.options.guardrails) {
      if (options.guardrails && !options.guardrails.includes(guardrail.name)) continue;
      if (!this.policy.guardrails[guardrail.name]) continue;
      for (const region of regions)
        out.push(...(await this.sweepOne(guardrail, this.scope(guardrail, region, options.trigger), options.trigger)));
    }
    return out;
  }

  /**
   * Reconcile one resource: the level-based core. Always returns exactly one record. `preread` is a
   * state a listing already read: used for the first observation only.
   */
  async reconcile(
    guardrail: AnyGuardrail,
    ref: ResourceRef,
    scope: Scope<GuardrailPolicyBase>,
    trigger: Trigger,
    preread?: unknown,
  ): Promise<AuditRecord> {
    const first = await this.firstDecision(guardrail, ref, scope, trigger, preread);
    return 'record' in first ? first.record : this.remediatePending(first);
  }

  /** Remediate one decided resource on its own (under its lease); errors end in a `failed` record. */
  private async remediatePending({ run, decision }: Pending): Promise<AuditRecord> {
    try {
      return await this.underLease(run, decision);
    } catch (error) {
      return this.failedRecord(run, error, decision.drift);
    }
  }

  /** Observe (or take the pre-read state) and decide: the record that ends it, or a decision to remediate. */
  private async firstDecision(
    guardrail: AnyGuardrail,
    ref: ResourceRef,
    scope: Scope<GuardrailPolicyBase>,
    trigger: Trigger,
    preread: unknown,
  ): Promise<{ record: AuditRecord } | Pending> {
    const run = this.reconciliation(guardrail, ref, scope, trigger);
    try {
      run.desired = guardrail.desired(ref, scope.policy);
      const state = preread !== undefined ? preread : await guardrail.observe(ref, scope);
      const decision = await this.decideNoted(run, state);
      if (decision.kind !== 'remediate') return { record: this.decisionRecord(run, decision) };
      return { run, decision: { ...decision, state } };
    } catch (error) {
      return { record: this.failedRecord(run, error, []) };
    }
  }

  /** A reconciliation ended by an error: `failed`, fail closed, retryable as the error says. */
  private failedRecord(run: Reconciliation, error: unknown, drift: Drift[]): AuditRecord {
    const reason = `${errorCode(error)}: ${errorMessage(error)}`;
    return this.record(run.base, { outcome: 'failed', reason, drift, retryable: isRetryable(error) });
  }

  private reconciliation(guardrail: AnyGuardrail, ref: ResourceRef, scope: Scope<GuardrailPolicyBase>, trigger: Trigger) {
    const base: RecordBase = {
      guardrail: guardrail.name,
      account: scope.account,
      region: ref.region,
      resource: { type: ref.type, id: ref.id, arn: ref.arn },
      trigger,
      mode: this.options.dryRun ? 'dry-run' : scope.policy.mode,
      started: Date.now(),
      runbook: guardrail.runbook,
    };
    const run: Reconciliation = {
      guardrail,
      ref,
      scope,
      desired: undefined,
      base,
      key: stateKey(guardrail.name, scope.account, ref),
    };
    return run;
  }

  private decide(run: Reconciliation, state: unknown): Decision {
    const detectOnly = this.options.dryRun || run.scope.policy.mode === 'notify';
    const { guardrail, ref, desired, scope } = run;
    const { exemptions } = this.policy;
    return decide({ guardrail, ref, state, desired, scope, now: this.options.now(), exemptions, detectOnly });
  }

  /**
   * The decision, with the exemption-tag note of a guardrail that reads tags only when there is drift
   * (`readTags`). Unreadable tags are noted, never fatal: tags cannot change the decision.
   */
  private async decideNoted(run: Reconciliation, state: unknown): Promise<Decision> {
    const decision = this.decide(run, state);
    const read = run.guardrail.readTags;
    if (!read || (decision.kind !== 'remediate' && decision.kind !== 'report')) return decision;
    run.tagNotes ??= await read(run.ref, state, run.scope).then(tagRequestNotes, (error: unknown) => [
      `tags not read for the exemption-request check: ${errorCode(error)}`,
    ]);
    return { ...decision, notes: [...decision.notes, ...run.tagNotes] };
  }

  /** The record of a decision that ends the reconciliation (anything but `remediate`). */
  private decisionRecord(run: Reconciliation, decision: Exclude<Decision, { kind: 'remediate' }>): AuditRecord {
    switch (decision.kind) {
      case 'skip':
        return this.record(run.base, { outcome: 'ignored', reason: decision.reason });
      case 'exempt':
        return this.record(run.base, {
          outcome: 'exempt',
          reason: decision.reason,
          drift: decision.drift,
          exemption: decision.grant,
        });
      case 'compliant':
        return this.record(run.base, { outcome: 'compliant', reason: withNotes('matches the policy', decision.notes) });
      case 'report': {
        const { drift, steps, notes, reportOnly } = decision;
        const found = `${drift.length} difference(s) from the policy`;
        if (decision.unrestorable) {
          const reason = withNotes(`${found}, cannot be restored by logwarden: ${decision.unrestorable}`, notes);
          return this.record(run.base, { outcome: 'failed', reason, drift, retryable: false });
        }
        if (reportOnly) {
          const reason = withNotes(`${found}, reported only: ${reportOnly}`, notes);
          return this.record(run.base, { outcome: 'drift-detected', mode: 'notify', reason, drift });
        }
        const wouldRun = steps.map((s) => s.api).join(', ') || 'nothing';
        const reason = withNotes(`${found}; ${run.base.mode} mode, would run: ${wouldRun}`, notes);
        return this.record(run.base, { outcome: 'drift-detected', reason, drift });
      }
    }
  }

  /**
   * About to write: take the resource's lease, then observe and decide again under it, since whoever
   * held it may have remediated meanwhile (then this invocation finds the resource compliant). A
   * broken lease store never blocks a remediation: it goes on without a lease and says so.
   */
  private async underLease(run: Reconciliation, decision: RemediateDecision): Promise<AuditRecord> {
    const store = this.options.leaseStore;
    if (!store) return this.remediate(run, decision);
    const lease = await takeLease(store, run.key, this.options.leaseSettings, this.options.logger);
    if (lease.kind === 'busy') return this.busyRecord(run, decision, lease.waitedMs);
    if (lease.kind === 'unavailable') return this.remediate(run, { ...decision, notes: [...decision.notes, lease.note] });
    try {
      const state = await run.guardrail.observe(run.ref, run.scope);
      const again = await this.decideNoted(run, state);
      if (again.kind !== 'remediate') return this.decisionRecord(run, again);
      // A forged lease taken over is reported with the remediation.
      const notes = lease.note ? [...again.notes, lease.note] : again.notes;
      return await this.remediate(run, { ...again, notes, state });
    } finally {
      await releaseLease(store, run.key, lease.owner, this.options.logger);
    }
  }

  private busyRecord(run: Reconciliation, decision: RemediateDecision, waitedMs: number): AuditRecord {
    const reason = `another invocation has held the lease on this resource for ${Math.round(waitedMs / 1000)} s; not written, to be retried`;
    return this.record(run.base, { outcome: 'failed', reason, drift: decision.drift, retryable: true });
  }

  /**
   * Flapping check, the writes, the verification: the record of a remediation. A flapping resource
   * is `escalated`; its settings-level drift is held back for the window, but drift that turns logging
   * off is re-applied every time (the record is then `escalated` with the writes made and verified).
   */
  private async remediate(run: Reconciliation, decision: RemediateDecision): Promise<AuditRecord> {
    const gate = await this.flapGate(run, decision);
    if ('record' in gate) return gate.record;
    const applied = await this.applySteps(run, decision.steps);
    if (applied.failure) return this.failedWrite(run, decision, applied.actions, applied.failure);
    const remaining = await this.verify(run, decision);
    return this.concluded(run, decision, gate.flap, applied.actions, remaining);
  }

  /** The breaker: an `escalated` record when settings-level drift must be held back, else the flap check. */
  private async flapGate(
    run: Reconciliation,
    decision: RemediateDecision,
  ): Promise<{ record: AuditRecord } | { flap: FlapCheck }> {
    const flapping = this.policy.controller.flapping;
    const flap = await checkFlapping(this.options.flapStore, run.key, this.options.now(), flapping, this.options.logger);
    const loggingOff = decision.drift.some((d) => run.guardrail.loggingOffDrift.includes(d.property));
    if (!flap.escalate || loggingOff) return { flap };
    const reason = withNotes(
      `remediated ${flap.count} times in the last ${flapping.windowMinutes} minutes: stopped re-applying (something keeps changing it back); resumes after ${flap.resumesAt.toISOString()}`,
      [...decision.notes, ...flap.notes],
    );
    return { record: this.record(escalation(run.base), { outcome: 'escalated', reason, drift: decision.drift }) };
  }

  private failedWrite(
    run: Reconciliation,
    decision: RemediateDecision,
    actions: ActionResult[],
    failure: { step: Step; error: unknown },
  ): AuditRecord {
    const { step, error } = failure;
    const reason = `${step.api} failed: ${errorCode(error)}: ${errorMessage(error)}`;
    return this.record(run.base, { outcome: 'failed', reason, drift: decision.drift, actions, retryable: isRetryable(error) });
  }

  /** The record after the writes succeeded: verified (`remediated`, or `escalated` when flapping) or not. */
  private async concluded(
    run: Reconciliation,
    decision: RemediateDecision,
    flap: FlapCheck,
    actions: ActionResult[],
    remaining: Drift[],
  ): Promise<AuditRecord> {
    const { drift } = decision;
    if (remaining.length > 0) {
      const reason = `verification failed: still different after remediation: ${remaining.map((d) => d.property).join(', ')}`;
      return this.record(run.base, { outcome: 'failed', reason, drift, actions, verified: false, retryable: true });
    }
    const flapping = this.policy.controller.flapping;
    const noted = await noteRemediation(this.options.flapStore, run.key, this.options.now(), flapping, this.options.logger);
    const notes = [...decision.notes, ...flap.notes, ...(noted ? [noted] : [])];
    const restored = `restored ${drift.map((d) => d.property).join(', ')}`;
    if (!flap.escalate) {
      return this.record(run.base, { outcome: 'remediated', reason: withNotes(restored, notes), drift, actions, verified: true });
    }
    const reason = withNotes(
      `${restored}; remediated ${flap.count} times in the last ${flapping.windowMinutes} minutes: something keeps turning logging off, logwarden re-applies every time`,
      notes,
    );
    return this.record(escalation(run.base), { outcome: 'escalated', reason, drift, actions, verified: true });
  }

  /**
   * One group of a batched sweep: each resource's lease, a re-read under them (only with a lease
   * store: someone may have written meanwhile), the breaker, one batched write, one batched
   * verification, then one record per resource. A refused resource fails alone.
   */
  private async remediateGroup(pendings: Pending[], scope: Scope<GuardrailPolicyBase>): Promise<AuditRecord[]> {
    const store = this.options.leaseStore;
    const settings = this.options.leaseSettings;
    const leases = store
      ? await mapLimit(pendings, this.policy.controller.concurrency, (p) =>
          takeLease(store, p.run.key, settings, this.options.logger),
        )
      : [];
    try {
      const out: (AuditRecord | undefined)[] = [];
      let live: Slot[] = [];
      pendings.forEach((p, i) => {
        const lease = leases[i];
        if (lease?.kind === 'busy') out[i] = this.busyRecord(p.run, p.decision, lease.waitedMs);
        else live.push({ i, pending: lease?.note ? noted(p, lease.note) : p });
      });
      if (store) live = await this.redecideGroup(live, scope, out);
      live = await this.gateGroup(live, out);
      await this.writeGroup(live, scope, out);
      return out as AuditRecord[];
    } finally {
      if (store) {
        const held = pendings.flatMap((p, i) => {
          const lease = leases[i];
          return lease?.kind === 'held' ? [{ key: p.run.key, owner: lease.owner }] : [];
        });
        await mapLimit(held, this.policy.controller.concurrency, (h) => releaseLease(store, h.key, h.owner, this.options.logger));
      }
    }
  }

  /** Under the leases: re-read the group at once and decide again; what is no longer one batched write leaves. */
  private async redecideGroup(
    live: Slot[],
    scope: Scope<GuardrailPolicyBase>,
    out: (AuditRecord | undefined)[],
  ): Promise<Slot[]> {
    const batch = live[0]?.pending.run.guardrail.batch;
    if (!batch || live.length === 0) return live;
    let states: Map<string, unknown>;
    try {
      states = await batch.observeMany(live.map(itemOf), scope);
    } catch (error) {
      for (const { i, pending } of live) out[i] = this.failedRecord(pending.run, error, pending.decision.drift);
      return [];
    }
    const kept: Slot[] = [];
    await mapLimit(live, this.policy.controller.concurrency, async ({ i, pending }) => {
      const { run } = pending;
      const state = states.has(run.ref.id) ? states.get(run.ref.id) : await run.guardrail.observe(run.ref, run.scope);
      const again = await this.decideNoted(run, state);
      if (again.kind !== 'remediate') out[i] = this.decisionRecord(run, again);
      else if (again.steps.length === 1) kept.push({ i, pending: { run, decision: { ...again, state } } });
      else out[i] = await this.remediate(run, { ...again, state });
    });
    return kept.sort((a, b) => a.i - b.i);
  }

  /** The breaker for each resource of a group: the held-back ones end in their `escalated` record. */
  private async gateGroup(live: Slot[], out: (AuditRecord | undefined)[]): Promise<Slot[]> {
    const kept: Slot[] = [];
    for (const slot of live) {
      const gate = await this.flapGate(slot.pending.run, slot.pending.decision);
      if ('record' in gate) out[slot.i] = gate.record;
      else kept.push({ ...slot, flap: gate.flap });
    }
    return kept;
  }

  /** The batched write and its batched verification; every slot ends in its record. */
  private async writeGroup(live: Slot[], scope: Scope<GuardrailPolicyBase>, out: (AuditRecord | undefined)[]): Promise<void> {
    const first = live[0]?.pending;
    const batch = first?.run.guardrail.batch;
    if (!first || !batch) return;
    const api = (first.decision.steps[0] as Step).api;
    let refused: Map<string, unknown>;
    try {
      refused = await batch.applyMany(live.map(itemOf), first.run.desired, scope);
    } catch (error) {
      for (const { i, pending } of live)
        out[i] = this.failedWrite(pending.run, pending.decision, [actionFailed(api, error)], {
          step: pending.decision.steps[0] as Step,
          error,
        });
      return;
    }
    const accepted: Slot[] = [];
    for (const slot of live) {
      const error = refused.get(slot.pending.run.ref.id);
      const { run, decision } = slot.pending;
      if (error === undefined) accepted.push(slot);
      else out[slot.i] = this.failedWrite(run, decision, [actionFailed(api, error)], { step: decision.steps[0] as Step, error });
    }
    await this.verifyGroup(accepted, scope, out, api);
  }

  private async verifyGroup(
    accepted: Slot[],
    scope: Scope<GuardrailPolicyBase>,
    out: (AuditRecord | undefined)[],
    api: string,
  ): Promise<void> {
    const batch = accepted[0]?.pending.run.guardrail.batch;
    if (!batch) return;
    let after: Map<string, unknown>;
    try {
      after = await batch.observeMany(accepted.map(itemOf), scope);
    } catch (error) {
      for (const { i, pending } of accepted) out[i] = this.failedRecord(pending.run, error, pending.decision.drift);
      return;
    }
    for (const { i, pending, flap } of accepted) {
      const { run, decision } = pending;
      const state = after.get(run.ref.id);
      const remaining = state === undefined ? decision.drift : run.guardrail.diff(state, run.desired);
      out[i] = await this.concluded(run, decision, flap as FlapCheck, [{ api, ok: true, error: null }], remaining);
    }
  }

  /** The writes in order; each gets the outputs of the earlier ones. Stops at the first failure. */
  private async applySteps(
    run: Reconciliation,
    steps: readonly Step[],
  ): Promise<{ actions: ActionResult[]; failure?: { step: Step; error: unknown } }> {
    const actions: ActionResult[] = [];
    let outputs: StepOutputs = {};
    for (const step of steps) {
      try {
        const produced = await run.guardrail.apply(step, run.ref, run.desired, run.scope, outputs);
        outputs = { ...outputs, ...(produced ?? {}) };
        actions.push({ api: step.api, ok: true, error: null });
      } catch (error) {
        actions.push({ api: step.api, ok: false, error: `${errorCode(error)}: ${errorMessage(error)}` });
        return { actions, failure: { step, error } };
      }
    }
    return { actions };
  }

  /** Re-read what the writes changed and diff again: the drift that remains. */
  private async verify(run: Reconciliation, decision: RemediateDecision): Promise<Drift[]> {
    const observation = { purpose: 'verify' as const, before: decision.state, steps: decision.steps };
    const after = await run.guardrail.observe(run.ref, run.scope, observation);
    return run.guardrail.diff(after, run.desired);
  }
}

/** Where `escalated` records send on-call: who keeps changing the resource back, and what to do. */
export const ESCALATION_RUNBOOK = 'runbooks/escalations.md';

/** An escalated record's base: the escalation runbook (which points on to the guardrail's). */
function escalation(base: RecordBase): RecordBase {
  return { ...base, runbook: ESCALATION_RUNBOOK };
}
