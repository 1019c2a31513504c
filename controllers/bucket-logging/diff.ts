import { iamWildcard, policyAllowsPutObject, policyList } from '../core/bucket-policy.js';
import type { Drift } from '../core/record.js';
import type { Step } from '../core/types.js';
import { type BucketRef, logBucketName, targetPrefixFor } from './events.js';
import type { BucketLoggingPolicy, KeyFormat } from './policy.js';

/** A grant of the legacy ACL-based log delivery, kept as it is. */
export interface TargetGrant {
  Grantee?: { Type?: string; ID?: string; URI?: string; EmailAddress?: string; DisplayName?: string };
  Permission?: string;
}

/** A bucket's server access logging as GetBucketLogging reports it; null when off. */
export interface LoggingState {
  targetBucket: string;
  targetPrefix: string;
  /** Null when S3 reports no format (the simple prefix format). */
  targetObjectKeyFormat: KeyFormat | null;
  targetGrants: TargetGrant[];
}

/**
 * Can S3 deliver to the log bucket the bucket logs to: it exists, in the bucket's region, and its
 * policy (or legacy ACL) lets logging.s3.amazonaws.com write the prefix.
 */
export type LogBucketHealth =
  | { ok: true }
  | { ok: false; code: 'LogBucketMissing' | 'LogBucketWrongRegion' | 'LogBucketNotPermitted'; problem: string };

/** What logwarden reads about a bucket. */
export type BucketState =
  /** The policy leaves the bucket alone; it was not read. */
  | { kind: 'excluded'; reason: string }
  /** NoSuchBucket. */
  | { kind: 'missing' }
  /** The bucket lives in another region; its controller governs it. */
  | { kind: 'elsewhere'; region: string }
  | {
      kind: 'bucket';
      region: string;
      logging: LoggingState | null;
      /** The health of the log bucket it logs to; null when not checked (logging off, or to another bucket). */
      logBucket: LogBucketHealth | null;
    };

export interface DesiredLogging {
  targetBucket: string;
  targetPrefix: string;
  targetObjectKeyFormat: KeyFormat;
}

/** The SDK shape of `LoggingEnabled`. */
interface LoggingEnabledInput {
  TargetBucket: string;
  TargetPrefix: string;
  TargetGrants?: TargetGrant[];
  TargetObjectKeyFormat: { SimplePrefix: Record<string, never> } | { PartitionedPrefix: { PartitionDateSource: string } };
}

export type BucketStep = Step & { api: 's3:PutBucketLogging'; loggingEnabled: LoggingEnabledInput };

/** The desired logging of a bucket: its region's log bucket, the prefix and key format of the policy. */
export function desiredLogging(ref: BucketRef, policy: BucketLoggingPolicy): DesiredLogging {
  return {
    targetBucket: logBucketName(policy, ref.account, ref.region),
    targetPrefix: targetPrefixFor(policy, ref.id, ref.account, ref.region),
    targetObjectKeyFormat: policy.targetObjectKeyFormat,
  };
}

