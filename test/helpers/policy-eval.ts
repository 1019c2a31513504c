/**
 * A small IAM policy evaluator for exactly what the SCP (infra/scp.ts), the audit bus policy
 * (infra/bus-policy.ts) and the audit signing key's policy (infra/audit-signing.ts) and the heartbeat monitor's role use: Principal
 * (`*`, an account root, a role ARN, a service), Action or NotAction, Resource, and the StringLike,
 * StringEquals, StringNotLike, StringNotEquals, ArnLike, ArnEquals, ArnNotLike, ForAnyValue:StringLike,
 * ForAllValues:StringEquals, Bool and Null operators, with AWS's
 * documented semantics (IAM User Guide, "Policy evaluation logic" and "Condition operators"):
 * - several values of one key are ORed; a negated operator is true only if no value matches;
 * - a key missing from the request: false for a positive operator, true for a negated one;
 * - ForAnyValue: true if some request value matches some policy value, false if the key is missing;
 * - ForAllValues: true if every request value matches some policy value, and so when the key is missing;
 * - Null: `"true"` holds when the key is missing, `"false"` when it is present;
 * - an ARN is compared segment by segment (six colon-separated parts, the last one may hold colons);
 * - actions are matched case-insensitively, ARNs and tag keys case-sensitively (tag keys in
 *   aws:TagKeys are case-sensitive in the request context).
 * Anything else throws: a test must never pass on an operator the evaluator does not know.
 */

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  /** Every action except these. */
  NotAction?: string | string[];
  /**
   * Resource policies only: `*`, `{ AWS: ... }` (anyone, an account root or bare account id, or exact
   * principal ARNs) or service principals (matched with `aws:PrincipalServiceName`).
   */
  Principal?: '*' | { AWS: string | string[] } | { Service: string | string[] };
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: Statement[];
}

/** One request: its action, resource and context keys (single- or multi-valued). */
export interface RequestContext {
  /** The calling principal's ARN (a role session: the role's ARN); needed by statements with a Principal. */
  principal?: string;
  action: string;
  resource: string;
  context: Record<string, string | string[] | undefined>;
}

export type Decision = 'allowed' | 'explicit-deny' | 'implicit-deny';

/** AWS's attached-by-default SCP: with it, everything not denied stays allowed. */
export const FULL_AWS_ACCESS: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

export class UnsupportedConditionError extends Error {}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

/** `*` any run of characters, `?` one character, everything else literal. */
export function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** The six parts of an ARN: everything after the fifth colon is the resource part. */
function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

export function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const p = arnParts(pattern);
  const a = arnParts(arn);
  if (!p || !a) return false;
  return p.every((part, i) => globMatches(part, a[i] as string));
}

type Matcher = (pattern: string, value: string) => boolean;
const POSITIVE: Record<string, Matcher> = {
  StringLike: (p, v) => globMatches(p, v),
  StringEquals: (p, v) => p === v,
  ArnLike: arnMatches,
  // ArnEquals matches like ArnLike (IAM User Guide, "ARN condition operators").
  ArnEquals: arnMatches,
  // Bool compares "true"/"false" (e.g. aws:SecureTransport in a TLS-only bucket policy).
  Bool: (p, v) => p === v,
};
const NEGATED: Record<string, Matcher> = {
  StringNotLike: POSITIVE.StringLike as Matcher,
  StringNotEquals: POSITIVE.StringEquals as Matcher,
  ArnNotLike: arnMatches,
};

function conditionHolds(operator: string, patterns: string[], actual: string | string[] | undefined): boolean {
  // Null: "true" holds when the key is absent, "false" when it is present.
  if (operator === 'Null') return patterns.every((p) => (p === 'true') === (actual === undefined));
  if (operator.startsWith('ForAllValues:')) {
    const inner = POSITIVE[operator.slice('ForAllValues:'.length)];
    if (!inner) throw new UnsupportedConditionError(operator);
    // AWS: true when every request value matches some policy value, so also when the key is absent.
    const values = actual === undefined ? [] : list(actual);
    return values.every((v) => patterns.some((p) => inner(p, v)));
  }
  if (operator.startsWith('ForAnyValue:')) {
    const inner = POSITIVE[operator.slice('ForAnyValue:'.length)];
    if (!inner) throw new UnsupportedConditionError(operator);
    const values = actual === undefined ? [] : list(actual);
    return values.some((v) => patterns.some((p) => inner(p, v)));
  }
  const positive = POSITIVE[operator];
  const negated = NEGATED[operator];
  if (!positive && !negated) throw new UnsupportedConditionError(operator);
  if (Array.isArray(actual)) throw new UnsupportedConditionError(`${operator} on a multi-valued key`);
  if (actual === undefined) return negated !== undefined;
  if (positive) return patterns.some((p) => positive(p, actual));
  return !patterns.some((p) => (negated as Matcher)(p, actual));
}

/**
 * `*` is anyone; `arn:...:iam::ACCOUNT:root` (or a bare account id) is any principal of that account
 * (in AWS its own IAM policies must allow too: the account delegates); any other ARN is that principal.
 * A service principal is matched with `aws:PrincipalServiceName`. The caller is `request.principal`, or
 * else `aws:PrincipalArn`.
 */
function principalMatches(principal: Statement['Principal'], request: RequestContext): boolean {
  if (principal === undefined || principal === '*') return true;
  if ('Service' in principal) {
    const service = request.context['aws:PrincipalServiceName'];
    return typeof service === 'string' && list(principal.Service).includes(service);
  }
  const arns = list(principal.AWS);
  if (arns.includes('*')) return true;
  const caller = request.principal ?? request.context['aws:PrincipalArn'];
  if (typeof caller !== 'string') return false;
  const account = caller.split(':')[4];
  return arns.some((p) => p === caller || p === account || p.endsWith(`:iam::${account}:root`));
}

function statementApplies(s: Statement, request: RequestContext): boolean {
  if (!principalMatches(s.Principal, request)) return false;
  const matchesAction = (patterns: string | string[]) => list(patterns).some((a) => globMatches(a, request.action, true));
  if (s.Action !== undefined ? !matchesAction(s.Action) : s.NotAction === undefined || matchesAction(s.NotAction)) return false;
  if (!list(s.Resource).some((r) => arnMatches(r, request.resource))) return false;
  return Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, patterns]) => conditionHolds(operator, list(patterns), request.context[key])),
  );
}

/** Deny wins; then any allow; otherwise nothing allowed it. */
export function evaluate(policies: readonly PolicyDocument[], request: RequestContext): Decision {
  const statements = policies.flatMap((p) => p.Statement);
  if (statements.some((s) => s.Effect === 'Deny' && statementApplies(s, request))) return 'explicit-deny';
  return statements.some((s) => s.Effect === 'Allow' && statementApplies(s, request)) ? 'allowed' : 'implicit-deny';
}
