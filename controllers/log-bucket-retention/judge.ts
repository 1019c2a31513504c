/**
 * Pure judgement of a log bucket's lifecycle rules and bucket policy: which rules delete or move
 * current log objects too early, which statements refuse log delivery. Everything here reads input
 * an account admin wrote (untrusted): unknown shapes are judged against the bucket (fail closed).
 */
import { iamWildcard, policyList } from '../core/bucket-policy.js';

/**
 * The service principals that deliver logs into S3 buckets of a member account: S3 server access
 * logs, vended logs (VPC flow logs, Route 53 Resolver query logs, ...), CloudTrail, AWS Config,
 * Elastic Load Balancing (the service principal of the newer regions) and GuardDuty findings export.
 */
export const LOG_DELIVERY_SERVICES: readonly string[] = [
  'logging.s3.amazonaws.com',
  'delivery.logs.amazonaws.com',
  'cloudtrail.amazonaws.com',
  'config.amazonaws.com',
  'logdelivery.elasticloadbalancing.amazonaws.com',
  'guardduty.amazonaws.com',
];

const asRecord = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** A lifecycle rule that removes or moves current objects too early. */
export interface ShortRetention {
  /** The rule's ID, or `#<position>` when it has none. */
  rule: string;
  /** Which objects it applies to, as a person reads it. */
  appliesTo: string;
  problems: string[];
}

/** Which objects a rule's filter (or legacy `Prefix`) selects; the filter never clears a rule. */
function appliesTo(rule: Record<string, unknown>): string {
  const filter = asRecord(rule.Filter);
  const prefix = typeof rule.Prefix === 'string' ? rule.Prefix : typeof filter?.Prefix === 'string' ? filter.Prefix : '';
  const narrowed = filter && Object.keys(filter).some((k) => k !== 'Prefix');
  if (prefix === '' && !narrowed) return 'every object';
  return `objects${prefix ? ` under "${prefix}"` : ''}${narrowed ? ' matching its filter' : ''}`;
}

/** The problems of one action (`Expiration` or a transition) on current objects. */
function actionProblems(action: unknown, verb: string, minimumDays: number): string[] {
  const a = asRecord(action);
  if (!a) return [`unreadable ${verb} action`];
  if (a.Date !== undefined && a.Date !== null) return [`${verb} on a fixed date (${String(a.Date)}), whatever the objects' age`];
  if (a.Days === undefined || a.Days === null) return [];
  if (typeof a.Days !== 'number' || !Number.isFinite(a.Days)) return [`unreadable ${verb} Days ${JSON.stringify(a.Days)}`];
  return a.Days < minimumDays ? [`${verb} after ${a.Days} day(s) (minimum ${minimumDays})`] : [];
}

/**
 * Why an enabled lifecycle rule shortens the retention of current objects, or null. Expiration (by
 * days or date) and transitions count, whatever the rule's filter: the log prefixes are chosen by
 * whoever configures delivery, so a filtered rule may hit them. Noncurrent-version actions,
 * `ExpiredObjectDeleteMarker` and `AbortIncompleteMultipartUpload` never touch a current log. Pure.
 */
export function shortRetentionOf(raw: unknown, index: number, minimumDays: number): ShortRetention | null {
  const rule = asRecord(raw);
  if (!rule) return { rule: `#${index + 1}`, appliesTo: 'unknown objects', problems: ['unreadable lifecycle rule'] };
  if (rule.Status !== 'Enabled') return null;
  const expiration = asRecord(rule.Expiration);
  const problems = [
    ...(rule.Expiration === undefined || (expiration && onlyDeleteMarkers(expiration))
      ? []
      : actionProblems(rule.Expiration, 'expires current objects', minimumDays)),
    ...policyList(rule.Transitions).flatMap((t) =>
      actionProblems(t, `moves current objects to ${String(asRecord(t)?.StorageClass ?? 'another storage class')}`, minimumDays),
    ),
  ];
  if (problems.length === 0) return null;
  const id = typeof rule.ID === 'string' && rule.ID !== '' ? rule.ID : `#${index + 1}`;
  return { rule: id, appliesTo: appliesTo(rule), problems };
}

/** `Expiration: { ExpiredObjectDeleteMarker: true }` removes only delete markers left alone. */
const onlyDeleteMarkers = (e: Record<string, unknown>) => e.Days === undefined && e.Date === undefined;

/** The lifecycle rules that keep current objects long enough, and the others with their problems. Pure. */
export function judgeLifecycle(rules: readonly unknown[], minimumDays: number): { kept: unknown[]; offending: ShortRetention[] } {
  const kept: unknown[] = [];
  const offending: ShortRetention[] = [];
  rules.forEach((rule, i) => {
    const short = shortRetentionOf(rule, i, minimumDays);
    if (short) offending.push(short);
    else kept.push(rule);
  });
  return { kept, offending };
}

/** The account and bucket a policy is judged for. */
export interface PolicyContext {
  account: string;
  bucket: string;
}

/** A statement that refuses log delivery. */
interface DenyingStatement {
  /** The statement's Sid, or `#<position>` when it has none. */
  statement: string;
  problem: string;
}

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : '');

