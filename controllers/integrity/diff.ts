import { policyList } from '../core/bucket-policy.js';
import type { Drift } from '../core/record.js';
import type { Step } from '../core/types.js';
import {
  BUCKET_POLICY_TYPE,
  CONFIG_RULE_TYPE,
  FUNCTION_TYPE,
  type IntegrityRef,
  partitionOf,
  ROLE_TYPE,
  RULE_TYPE,
  TABLE_TYPE,
} from './events.js';
import type { DeploymentManifest, ManifestBucketPolicy, ManifestFunction, ManifestRole, ManifestRule } from './manifest.js';

/** An EventBridge rule as DescribeRule and ListTargetsByRule report it. */
export interface RuleState {
  state: string | null;
  /** Parsed; null for a schedule rule, or a pattern that is not JSON (compared as such). */
  eventPattern: unknown;
  scheduleExpression: string | null;
  description: string | null;
  targets: { id: string; arn: string }[];
}

/** A function as GetFunction and GetFunctionConcurrency report it. */
export interface FunctionState {
  codeSha256: string | null;
  roleArn: string | null;
  /** Null: no reserved concurrency (the deployment reserves none). */
  reservedConcurrency: number | null;
}

/** One inline policy of a role: its statements' Sid and Effect (the document is the StackSet's to rebuild). */
export interface InlinePolicyState {
  name: string;
  statements: { sid: string | null; effect: string | null }[];
}

/** A role as GetRole, ListRolePolicies/GetRolePolicy and ListAttachedRolePolicies report it. */
interface RoleState {
  inlinePolicies: InlinePolicyState[];
  attachedPolicyArns: string[];
  boundaryArn: string | null;
  /** The trust policy, parsed; null when it is not JSON. */
  trustPolicy: unknown;
}

/** What is read of one of logwarden's own resources. A missing resource is a state. */
export type IntegrityState =
  | { kind: 'rule'; rule: RuleState | null }
  | { kind: 'table'; exists: boolean }
  | { kind: 'config-rule'; exists: boolean }
  /** `statements`: the bucket policy's statements; null when the bucket has no policy. */
  | { kind: 'bucket-policy'; statements: Record<string, unknown>[] | null; bucketExists: boolean }
  | { kind: 'function'; fn: FunctionState | null }
  | { kind: 'role'; role: RoleState | null };

/** What the manifest declares for the resource (resolved for the account and region). */
export type DesiredIntegrity =
  | { kind: 'rule'; rule: ManifestRule }
  | { kind: 'table' }
  | { kind: 'config-rule' }
  | { kind: 'bucket-policy'; policy: ManifestBucketPolicy }
  /** `roleArn`: the ARN of the declared role (name and path from the manifest's roles). */
  | { kind: 'function'; fn: ManifestFunction; roleArn: string }
  | { kind: 'role'; role: ManifestRole };

/** The writes the guardrail can make: each safe to repeat; on IAM, only removals (never a grant). */
export type IntegrityStep =
  | (Step & { api: 'events:EnableRule' })
  /** Restores the declared pattern or schedule and ENABLED, keeping the rule's description. */
  | (Step & { api: 'events:PutRule'; ruleDescription: string | null })
  | (Step & { api: 'events:PutTargets'; targets: { id: string; arn: string }[] })
  | (Step & { api: 's3:PutBucketPolicy'; statements: Record<string, unknown>[] })
  | (Step & { api: 'lambda:DeleteFunctionConcurrency' })
  | (Step & { api: 'iam:DeleteRolePolicy'; policyName: string })
  | (Step & { api: 'iam:DetachRolePolicy'; policyArn: string })
  | (Step & { api: 'iam:DeleteRolePermissionsBoundary' });

