import {
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  ListBucketsCommand,
  type LoggingEnabled,
  PutBucketLoggingCommand,
  S3Client,
  type TargetObjectKeyFormat,
} from '@aws-sdk/client-s3';
import { errorCode, errorMessage, LogBucketError, RemediationError } from '../core/errors.js';
import { partitionOf } from '../core/identity.js';
import type { Listing, Observation, Scope } from '../core/types.js';
import {
  aclAllowsLogDelivery,
  type BucketState,
  type BucketStep,
  type DesiredLogging,
  desiredLogging,
  LOGGING_SERVICE,
  type LogBucketHealth,
  type LoggingState,
  policyAllowsLogDelivery,
  type TargetGrant,
} from './diff.js';
import { type BucketRef, bucketRef, exclusionOf, isLogBucketName, logBucketExclusion, regionOfLocation } from './events.js';
import type { BucketLoggingPolicy, KeyFormat } from './policy.js';

export const RUNBOOK = 'runbooks/bucket-logging.md';

/**
 * One S3 client per bucket region, in the SDK's adaptive retry mode (client-side rate limiting on
 * `SlowDown` and throttling) unless the runtime sets a mode. A sweep makes thousands of calls to
 * one regional endpoint; adaptive mode slows the whole client down instead of failing buckets.
 */
export const s3In = (scope: Pick<Scope<unknown>, 'clients'>, region: string) =>
  scope.clients.get(S3Client, region, { retryMode: 'adaptive' });

const isDenied = (error: unknown) => /^(AccessDenied|AllAccessDisabled)$/.test(errorCode(error));

/** Access denied by a bucket policy or an SCP: terminal, with what was denied. */
function denied(error: unknown, action: string, bucket: string): unknown {
  if (!isDenied(error)) return error;
  return new RemediationError(
    errorCode(error),
    `${action} on bucket ${bucket} was denied (a bucket policy or an SCP denies logwarden's role; retrying will not help): ${errorMessage(error)}; see ${RUNBOOK}`,
    false,
    { cause: error },
  );
}

function keyFormatOf(format: TargetObjectKeyFormat | undefined): KeyFormat | null {
  if (format?.PartitionedPrefix) {
    return { partitionedPrefix: { partitionDateSource: format.PartitionedPrefix.PartitionDateSource ?? 'DeliveryTime' } };
  }
  if (format?.SimplePrefix) return { simplePrefix: {} };
  return null;
}

function loggingOf(enabled: LoggingEnabled | undefined): LoggingState | null {
  if (!enabled?.TargetBucket) return null;
  return {
    targetBucket: enabled.TargetBucket,
    targetPrefix: enabled.TargetPrefix ?? '',
    targetObjectKeyFormat: keyFormatOf(enabled.TargetObjectKeyFormat),
    targetGrants: (enabled.TargetGrants ?? []) as TargetGrant[],
  };
}

/** GetBucketLocation through the client of `clientRegion`: the bucket's region, or `missing`. */
function readLocation(scope: Scope<BucketLoggingPolicy>, clientRegion: string, bucket: string): Promise<string | 'missing'> {
  return s3In(scope, clientRegion)
    .send(new GetBucketLocationCommand({ Bucket: bucket }))
    .then(
      (out) => regionOfLocation(out.LocationConstraint) ?? String(out.LocationConstraint),
      (error) => {
        if (errorCode(error) === 'NoSuchBucket') return 'missing' as const;
        throw error;
      },
    );
}

/**
 * The log bucket's location, read once per invocation: the check that a bucket named like the log
 * bucket really is it, and the delivery check of every bucket logging there, share it.
 */
function logBucketLocation(bucket: string, clientRegion: string, scope: Scope<BucketLoggingPolicy>): Promise<string | 'missing'> {
  const key = `bucket-logging:location:${clientRegion}|${bucket}`;
  const cached = scope.memo.get(key) as Promise<string | 'missing'> | undefined;
  if (cached) return cached;
  const location = readLocation(scope, clientRegion, bucket);
  // A failed read is not kept: the next one asks again.
  location.catch(() => scope.memo.delete(key));
  scope.memo.set(key, location);
  return location;
}

