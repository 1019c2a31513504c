import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledge a cdk-nag finding on a construct (and its children), always with the reason.
 * `finding` narrows it, e.g. `Resource::*` for `AwsSolutions-IAM5[Resource::*]`.
 */
export function acknowledge(scope: IConstruct, rule: string, reason: string, finding?: string): void {
  if (reason.trim().length < 20) throw new Error(`acknowledgement of ${rule} needs a real reason`);
  Validations.of(scope).acknowledge({ id: finding ? `${rule}[${finding}]` : rule, reason });
}

/** Acknowledge several findings of one rule with one reason (each finding is named, none is blanket). */
export function acknowledgeFindings(scope: IConstruct, rule: string, reason: string, findings: readonly string[]): void {
  for (const f of findings) acknowledge(scope, rule, reason, f);
}