/** Which delivery writers a Deny's Principal / NotPrincipal reaches (`*` for everyone), or none. */
function reachedWriters(s: Record<string, unknown>): string[] {
  if (s.NotPrincipal !== undefined) {
    const spared = policyList(asRecord(s.NotPrincipal)?.Service).map(lower);
    return LOG_DELIVERY_SERVICES.filter((svc) => !spared.includes(svc));
  }
  const p = s.Principal;
  if (p === '*' || policyList(asRecord(p)?.AWS).includes('*')) return ['*'];
  const services = policyList(asRecord(p)?.Service).map(lower);
  return LOG_DELIVERY_SERVICES.filter((svc) => services.includes(svc));
}

const matchesPutObject = (patterns: unknown) =>
  policyList(patterns).some((a) => typeof a === 'string' && iamWildcard(a.toLowerCase(), 's3:putobject'));

/** Does a resource pattern reach any object of the bucket (any partition)? */
function reachesObjects(pattern: unknown, bucket: string): boolean {
  if (typeof pattern !== 'string') return false;
  const p = pattern.replace(/^arn:[^:]*:/, 'arn:aws:');
  const objects = `arn:aws:s3:::${bucket}/`;
  if (p.startsWith(objects)) return true;
  const wildcard = p.search(/[*?]/);
  return wildcard >= 0 && objects.startsWith(p.slice(0, wildcard));
}

/** Does the statement's Resource (or NotResource) leave some object of the bucket in reach? */
function coversObjects(s: Record<string, unknown>, bucket: string): boolean {
  if (s.NotResource !== undefined) {
    const spared = policyList(s.NotResource).some(
      (r) => typeof r === 'string' && iamWildcard(r.replace(/^arn:[^:]*:/, 'arn:aws:'), `arn:aws:s3:::${bucket}/*`),
    );
    return !spared;
  }
  return policyList(s.Resource).some((r) => reachesObjects(r, bucket));
}

const values = (v: unknown) => policyList(v).map((x) => String(x));

/**
 * Conditions a log delivery never meets, so a Deny carrying one never refuses it: insecure transport
 * (delivery uses TLS), or a source account other than this one. Any other condition is not proof.
 */
function conditionSparesDelivery(condition: unknown, account: string): boolean {
  const c = asRecord(condition);
  if (!c) return false;
  const insecure = asRecord(c.Bool)?.['aws:SecureTransport'];
  if (insecure !== undefined && values(insecure).join() === 'false') return true;
  for (const op of ['StringNotEquals', 'StringNotEqualsIfExists']) {
    const source = asRecord(c[op])?.['aws:SourceAccount'];
    if (source !== undefined && values(source).includes(account)) return true;
  }
  return false;
}

/** Why one statement refuses log delivery into the bucket, or null. */
function denyProblem(raw: Record<string, unknown>, ctx: PolicyContext): string | null {
  if (raw.Effect !== 'Deny') return null;
  const writers = reachedWriters(raw);
  if (writers.length === 0) return null;
  const action = raw.NotAction !== undefined ? !matchesPutObject(raw.NotAction) : matchesPutObject(raw.Action);
  if (!action || !coversObjects(raw, ctx.bucket)) return null;
  if (raw.Condition !== undefined && conditionSparesDelivery(raw.Condition, ctx.account)) return null;
  const who = writers.includes('*') ? 'every principal, log delivery included' : writers.join(', ');
  const unless = raw.Condition === undefined ? 'without a condition' : 'with a condition log delivery may meet';
  return `denies s3:PutObject to ${who} ${unless}`;
}

/** A bucket policy, judged: unreadable, or its statements split into kept and denying. */
export type PolicyJudgement =
  | { readable: false; problem: string }
  | { readable: true; document: Record<string, unknown>; kept: unknown[]; denying: DenyingStatement[] };

/**
 * Split a bucket policy's statements into those that refuse log delivery (a Deny reaching a delivery
 * service or every principal, for s3:PutObject on the bucket's objects, without a condition that
 * spares delivery) and the rest. A policy that is not a JSON object with statements is unreadable. Pure.
 */
export function judgeBucketPolicy(text: string, ctx: PolicyContext): PolicyJudgement {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { readable: false, problem: `the bucket policy is not JSON (${(error as Error).message.slice(0, 100)})` };
  }
  const document = asRecord(doc);
  if (!document) return { readable: false, problem: 'the bucket policy is not a JSON object' };
  const statements = policyList(document.Statement);
  const kept: unknown[] = [];
  const denying: DenyingStatement[] = [];
  for (const [i, raw] of statements.entries()) {
    const s = asRecord(raw);
    if (!s) return { readable: false, problem: `statement #${i + 1} of the bucket policy is not an object` };
    const problem = denyProblem(s, ctx);
    const name = typeof s.Sid === 'string' && s.Sid !== '' ? s.Sid : `#${i + 1}`;
    if (problem) denying.push({ statement: name, problem });
    else kept.push(s);
  }
  return { readable: true, document, kept, denying };
}
