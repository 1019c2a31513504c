import type { Drift } from '../core/record.js';
import type { Step } from '../core/types.js';
import { type LogBucketRef, specOf } from './events.js';
import { judgeBucketPolicy, judgeLifecycle } from './judge.js';
import type { LogBucketRetentionPolicy, Owner } from './policy.js';

/** GetBucketVersioning's status; `Disabled` for a bucket that was never versioned (no Status). */
export type VersioningStatus = 'Enabled' | 'Suspended' | 'Disabled';

/** A bucket's lifecycle configuration as read (no configuration: no rules). */
export interface LifecycleState {
  rules: unknown[];
  /** Kept as read when rules are written back. */
  transitionDefaultMinimumObjectSize: string | null;
}

/** What logwarden reads about a log bucket. */
export type RetentionState =
  | { kind: 'missing' }
  | { kind: 'elsewhere'; region: string }
  | {
      kind: 'bucket';
      region: string;
      versioning: VersioningStatus;
      lifecycle: LifecycleState;
      /** The bucket policy's text, null when it has none. */
      policy: string | null;
    };

export interface DesiredRetention {
  bucket: string;
  account: string;
  owner: Owner;
  minimumRetentionDays: number;
}

export type RetentionStep =
  | (Step & { api: 's3:PutBucketVersioning' })
  | (Step & { api: 's3:PutLifecycleConfiguration'; write: 'put'; lifecycle: LifecycleState })
  | (Step & { api: 's3:PutLifecycleConfiguration'; write: 'delete' })
  | (Step & { api: 's3:PutBucketPolicy'; document: Record<string, unknown> })
  | (Step & { api: 's3:DeleteBucketPolicy' });

/** Drift properties: a short expiration and a refused delivery mean logs are lost (loggingOffDrift). */
export const DRIFT = {
  versioning: 'versioning',
  lifecycle: 'lifecycle.shortRetention',
  policy: 'bucketPolicy.denyLogDelivery',
  unreadablePolicy: 'bucketPolicy.readable',
} as const;

/** The desired state of a log bucket. A ref whose template left the policy is judged as member-owned. */
export function desiredRetention(ref: LogBucketRef, policy: LogBucketRetentionPolicy): DesiredRetention {
  return {
    bucket: ref.id,
    account: ref.account,
    owner: specOf(ref, policy)?.owner ?? 'member',
    minimumRetentionDays: policy.minimumRetentionDays,
  };
}

/** Versioning on; no rule removing or moving current objects too early; no statement refusing delivery. Pure. */
export function diffRetention(state: RetentionState, d: DesiredRetention): Drift[] {
  if (state.kind !== 'bucket') return [];
  const out: Drift[] = [];
  if (state.versioning !== 'Enabled') out.push({ property: DRIFT.versioning, observed: state.versioning, desired: 'Enabled' });
  const { offending } = judgeLifecycle(state.lifecycle.rules, d.minimumRetentionDays);
  if (offending.length > 0) out.push({ property: DRIFT.lifecycle, observed: offending, desired: [] });
  if (state.policy !== null) {
    const judged = judgeBucketPolicy(state.policy, { account: d.account, bucket: d.bucket });
    if (!judged.readable) out.push({ property: DRIFT.unreadablePolicy, observed: judged.problem, desired: 'a readable policy' });
    else if (judged.denying.length > 0) out.push({ property: DRIFT.policy, observed: judged.denying, desired: [] });
  }
  return out;
}

const names = (drift: readonly Drift[], property: string, key: 'rule' | 'statement') =>
  ((drift.find((x) => x.property === property)?.observed as Record<string, string>[] | undefined) ?? []).map((x) => x[key]);

/** The lifecycle write that removes only the offending rules: the rest is written back, or nothing is left. */
function lifecycleStep(
  state: Extract<RetentionState, { kind: 'bucket' }>,
  d: DesiredRetention,
  drift: readonly Drift[],
): RetentionStep {
  const { kept } = judgeLifecycle(state.lifecycle.rules, d.minimumRetentionDays);
  const removed = names(drift, DRIFT.lifecycle, 'rule').join(', ');
  if (kept.length === 0) {
    return {
      api: 's3:PutLifecycleConfiguration',
      write: 'delete',
      description: `delete the lifecycle configuration (its only rules ${removed} expire logs too early)`,
    };
  }
  return {
    api: 's3:PutLifecycleConfiguration',
    write: 'put',
    description: `remove lifecycle rule(s) ${removed}, keep ${kept.length} other rule(s)`,
    lifecycle: { ...state.lifecycle, rules: kept },
  };
}

