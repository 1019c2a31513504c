import { errorCode } from '../core/errors.js';
import type { Drift } from '../core/record.js';
import { type Reader, readIntegrity } from './aws.js';
import { desiredOf, diffIntegrity } from './diff.js';
import { type IntegrityRef, manifestRefs } from './events.js';
import type { DeploymentManifest } from './manifest.js';

/** One resource of logwarden's wiring that differs from the manifest, or could not be read. */
/**
 * Every read of the integrity check: the integrity controller's reads and, alone, the heartbeat's
 * health check (which runs this same check read-only).
 */
export const INTEGRITY_READ_ACTIONS = [
  'events:DescribeRule',
  'events:ListTargetsByRule',
  'lambda:GetFunction',
  'lambda:GetFunctionConcurrency',
  'iam:GetRole',
  'iam:ListRolePolicies',
  'iam:GetRolePolicy',
  'iam:ListAttachedRolePolicies',
  'dynamodb:DescribeTable',
  'config:DescribeConfigRules',
  's3:GetBucketPolicy',
] as const;

export interface IntegrityFinding {
  ref: IntegrityRef;
  drift: Drift[];
  /** Why it could not be read (fail closed: an unreadable part is a finding). */
  error: string | null;
}

/**
 * The integrity facts, read-only: every resource of the resolved manifest read and compared. The
 * heartbeat's health check; the integrity controller makes the same reads and the same `diff`.
 */
export async function integrityFindings(
  manifest: DeploymentManifest,
  where: { account: string; region: string },
  clients: Reader,
): Promise<IntegrityFinding[]> {
  const checks = manifestRefs(manifest, where).map(async (ref): Promise<IntegrityFinding | null> => {
    try {
      const drift = diffIntegrity(await readIntegrity(ref, clients), desiredOf(ref, manifest));
      return drift.length > 0 ? { ref, drift, error: null } : null;
    } catch (error) {
      return { ref, drift: [], error: `cannot be read: ${errorCode(error)}` };
    }
  });
  return (await Promise.all(checks)).filter((f): f is IntegrityFinding => f !== null);
}

/** `rule logwarden-x: rule.state; table t: cannot be read: AccessDenied`. Pure. */
export function describeFindings(findings: readonly IntegrityFinding[]): string {
  return findings.map((f) => `${f.ref.type} ${f.ref.id}: ${f.error ?? f.drift.map((d) => d.property).join(', ')}`).join('; ');
}