/** The desired state of one ref, from the resolved manifest. Throws nothing: an unknown ref is a table. */
export function desiredOf(ref: IntegrityRef, m: DeploymentManifest): DesiredIntegrity {
  if (ref.type === RULE_TYPE) {
    const rule = m.rules.find((r) => r.name === ref.id);
    if (rule) return { kind: 'rule', rule };
  }
  if (ref.type === BUCKET_POLICY_TYPE) {
    const policy = m.bucketPolicies.find((b) => b.bucket === ref.id);
    if (policy) return { kind: 'bucket-policy', policy };
  }
  if (ref.type === FUNCTION_TYPE) {
    const fn = m.functions.find((f) => f.name === ref.id);
    const role = m.roles.find((r) => r.name === fn?.roleName);
    if (fn) {
      const roleArn = `arn:${partitionOf(ref.region)}:iam::${ref.account}:role${role?.path ?? '/'}${fn.roleName}`;
      return { kind: 'function', fn, roleArn };
    }
  }
  if (ref.type === ROLE_TYPE) {
    const role = m.roles.find((r) => r.name === ref.id);
    if (role) return { kind: 'role', role };
  }
  if (ref.type === CONFIG_RULE_TYPE) return { kind: 'config-rule' };
  if (ref.type === TABLE_TYPE) return { kind: 'table' };
  throw new TypeError(`${ref.type} ${ref.id} is not in the deployment manifest`);
}

/** JSON equality with object key order ignored (EventBridge may reorder a pattern's keys). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return sameJson(ka, kb) && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

const drift = (property: string, observed: unknown, desired: unknown): Drift => ({ property, observed, desired });

/** Targets the manifest declares that are missing or point elsewhere. */
function missingTargets(rule: RuleState, want: ManifestRule): { id: string; arn: string }[] {
  return want.targets.filter((t) => !rule.targets.some((o) => o.id === t.id && o.arn === t.arn));
}

function diffRule(rule: RuleState | null, want: ManifestRule): Drift[] {
  if (!rule) return [drift('rule.exists', false, true)];
  const out: Drift[] = [];
  if (rule.state !== 'ENABLED') out.push(drift('rule.state', rule.state, 'ENABLED'));
  if (want.eventPattern !== null && !sameJson(rule.eventPattern, want.eventPattern)) {
    out.push(drift('rule.eventPattern', rule.eventPattern, want.eventPattern));
  }
  if (want.scheduleExpression !== null && rule.scheduleExpression !== want.scheduleExpression) {
    out.push(drift('rule.scheduleExpression', rule.scheduleExpression, want.scheduleExpression));
  }
  const missing = missingTargets(rule, want);
  if (missing.length > 0) out.push(drift('rule.targets', rule.targets, want.targets));
  return out;
}

const sidOf = (s: unknown) => (s && typeof s === 'object' ? (s as { Sid?: unknown }).Sid : undefined);

/** A statement that denies the S3 log-delivery service: access logs would stop arriving. */
export function deniesLogDelivery(s: Record<string, unknown>): boolean {
  if (s.Effect !== 'Deny') return false;
  const p = s.Principal;
  if (p === '*') return true;
  const services = policyList(p && typeof p === 'object' ? (p as { Service?: unknown }).Service : undefined);
  const aws = policyList(p && typeof p === 'object' ? (p as { AWS?: unknown }).AWS : undefined);
  return services.includes('logging.s3.amazonaws.com') || aws.includes('*');
}

function diffBucketPolicy(s: Extract<IntegrityState, { kind: 'bucket-policy' }>, want: ManifestBucketPolicy): Drift[] {
  if (!s.bucketExists) return [drift('bucketPolicy.bucketExists', false, true)];
  const current = s.statements ?? [];
  const out: Drift[] = [];
  for (const w of want.statements) {
    const found = current.find((c) => sidOf(c) === sidOf(w));
    if (!found || !sameJson(found, w)) out.push(drift(`bucketPolicy.statement.${String(sidOf(w))}`, found ?? null, w));
  }
  const denying = current.filter((c) => deniesLogDelivery(c) && !want.statements.some((w) => sidOf(w) === sidOf(c)));
  if (denying.length > 0) out.push(drift('bucketPolicy.denyLogDelivery', denying, []));
  return out;
}

function diffFunction(fn: FunctionState | null, want: ManifestFunction, roleArn: string): Drift[] {
  if (!fn) return [drift('function.exists', false, true)];
  const out: Drift[] = [];
  if (fn.reservedConcurrency !== null) out.push(drift('function.reservedConcurrency', fn.reservedConcurrency, null));
  if (want.codeSha256 !== null && fn.codeSha256 !== want.codeSha256) {
    out.push(drift('function.codeSha256', fn.codeSha256, want.codeSha256));
  }
  if (fn.roleArn !== roleArn) out.push(drift('function.role', fn.roleArn, roleArn));
  return out;
}