/** No format, or `SimplePrefix`, is the simple format; a partitioned one without a source dates by delivery time. */
function normalizeKeyFormat(format: KeyFormat | null): KeyFormat {
  if (!format || 'simplePrefix' in format) return { simplePrefix: {} };
  return { partitionedPrefix: { partitionDateSource: format.partitionedPrefix.partitionDateSource ?? 'DeliveryTime' } };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Compare a bucket's logging with the policy. Pure. Buckets not read (excluded, elsewhere, gone) have no drift. */
export function diffLogging(state: BucketState, d: DesiredLogging): Drift[] {
  if (state.kind !== 'bucket') return [];
  if (!state.logging) return [{ property: 'loggingEnabled', observed: false, desired: true }];
  const drift: Drift[] = [];
  const check = (property: string, observed: unknown, desired: unknown) => {
    if (!same(observed, desired)) drift.push({ property, observed, desired });
  };
  check('targetBucket', state.logging.targetBucket, d.targetBucket);
  check('targetPrefix', state.logging.targetPrefix, d.targetPrefix);
  check(
    'targetObjectKeyFormat',
    normalizeKeyFormat(state.logging.targetObjectKeyFormat),
    normalizeKeyFormat(d.targetObjectKeyFormat),
  );
  // Delivery is judged once the configuration matches: a configuration fix is checked before its write.
  if (drift.length === 0 && state.logBucket && !state.logBucket.ok) {
    const { code, problem } = state.logBucket;
    drift.push({
      property: 'logDelivery',
      observed: { code, problem },
      desired: `${LOGGING_SERVICE} may write s3://${d.targetBucket}/${d.targetPrefix}`,
    });
  }
  return drift;
}

/**
 * Delivery drift alone is only reported: the log bucket and its policy belong to the member stack
 * (or to the team that made it), and logwarden's role never changes a bucket policy. Pure.
 */
export function bucketDeliveryProblem(drift: readonly Drift[], d: DesiredLogging): string | null {
  const delivery = drift.find((x) => x.property === 'logDelivery');
  if (!delivery || drift.length > 1) return null;
  const { problem } = delivery.observed as { problem: string };
  return `access logs are configured but cannot be delivered: ${problem}; logwarden does not change log bucket ${d.targetBucket} (runbooks/bucket-logging.md#delivery)`;
}

function keyFormatInput(format: KeyFormat): LoggingEnabledInput['TargetObjectKeyFormat'] {
  return 'simplePrefix' in format
    ? { SimplePrefix: {} }
    : { PartitionedPrefix: { PartitionDateSource: format.partitionedPrefix.partitionDateSource } };
}

/** One PutBucketLogging with the whole desired configuration; legacy target grants are kept. Pure. */
export function planLogging(state: BucketState, d: DesiredLogging, drift: readonly Drift[]): BucketStep[] {
  if (state.kind !== 'bucket' || drift.length === 0) return [];
  const grants = state.logging?.targetGrants ?? [];
  return [
    {
      api: 's3:PutBucketLogging',
      description: `log to s3://${d.targetBucket}/${d.targetPrefix}`,
      loggingEnabled: {
        TargetBucket: d.targetBucket,
        TargetPrefix: d.targetPrefix,
        ...(grants.length > 0 ? { TargetGrants: grants } : {}),
        TargetObjectKeyFormat: keyFormatInput(d.targetObjectKeyFormat),
      },
    },
  ];
}

export const LOGGING_SERVICE = 'logging.s3.amazonaws.com';
export const LOG_DELIVERY_GROUP = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

function principalMatches(principal: unknown): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const p = principal as Record<string, unknown>;
  return policyList(p.Service).includes(LOGGING_SERVICE) || policyList(p.AWS).includes('*');
}

/** Conditions logwarden can judge: source account and source bucket. Others are assumed to hold. */
function conditionsHold(condition: unknown, source: { account: string; bucketArn: string }): boolean {
  if (!condition || typeof condition !== 'object') return true;
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (!block || typeof block !== 'object') continue;
    const negated = /^(StringNot|ArnNot)/.test(operator);
    for (const [key, expected] of Object.entries(block as Record<string, unknown>)) {
      const k = key.toLowerCase();
      const actual = k === 'aws:sourceaccount' ? source.account : k === 'aws:sourcearn' ? source.bucketArn : null;
      if (actual === null) continue;
      const like = /Like$|^Arn/.test(operator);
      const hit = policyList(expected).some((e) => typeof e === 'string' && (like ? iamWildcard(e, actual) : e === actual));
      if (hit === negated) return false;
    }
  }
  return true;
}

/**
 * Does a bucket policy let S3 log delivery write the source bucket's logs under the prefix? Pure.
 * An explicit Deny wins; an Allow must name the logging service (or everyone), s3:PutObject and the
 * key, with aws:SourceAccount / aws:SourceArn conditions (if any) that admit the source bucket.
 */
export function policyAllowsLogDelivery(
  policyText: string,
  target: { bucket: string; prefix: string },
  source: { account: string; bucket: string; partition?: string },
): boolean {
  const arn = `arn:${source.partition ?? 'aws'}:s3:::`;
  const ctx = { account: source.account, bucketArn: `${arn}${source.bucket}` };
  return policyAllowsPutObject(policyText, {
    objectArn: `${arn}${target.bucket}/${target.prefix}logwarden-probe`,
    principal: principalMatches,
    conditionsHold: (c) => conditionsHold(c, ctx),
  });
}

/** Does the bucket ACL give the Log Delivery group WRITE and READ_ACP (the legacy way)? Pure. */
export function aclAllowsLogDelivery(grants: readonly TargetGrant[]): boolean {
  const perms = new Set(grants.filter((g) => g.Grantee?.URI === LOG_DELIVERY_GROUP).map((g) => g.Permission));
  return perms.has('FULL_CONTROL') || (perms.has('WRITE') && perms.has('READ_ACP'));
}