/** Where a bucket is; a bucket named like the log bucket shares the log bucket's read. */
async function locate(ref: BucketRef, scope: Scope<BucketLoggingPolicy>, mayBeLogBucket: boolean): Promise<string | 'missing'> {
  try {
    return await (mayBeLogBucket ? logBucketLocation(ref.id, ref.region, scope) : readLocation(scope, ref.region, ref.id));
  } catch (error) {
    throw denied(error, 's3:GetBucketLocation', ref.id);
  }
}

/**
 * Read a bucket: its region (GetBucketLocation, unless a region-filtered ListBuckets just returned
 * it), then GetBucketLogging: one read per bucket in a sweep. A bucket named like this region's log
 * bucket is always located (a name is not enough; the read is shared with the log bucket check).
 * Tags are not read here (they never exempt; `readBucketTags` reads them only when there is drift).
 * Excluded buckets are not read at all. To verify a remediation only GetBucketLogging is read: the
 * region was settled by the observation that led to the write.
 */
export async function observeBucket(
  ref: BucketRef,
  scope: Scope<BucketLoggingPolicy>,
  observation: Observation<BucketState, BucketStep> = { purpose: 'decide' },
): Promise<BucketState> {
  const excluded = exclusionOf(ref.id, scope.policy, ref.account, ref.region);
  if (excluded) return { kind: 'excluded', reason: excluded };
  const verifying = observation.purpose === 'verify';
  let region = ref.regionSource === 'listing' || !verifying ? ref.region : scope.region;
  const mayBeLogBucket = !verifying && isLogBucketName(ref.id, scope.policy, ref.account, scope.region);
  if (mayBeLogBucket || (ref.regionSource !== 'listing' && !verifying)) {
    const located = await locate(ref, scope, mayBeLogBucket);
    if (located === 'missing') return { kind: 'missing' };
    region = located;
    if (region !== scope.region) return { kind: 'elsewhere', region };
    const logBucket = logBucketExclusion(ref.id, region, scope.policy, scope);
    if (logBucket) return { kind: 'excluded', reason: logBucket };
  }
  let logging: LoggingState | null;
  try {
    logging = loggingOf((await s3In(scope, region).send(new GetBucketLoggingCommand({ Bucket: ref.id }))).LoggingEnabled);
  } catch (error) {
    if (errorCode(error) === 'NoSuchBucket') return { kind: 'missing' };
    throw denied(error, 's3:GetBucketLogging', ref.id);
  }
  // Logging to the policy's log bucket: can S3 deliver there? (Read once per invocation, `logBucketFacts`.)
  const pointsAtLogBucket = logging?.targetBucket === desiredLogging(ref, scope.policy).targetBucket;
  const logBucket =
    logging && pointsAtLogBucket
      ? await logBucketHealth({ ...ref, region }, { bucket: logging.targetBucket, prefix: logging.targetPrefix }, scope)
      : null;
  return { kind: 'bucket', region, logging, logBucket };
}

/** A bucket's tags (none when it has no tag set), for the note on an unapproved exemption request. */
export async function readBucketTags(
  ref: BucketRef,
  _state: BucketState,
  scope: Scope<BucketLoggingPolicy>,
): Promise<Record<string, string>> {
  try {
    // Only read for drift, which only this region's controller acts on: the bucket is in scope.region.
    const out = await s3In(scope, scope.region).send(new GetBucketTaggingCommand({ Bucket: ref.id }));
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  } catch (error) {
    if (errorCode(error) === 'NoSuchTagSet') return {};
    throw error;
  }
}

