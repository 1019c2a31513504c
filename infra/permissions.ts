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
class PermissionError extends LogwardenError {
  constructor(message: string) {
    super('InvalidPermission', message);
  }
}

/** Every declared action must be one exact action: no wildcards, no duplicates. Pure. */
function checkedActions(g: AnyGuardrail): string[] {
  for (const a of g.iamActions) {
    if (!ACTION.test(a)) throw new PermissionError(`${g.name}: IAM action "${a}" is not an exact action (service:Action)`);
  }
  if (new Set(g.iamActions).size !== g.iamActions.length) throw new PermissionError(`${g.name}: iamActions has duplicates`);
  return [...g.iamActions];
}

/**
 * The controller's grants: exactly the guardrail's declared actions, plus its scoped permissions for
 * the deployed policy. The declared actions are on `*` because which trail, VPC, bucket or detector
 * is governed comes from the policy and from events at run time; writes are limited by the exact
 * action list. Pure.
 */
export function controllerGrants(g: AnyGuardrail, policySection: unknown, account = '*'): Grant[] {
  const grants: Grant[] = [{ sid: 'GuardrailActions', actions: checkedActions(g), resources: ['*'] }];
  const scoped = g.scopedPermissions?.(policySection) ?? [];
  scoped.forEach((s, i) => {
    for (const a of s.actions) if (!ACTION.test(a)) throw new PermissionError(`${g.name}: scoped action "${a}" is not exact`);
    // `*` is allowed here only when the guardrail says so for actions without resource-level permissions.
    if (s.resources.length === 0) throw new PermissionError(`${g.name}: scoped permission ${i} names no resource`);
    grants.push({
      sid: `GuardrailScoped${i}`,
      actions: [...s.actions],
      resources: s.resources.map((r) => ownAccount(r, account)),
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
