/**
 * Pure reading of an S3 bucket policy, for the guardrails that check a log bucket before pointing
 * logs at it (bucket-logging, load-balancer-logs): does it let a log-delivery writer put an object?
 * What a writer is and which conditions can be judged differ per guardrail; the statement loop, the
 * wildcards and the Deny-wins rule are the same.
 */

/** A policy field that may be one value or a list. */
export const policyList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** IAM-style wildcards: `*` any run of characters, `?` one character. */
export const iamWildcard = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

const putsObject = (action: unknown) =>
  policyList(action).some((a) => typeof a === 'string' && iamWildcard(a.toLowerCase(), 's3:putobject'));
const covers = (resource: unknown, objectArn: string) =>
  policyList(resource).some((r) => typeof r === 'string' && iamWildcard(r, objectArn));

/**
 * Does the policy let the writer `s3:PutObject` the object? An explicit Deny that applies wins; else
 * an Allow must apply. A statement applies when it names the writer (`principal`), s3:PutObject, a
 * resource covering `objectArn`, and its conditions hold (`conditionsHold`). Unreadable policy: false.
 */
export function policyAllowsPutObject(
  policyText: string,
  check: { objectArn: string; principal(p: unknown): boolean; conditionsHold(c: unknown): boolean },
): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(policyText);
  } catch {
    return false;
  }
  let allowed = false;
  for (const raw of policyList((doc as { Statement?: unknown } | null)?.Statement)) {
    if (!raw || typeof raw !== 'object') continue;
    const s = raw as Record<string, unknown>;
    if (!check.principal(s.Principal) || !putsObject(s.Action) || !covers(s.Resource, check.objectArn)) continue;
    if (!check.conditionsHold(s.Condition)) continue;
    if (s.Effect === 'Deny') return false;
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed;
}