/** What logwarden read about a log bucket (GetBucketLocation, GetBucketPolicy; GetBucketAcl only when needed). */
interface LogBucketFacts {
  region: Promise<string | 'missing'>;
  policy: Promise<string | null>;
  acl: () => Promise<TargetGrant[]>;
}

/** Log bucket reads are shared by the remediations of one invocation (a sweep fixes many buckets). */
function logBucketFacts(target: string, region: string, scope: Scope<BucketLoggingPolicy>): LogBucketFacts {
  const key = `bucket-logging:log-bucket:${region}|${target}`;
  const cached = scope.memo.get(key) as LogBucketFacts | undefined;
  if (cached) return cached;
  const s3 = s3In(scope, region);
  const unreadable = (error: unknown, action: string): never => {
    if (isDenied(error)) {
      throw new LogBucketError(
        'LogBucketUnreadable',
        RUNBOOK,
        target,
        `${action} on log bucket ${target} was denied: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  };
  const regionP = logBucketLocation(target, region, scope).catch((error) => unreadable(error, 's3:GetBucketLocation'));
  const policyP = regionP.then((r) =>
    r === 'missing'
      ? null
      : s3.send(new GetBucketPolicyCommand({ Bucket: target })).then(
          (out) => out.Policy ?? null,
          (error) => (errorCode(error) === 'NoSuchBucketPolicy' ? null : unreadable(error, 's3:GetBucketPolicy')),
        ),
  );
  let aclP: Promise<TargetGrant[]> | undefined;
  const facts: LogBucketFacts = {
    region: regionP,
    policy: policyP,
    acl: () => {
      aclP ??= s3.send(new GetBucketAclCommand({ Bucket: target })).then(
        (out) => (out.Grants ?? []) as TargetGrant[],
        (error) => unreadable(error, 's3:GetBucketAcl'),
      );
      return aclP;
    },
  };
  // Failed reads are not kept: the next remediation reads again.
  regionP.catch(() => scope.memo.delete(key));
  policyP.catch(() => scope.memo.delete(key));
  scope.memo.set(key, facts);
  return facts;
}

/**
 * Can S3 log delivery write the bucket's logs to the log bucket: it exists in the bucket's region and
 * lets logging.s3.amazonaws.com write the prefix (bucket policy, no Deny; or the legacy Log Delivery
 * ACL). S3 itself checks none of this at PutBucketLogging time: logs would silently go nowhere.
 */
async function logBucketHealth(
  ref: BucketRef,
  target: { bucket: string; prefix: string },
  scope: Scope<BucketLoggingPolicy>,
): Promise<LogBucketHealth> {
  const facts = logBucketFacts(target.bucket, ref.region, scope);
  const region = await facts.region;
  if (region === 'missing') return { ok: false, code: 'LogBucketMissing', problem: `log bucket ${target.bucket} does not exist` };
  if (region !== ref.region) {
    return {
      ok: false,
      code: 'LogBucketWrongRegion',
      problem: `log bucket ${target.bucket} is in ${region}, not in ${ref.region} where bucket ${ref.id} is (S3 rejects cross-region delivery: CrossLocationLoggingProhibited)`,
    };
  }
  const policy = await facts.policy;
  if (
    policy &&
    policyAllowsLogDelivery(policy, target, { account: ref.account, bucket: ref.id, partition: partitionOf(ref.region) })
  )
    return { ok: true };
  if (aclAllowsLogDelivery(await facts.acl())) return { ok: true };
  return {
    ok: false,
    code: 'LogBucketNotPermitted',
    problem: `log bucket ${target.bucket} does not let ${LOGGING_SERVICE} write ${target.prefix}* for bucket ${ref.id} (${
      policy ? 'no bucket policy statement allows it s3:PutObject, or one denies it' : 'it has no bucket policy'
    }, and its ACL does not grant the Log Delivery group WRITE and READ_ACP)`,
  };
}

/** The same check before the write: a log bucket S3 cannot deliver to fails the remediation. */
async function checkLogBucket(ref: BucketRef, d: DesiredLogging, scope: Scope<BucketLoggingPolicy>): Promise<void> {
  const health = await logBucketHealth(ref, { bucket: d.targetBucket, prefix: d.targetPrefix }, scope);
  if (!health.ok) throw new LogBucketError(health.code, RUNBOOK, d.targetBucket, health.problem);
}

/** Check the log bucket, then PutBucketLogging with the whole desired configuration. */
export async function applyBucketStep(
  step: BucketStep,
  ref: BucketRef,
  d: DesiredLogging,
  scope: Scope<BucketLoggingPolicy>,
): Promise<void> {
  await checkLogBucket(ref, d, scope);
  try {
    await s3In(scope, ref.region).send(
      new PutBucketLoggingCommand({
        Bucket: ref.id,
        BucketLoggingStatus: { LoggingEnabled: step.loggingEnabled as LoggingEnabled },
      }),
    );
  } catch (error) {
    const code = errorCode(error);
    if (code === 'InvalidTargetBucketForLogging' || code === 'CrossLocationLoggingProhibited') {
      throw new LogBucketError(
        'LogBucketNotPermitted',
        RUNBOOK,
        d.targetBucket,
        `S3 refused log bucket ${d.targetBucket}: ${code}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    if (code === 'NoSuchBucket') {
      throw new RemediationError('NoSuchBucket', `bucket ${ref.id} was deleted before its logging could be restored`, false, {
        cause: error,
      });
    }
    throw denied(error, 's3:PutBucketLogging', ref.id);
  }
}

/** ListBuckets never returns more than this per call. */
const MAX_PAGE = 10_000;

/** One region-filtered ListBuckets page: the bucket names (of this region) and the continuation token. */
async function bucketPage(scope: Scope<BucketLoggingPolicy>, maxBuckets: number, token?: string) {
  const out = await s3In(scope, scope.region).send(
    new ListBucketsCommand({ BucketRegion: scope.region, MaxBuckets: maxBuckets, ContinuationToken: token }),
  );
  // ListBuckets reports each bucket's region; the filter already applied it, this is a second lock.
  const names = (out.Buckets ?? []).filter((b) => b.Name && (!b.BucketRegion || b.BucketRegion === scope.region));
  return {
    names: names.map((b) => b.Name as string),
    full: (out.Buckets ?? []).length >= maxBuckets,
    token: out.ContinuationToken,
  };
}

/**
 * Every bucket of the region (ListBuckets filtered on the region, paginated), for a sweep. A last page
 * that is full but carries no continuation token is ambiguous: AWS says "that was all", a service that
 * cuts listings (the emulator does) says nothing. One probe at the largest page size tells them apart;
 * when even that page is full, the listing says it may be incomplete and the sweep reports it.
 */
export async function listBucketRefs(scope: Scope<BucketLoggingPolicy>): Promise<Listing<BucketRef>> {
  const pageSize = scope.policy.sweep.pageSize;
  const seen = new Set<string>();
  let page = await bucketPage(scope, pageSize);
  for (const n of page.names) seen.add(n);
  while (page.token) {
    page = await bucketPage(scope, pageSize, page.token);
    for (const n of page.names) seen.add(n);
  }
  let incomplete: string | undefined;
  if (page.full && seen.size <= MAX_PAGE) {
    const probe = pageSize < MAX_PAGE ? await bucketPage(scope, MAX_PAGE) : page;
    for (const n of probe.names) seen.add(n);
    if (probe.full && !probe.token) {
      incomplete = `ListBuckets answered a full page of ${MAX_PAGE.toLocaleString('en-US')} buckets without a continuation token; buckets beyond it, if any, were not listed (runbooks/bucket-logging.md)`;
    }
  }
  const refs = [...seen].map((name) => bucketRef(name, scope.account, scope.region, 'listing'));
  return incomplete ? { refs, incomplete } : { refs };
}