/** Only `lambda.amazonaws.com` may assume the role: every statement an Allow of that one service. Pure. */
function trustsLambdaOnly(doc: unknown): boolean {
  const list = policyList(doc && typeof doc === 'object' ? (doc as { Statement?: unknown }).Statement : undefined);
  return (
    list.length > 0 &&
    list.every((st) => {
      if (!st || typeof st !== 'object') return false;
      const { Effect, Principal, Condition } = st as Record<string, unknown>;
      if (Effect !== 'Allow') return false;
      const keys = Principal && typeof Principal === 'object' ? Object.keys(Principal) : [];
      const services = policyList((Principal as { Service?: unknown } | undefined)?.Service);
      return keys.length === 1 && services.length > 0 && services.every((x) => x === 'lambda.amazonaws.com') && !Condition;
    })
  );
}

function diffPolicyDocument(p: InlinePolicyState, wantSids: readonly string[]): Drift[] {
  const sids = p.statements.map((st) => st.sid);
  const out: Drift[] = [];
  if (!sameJson([...sids].sort(), [...wantSids].sort())) out.push(drift(`role.policy.${p.name}.sids`, sids, wantSids));
  const denies = p.statements.filter((st) => st.effect !== 'Allow');
  if (denies.length > 0)
    out.push(
      drift(
        `role.policy.${p.name}.deny`,
        denies.map((st) => st.sid),
        [],
      ),
    );
  return out;
}

function diffRole(role: RoleState | null, want: ManifestRole): Drift[] {
  if (!role) return [drift('role.exists', false, true)];
  const out: Drift[] = [];
  const extra = role.inlinePolicies.filter((p) => !want.inlinePolicyNames.includes(p.name)).map((p) => p.name);
  if (extra.length > 0) out.push(drift('role.inlinePolicies', extra, []));
  for (const name of want.inlinePolicyNames) {
    const found = role.inlinePolicies.find((p) => p.name === name);
    if (!found) out.push(drift(`role.policy.${name}.exists`, false, true));
    else out.push(...diffPolicyDocument(found, want.statementSids[name] ?? []));
  }
  if (role.attachedPolicyArns.length > 0) out.push(drift('role.attachedPolicies', role.attachedPolicyArns, []));
  if (role.boundaryArn) out.push(drift('role.permissionsBoundary', role.boundaryArn, null));
  if (!trustsLambdaOnly(role.trustPolicy)) out.push(drift('role.trustPolicy', role.trustPolicy, 'lambda.amazonaws.com only'));
  return out;
}

/** Compare observed with declared. Pure. */
export function diffIntegrity(s: IntegrityState, d: DesiredIntegrity): Drift[] {
  if (s.kind === 'function' && d.kind === 'function') return diffFunction(s.fn, d.fn, d.roleArn);
  if (s.kind === 'role' && d.kind === 'role') return diffRole(s.role, d.role);
  if (s.kind === 'rule' && d.kind === 'rule') return diffRule(s.rule, d.rule);
  if (s.kind === 'table') return s.exists ? [] : [drift('stateTable.exists', false, true)];
  if (s.kind === 'config-rule') return s.exists ? [] : [drift('configRule.exists', false, true)];
  if (s.kind === 'bucket-policy' && d.kind === 'bucket-policy') return diffBucketPolicy(s, d.policy);
  throw new TypeError(`state ${s.kind} does not match the declared ${d.kind}`);
}

/**
 * The merged bucket policy: the declared statements replace those with their Sid, a statement denying
 * log delivery is dropped, every other statement is kept. Pure.
 */
export function mergedStatements(
  current: readonly Record<string, unknown>[],
  want: ManifestBucketPolicy,
): Record<string, unknown>[] {
  const declared = new Set(want.statements.map(sidOf));
  const kept = current.filter((c) => !declared.has(sidOf(c)) && !deniesLogDelivery(c));
  return [...kept, ...want.statements];
}