/** The policy write that removes only the denying statements: the rest is written back, or the policy is deleted. */
function policyStep(text: string, d: DesiredRetention, drift: readonly Drift[]): RetentionStep | null {
  const judged = judgeBucketPolicy(text, { account: d.account, bucket: d.bucket });
  if (!judged.readable) return null;
  const removed = names(drift, DRIFT.policy, 'statement').join(', ');
  if (judged.kept.length === 0) {
    return {
      api: 's3:DeleteBucketPolicy',
      description: `delete the bucket policy (its only statement(s) ${removed} deny log delivery)`,
    };
  }
  return {
    api: 's3:PutBucketPolicy',
    description: `remove statement(s) ${removed} that deny log delivery, keep ${judged.kept.length} other(s)`,
    document: { ...judged.document, Statement: judged.kept },
  };
}

/** The writes for a logwarden-owned bucket; none for a member-owned one (reported only). Pure. */
export function planRetention(state: RetentionState, d: DesiredRetention, drift: readonly Drift[]): RetentionStep[] {
  if (state.kind !== 'bucket' || d.owner !== 'logwarden' || drift.length === 0) return [];
  const has = (p: string) => drift.some((x) => x.property === p);
  const steps: RetentionStep[] = [];
  if (has(DRIFT.policy) && state.policy !== null) {
    const step = policyStep(state.policy, d, drift);
    if (step) steps.push(step);
  }
  if (has(DRIFT.lifecycle)) steps.push(lifecycleStep(state, d, drift));
  if (has(DRIFT.versioning)) steps.push({ api: 's3:PutBucketVersioning', description: `enable versioning on ${d.bucket}` });
  return steps;
}

/** Why a bucket is not this controller's to judge, or null. Pure. */
export function skipReasonOf(ref: LogBucketRef, state: RetentionState, region: string): string | null {
  if (state.kind === 'missing') {
    return `log bucket ${ref.id} does not exist (NoSuchBucket); nothing to keep (a missing logwarden access-log bucket is the integrity guardrail's finding)`;
  }
  const where = state.kind === 'elsewhere' ? state.region : state.region !== region ? state.region : null;
  return where ? `bucket ${ref.id} is in ${where}, not in ${region}: it is not this region's log bucket` : null;
}

/** A short account of the drift, naming the rules and statements. */
function found(drift: readonly Drift[]): string {
  const parts: string[] = [];
  const rules = names(drift, DRIFT.lifecycle, 'rule');
  const statements = names(drift, DRIFT.policy, 'statement');
  if (rules.length > 0) parts.push(`lifecycle rule(s) ${rules.join(', ')} expire or move logs too early`);
  if (statements.length > 0) parts.push(`bucket policy statement(s) ${statements.join(', ')} deny log delivery`);
  const versioning = drift.find((x) => x.property === DRIFT.versioning);
  if (versioning) parts.push(`versioning is ${String(versioning.observed)}`);
  return parts.join('; ');
}

/** A member-owned bucket is reported, never written: its team owns its settings. Pure. */
export function reportOnlyReason(d: DesiredRetention, drift: readonly Drift[], runbook: string): string | null {
  if (d.owner !== 'member' || drift.length === 0) return null;
  return `log bucket ${d.bucket} is member-owned: logwarden reports, the account's team fixes it (${found(drift)}; see ${runbook})`;
}

/** A policy logwarden cannot parse is not rewritten: it could drop what it did not understand. Pure. */
export function unrestorableReason(d: DesiredRetention, drift: readonly Drift[], runbook: string): string | null {
  const unreadable = drift.find((x) => x.property === DRIFT.unreadablePolicy);
  if (!unreadable) return null;
  return `the bucket policy of ${d.bucket} cannot be judged (${String(unreadable.observed)}); logwarden does not rewrite a policy it cannot read (see ${runbook})`;
}
