import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole, Role } from 'aws-cdk-lib/aws-iam';

/** An IAM policy statement as synthesized. */
export type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string };

/** Every statement that applies to a role: its inline policies and any AWS::IAM::Policy attached to it. */
export function statementsOf(template: Template, stack: Stack, role: Role): Statement[] {
  const roleId = stack.getLogicalId(role.node.defaultChild as CfnRole);
  const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const resource = json.Resources[roleId];
  if (resource?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role of the template`);
  const out: Statement[] = [];
  for (const p of (resource.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) {
    out.push(...p.PolicyDocument.Statement);
  }
  for (const r of Object.values(json.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = (r.Properties.Roles ?? []) as { Ref?: string }[];
    if (roles.some((x) => x.Ref === roleId)) out.push(...(r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  }
  return out;
}

/** The distinct actions of some statements, sorted. */
export const actionsOf = (s: readonly Statement[]): string[] =>
  [...new Set(s.flatMap((x) => (Array.isArray(x.Action) ? x.Action : [x.Action])))].sort();