function planRule(rule: RuleState | null, want: ManifestRule): IntegrityStep[] {
  // A deleted rule is recreated: PutRule (enabled, with the pattern or schedule) and every target.
  if (!rule) {
    return [
      { api: 'events:PutRule', description: `recreate rule ${want.name} as the deployment declared it`, ruleDescription: null },
      { api: 'events:PutTargets', description: `put back the targets of ${want.name}`, targets: want.targets },
    ];
  }
  const steps: IntegrityStep[] = [];
  const shapeChanged =
    (want.eventPattern !== null && !sameJson(rule.eventPattern, want.eventPattern)) ||
    (want.scheduleExpression !== null && rule.scheduleExpression !== want.scheduleExpression);
  // PutRule also sets the state: one write restores both the pattern and ENABLED.
  if (shapeChanged) {
    const description = `put back the declared pattern or schedule of ${want.name}`;
    steps.push({ api: 'events:PutRule', description, ruleDescription: rule.description });
  } else if (rule.state !== 'ENABLED') steps.push({ api: 'events:EnableRule', description: `enable rule ${want.name}` });
  const missing = missingTargets(rule, want);
  if (missing.length > 0) {
    steps.push({
      api: 'events:PutTargets',
      description: `put back ${missing.map((t) => t.id).join(', ')} on ${want.name}`,
      targets: missing,
    });
  }
  return steps;
}

function planRole(role: RoleState, want: ManifestRole): IntegrityStep[] {
  const name = want.name;
  const extra = role.inlinePolicies.filter((p) => !want.inlinePolicyNames.includes(p.name));
  return [
    ...extra.map(
      (p): IntegrityStep => ({
        api: 'iam:DeleteRolePolicy',
        description: `delete inline policy ${p.name} added to ${name}`,
        policyName: p.name,
      }),
    ),
    ...role.attachedPolicyArns.map(
      (arn): IntegrityStep => ({
        api: 'iam:DetachRolePolicy',
        description: `detach ${arn} from ${name}`,
        policyArn: arn,
      }),
    ),
    ...(role.boundaryArn
      ? [{ api: 'iam:DeleteRolePermissionsBoundary' as const, description: `remove the permissions boundary of ${name}` }]
      : []),
  ];
}

/** The writes that restore what is safe to restore. Pure. Report-only drift plans nothing. */
export function planIntegrity(s: IntegrityState, d: DesiredIntegrity, drifts: Drift[]): IntegrityStep[] {
  if (drifts.length === 0) return [];
  if (s.kind === 'function' && s.fn?.reservedConcurrency != null && d.kind === 'function') {
    return [{ api: 'lambda:DeleteFunctionConcurrency', description: `remove the reserved concurrency of ${d.fn.name}` }];
  }
  if (s.kind === 'role' && s.role && d.kind === 'role') return planRole(s.role, d.role);
  if (s.kind === 'rule' && d.kind === 'rule') return planRule(s.rule, d.rule);
  if (s.kind === 'bucket-policy' && d.kind === 'bucket-policy' && s.bucketExists) {
    const statements = mergedStatements(s.statements ?? [], d.policy);
    return [
      {
        api: 's3:PutBucketPolicy',
        description: `merge logwarden's statements back into ${d.policy.bucket}'s policy`,
        statements,
      },
    ];
  }
  return [];
}

/**
 * Drift logwarden cannot restore: a deleted state table or Config rule needs the StackSet to deploy
 * again; a deleted bucket is not logwarden's to recreate. Pure.
 */
export function unrestorableReason(s: IntegrityState, drifts: readonly Drift[]): string | null {
  if (drifts.length === 0) return null;
  if (s.kind === 'table') return 'the state table was deleted: redeploy the StackSet instance (see the runbook)';
  if (s.kind === 'config-rule') return 'the Config rule was deleted: redeploy the StackSet instance (see the runbook)';
  if (s.kind === 'bucket-policy' && !s.bucketExists)
    return 'the access-log bucket is gone: redeploy the StackSet instance (see the runbook)';
  const redeploy = 'redeploy the StackSet instance (see the runbook)';
  const found = drifts.map((d) => d.property).filter((p) => UNRESTORABLE.some((re) => re.test(p)));
  if (found.length === 0) return null;
  return s.kind === 'function'
    ? `the function was ${found.includes('function.exists') ? 'deleted' : `changed (${found.join(', ')})`}: ${redeploy}`
    : `the role was ${found.includes('role.exists') ? 'deleted' : `changed (${found.join(', ')})`}: ${redeploy}`;
}

/**
 * Function and role drift logwarden cannot undo: it cannot rebuild its code, its role's policy
 * document or its trust policy (and must not grant itself IAM writes that could), nor recreate a function.
 */
const UNRESTORABLE = [
  /^function\.(exists|codeSha256|role)$/,
  /^role\.exists$/,
  /^role\.policy\..+\.(exists|sids|deny)$/,
  /^role\.trustPolicy$/,
];
