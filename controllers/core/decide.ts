import { type ExemptionGrant, exemptionFor, type PolicyExemption } from './exemptions.js';
import type { Drift } from './record.js';
import type { AnyGuardrail, GuardrailPolicyBase, ResourceRef, Scope, Step } from './types.js';

/** Everything the decision about one observed resource depends on. */
export interface DecisionInput {
  guardrail: AnyGuardrail;
  ref: ResourceRef;
  state: unknown;
  desired: unknown;
  scope: Pick<Scope<GuardrailPolicyBase>, 'account' | 'region' | 'policy'>;
  now: Date;
  /** The policy's exemptions: the only way a resource is exempt. */
  exemptions: readonly PolicyExemption[];
  /** Only report drift: a dry run, or the guardrail's `notify` mode. */
  detectOnly: boolean;
}

/**
 * What to do about one resource. `notes` are remarks for the record (an expired exemption, an
 * unapproved exemption tag), kept as a list until the record's reason is written.
 */
export type Decision =
  | { kind: 'skip'; reason: string }
  | { kind: 'exempt'; reason: string; drift: Drift[]; grant: ExemptionGrant }
  | { kind: 'compliant'; notes: string[] }
  | { kind: 'report'; drift: Drift[]; steps: Step[]; notes: string[]; reportOnly: string | null; unrestorable?: string }
  | { kind: 'remediate'; drift: Drift[]; steps: Step[]; notes: string[] };

/**
 * The one decision path for events, sweeps and the Config rule: scope (another account or region
 * owns it) → exemption → diff → plan → detect-only or report-only → remediate. Pure.
 */
export function decide(input: DecisionInput): Decision {
  const { guardrail: g, ref, state, desired, scope } = input;
  const skip = g.skipReason?.(ref, state, scope) ?? null;
  if (skip) return { kind: 'skip', reason: skip };
  const exemption = exemptionFor(input.exemptions, g.name, ref, scope.account, g.tagsOf(state), input.now);
  if (exemption.exempt) {
    return { kind: 'exempt', reason: `exempt: ${exemption.reason}`, drift: g.diff(state, desired), grant: exemption.grant };
  }
  const { notes } = exemption;
  const drift: Drift[] = g.diff(state, desired);
  if (drift.length === 0) return { kind: 'compliant', notes };
  const steps: Step[] = g.plan(state, desired, drift);
  if (input.detectOnly) return { kind: 'report', drift, steps, notes, reportOnly: null };
  const reportOnly = g.reportOnly?.(ref, state, drift, scope.policy) ?? null;
  if (reportOnly) return { kind: 'report', drift, steps, notes, reportOnly };
  const unrestorable = g.unrestorable?.(ref, state, drift, scope.policy) ?? null;
  if (unrestorable) return { kind: 'report', drift, steps, notes, reportOnly: null, unrestorable };
  return { kind: 'remediate', drift, steps, notes };
}

/** A reason followed by its notes, each in brackets: `restored isLogging (lease not taken: …)`. */
export function withNotes(reason: string, notes: readonly string[]): string {
  return `${reason}${notes.map((n) => ` (${n})`).join('')}`;
}

/** The identity of a resource within one account: type, region and id. */
export function resourceKey(ref: Pick<ResourceRef, 'type' | 'region' | 'id'>): string {
  return `${ref.type}|${ref.region}|${ref.id}`;
}
