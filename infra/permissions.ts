import { LogwardenError } from '../controllers/core/errors.js';
import type { AnyGuardrail, ScopedPermission } from '../controllers/core/types.js';

/** A statement as the infrastructure grants it (before CDK renders it). */
export interface Grant {
  sid: string;
  actions: string[];
  /** `*` only where the actions are named by the guardrail at run time (see below). */
  resources: string[];
  conditions?: Record<string, Record<string, string>>;
}

const ACTION = /^[a-z0-9-]+:[A-Za-z0-9]+$/;
/** Read actions: what a Config rule evaluation (observe/list) may call. */
const READ_ACTION = /^[a-z0-9-]+:(Get|List|Describe|Head|Lookup|Search|BatchGet)[A-Za-z0-9]*$/;

/** A guardrail declares an IAM action or a scoped permission the infrastructure cannot grant exactly. */
export class PermissionError extends LogwardenError {
  constructor(message: string) {
    super('InvalidPermission', message);
  }
}

/** Where the grants apply: the function's own account and its stack's partition (CDK tokens, or placeholders). */
export interface GrantPlace {
  account: string;
  partition: string;
}

/** What a guardrail's ARNs hold for the partition (`arn:{partition}:...`). */
const PARTITION_PLACEHOLDER = '{partition}';

/** Every declared action must be one exact action: no wildcards, no duplicates. Pure. */
function checkedActions(g: AnyGuardrail): string[] {
  for (const a of g.iamActions) {
    if (!ACTION.test(a)) throw new PermissionError(`${g.name}: IAM action "${a}" is not an exact action (service:Action)`);
  }
  if (new Set(g.iamActions).size !== g.iamActions.length) throw new PermissionError(`${g.name}: iamActions has duplicates`);
  return [...g.iamActions];
}

/**
 * The declared actions left on `*`: those no scoped permission names. Each must be justified by the
 * guardrail (`unscopedActions`), and a justification must not name an action that is scoped or not
 * declared: what is on `*` is exactly what the guardrail wrote a reason for. Pure.
 */
function unscopedActions(g: AnyGuardrail, declared: readonly string[], scoped: ReadonlySet<string>): string[] {
  const justified = new Set<string>();
  for (const u of g.unscopedActions) {
    if (u.why.trim().length === 0)
      throw new PermissionError(`${g.name}: unscopedActions ${u.actions.join(', ')} gives no reason`);
    for (const a of u.actions) {
      if (!declared.includes(a)) throw new PermissionError(`${g.name}: unscopedActions names ${a}, which is not declared`);
      if (scoped.has(a))
        throw new PermissionError(`${g.name}: ${a} is both scoped and justified on *; it is granted only scoped`);
      justified.add(a);
    }
  }
  const left = declared.filter((a) => !scoped.has(a));
  const unjustified = left.filter((a) => !justified.has(a));
  if (unjustified.length > 0) {
    throw new PermissionError(`${g.name}: ${unjustified.join(', ')} neither scoped nor justified (unscopedActions)`);
  }
  return left;
}

/**
 * The controller's grants: the guardrail's scoped permissions for the deployed policy (an action named
 * there is granted only there), and the rest of its declared actions on `*`, each justified in writing
 * by the guardrail. `{partition}` becomes the stack's partition and an account `*` the function's own.
 * Pure; `place` may hold CDK tokens.
 */
export function controllerGrants(g: AnyGuardrail, policySection: unknown, place: GrantPlace): Grant[] {
  const declared = checkedActions(g);
  const scoped = g.scopedPermissions?.(policySection) ?? [];
  const onStar = unscopedActions(g, declared, new Set(scoped.flatMap((s) => s.actions)));
  const grants: Grant[] = onStar.length > 0 ? [{ sid: 'GuardrailActions', actions: onStar, resources: ['*'] }] : [];
  scoped.forEach((s, i) => {
    for (const a of s.actions) if (!ACTION.test(a)) throw new PermissionError(`${g.name}: scoped action "${a}" is not exact`);
    if (s.resources.length === 0) throw new PermissionError(`${g.name}: scoped permission ${i} names no resource`);
    // `*` only for actions without resource-level permissions, and then with the reason written down.
    if (s.resources.includes('*') && !s.why?.trim()) {
      throw new PermissionError(`${g.name}: scoped permission ${i} is on * without a reason (why)`);
    }
    grants.push({
      sid: `GuardrailScoped${i}`,
      actions: [...s.actions],
      resources: s.resources.map((r) => ownAccount(r.split(PARTITION_PLACEHOLDER).join(place.partition), place.account)),
      ...passRoleCondition(g, s, i),
    });
  });
  return grants;
}
/** `iam:PassRole` only to the service that needs the role (#17): alone in its statement, with the service named. */
function passRoleCondition(g: AnyGuardrail, s: ScopedPermission, i: number): Pick<Grant, 'conditions'> {
  if (!s.actions.includes('iam:PassRole')) return {};
  if (s.actions.length > 1 || !s.passedToService) {
    throw new PermissionError(`${g.name}: scoped permission ${i}: iam:PassRole must be alone and name passedToService`);
  }
  return { conditions: { StringEquals: { 'iam:PassedToService': s.passedToService } } };
}

/**
 * A function only ever acts in its own account: an ARN whose account is `*` is narrowed to it.
 * Pure; `account` may be a CDK token.
 */
function ownAccount(arn: string, account: string): string {
  const m = /^(arn:[^:]+:[^:]+:[^:]*:)\*(:.*)$/.exec(arn);
  return m ? `${m[1]}${account}${m[2]}` : arn;
}

/** The Config rule evaluator's grants: only the read actions among the declared ones. Pure. */
export function evaluatorGrants(g: AnyGuardrail): Grant[] {
  const reads = checkedActions(g).filter((a) => READ_ACTION.test(a));
  return reads.length > 0 ? [{ sid: 'GuardrailReads', actions: reads, resources: ['*'] }] : [];
}

export { READ_ACTION };
