import {
  DescribeListenersCommand,
  type DescribeListenersCommandOutput,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  type LoadBalancer,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetBucketLocationCommand, GetBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../core/concurrency.js';
import { errorCode, errorMessage, LogBucketError, RemediationError } from '../core/errors.js';
import type { Listing, Observation, Scope } from '../core/types.js';
import type { DesiredLogs, LoadBalancerState, LoadBalancerStep } from './diff.js';
import { type LoadBalancerRef, loadBalancerRef, parseLoadBalancerArn } from './events.js';
import { type BalancerKind, describeWriters, logObjectArn, policyAllowsElbDelivery } from './log-bucket.js';
import type { LoadBalancerLogsPolicy } from './policy.js';

export const RUNBOOK = 'runbooks/load-balancer-logs.md';

/** The largest DescribeLoadBalancers page. */
const PAGE_SIZE = 400;
/** DescribeTags takes at most 20 ARNs. */
const TAG_BATCH = 20;
/** Per-balancer reads of a sweep in flight at once: ELBv2 describe calls share a low request rate. */
const READS_IN_FLIGHT = 8;

type Scoped = Scope<LoadBalancerLogsPolicy>;

/** Adaptive retries: a sweep makes a call per balancer to one regional endpoint that throttles early. */
export const elbIn = (scope: Pick<Scoped, 'clients'>, region: string) =>
  scope.clients.get(ElasticLoadBalancingV2Client, region, { retryMode: 'adaptive' });
const s3In = (scope: Pick<Scoped, 'clients'>, region: string) => scope.clients.get(S3Client, region);

/** The SDK names it `LoadBalancerNotFoundException`; the API `LoadBalancerNotFound`. */
const isNotFound = (error: unknown) => /^LoadBalancerNotFound/.test(errorCode(error));

/** The load balancer was deleted after it was read: nothing is left to log. */
class LoadBalancerGoneError extends RemediationError {
  readonly loadBalancerArn: string;
  constructor(ref: LoadBalancerRef, cause: unknown) {
    super(
      'LoadBalancerNotFound',
      `load balancer ${ref.name} was deleted between the read and the write (LoadBalancerNotFound); nothing left to log, retrying will not help: see ${RUNBOOK}`,
      false,
      { cause },
    );
    this.loadBalancerArn = ref.arn;
  }
}

const tagMap = (tags: { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** DescribeLoadBalancerAttributes as key → value, or `missing`. */
async function attributesOf(arn: string, scope: Scoped, region: string): Promise<Record<string, string> | 'missing'> {
  try {
    const out = await elbIn(scope, region).send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }));
    return Object.fromEntries((out.Attributes ?? []).map((a) => [a.Key ?? '', a.Value ?? '']));
  } catch (error) {
    if (isNotFound(error)) return 'missing';
    throw error;
  }
}

/** Tags of up to 20 balancers in one DescribeTags. A balancer AWS no longer knows is left out. */
async function tagsOf(arns: readonly string[], scope: Scoped, region: string): Promise<Map<string, Record<string, string>>> {
  const out = await elbIn(scope, region).send(new DescribeTagsCommand({ ResourceArns: [...arns] }));
  return new Map((out.TagDescriptions ?? []).map((d) => [d.ResourceArn ?? '', tagMap(d.Tags)]));
}

/** Does a Network Load Balancer have a TLS listener (DescribeListeners, paginated)? `missing` when it is gone. */
async function hasTlsListener(arn: string, scope: Scoped, region: string): Promise<boolean | 'missing'> {
  let marker: string | undefined;
  do {
    let page: DescribeListenersCommandOutput;
    try {
      page = await elbIn(scope, region).send(
        new DescribeListenersCommand({ LoadBalancerArn: arn, Marker: marker, PageSize: PAGE_SIZE }),
      );
    } catch (error) {
      if (isNotFound(error)) return 'missing';
      throw error;
    }
    if ((page.Listeners ?? []).some((l) => l.Protocol === 'TLS')) return true;
    marker = page.NextMarker;
  } while (marker);
  return false;
}

/** Which kind of governed balancer this is, whether its listeners must be read, or why it is not governed. */
function kindOf(
  lb: Pick<LoadBalancer, 'Type' | 'LoadBalancerName'>,
  policy: LoadBalancerLogsPolicy,
): BalancerKind | { ungoverned: string } {
  const name = lb.LoadBalancerName ?? 'unknown';
  if (lb.Type === 'application') return 'application';
  if (lb.Type === 'network') {
    return policy.networkLoadBalancers === 'none'
      ? {
          ungoverned: `load balancer ${name} is a Network Load Balancer and the policy governs none (networkLoadBalancers: "none")`,
        }
      : 'network';
  }
  return { ungoverned: `load balancer ${name} is of type ${lb.Type ?? 'unknown'}: it has no access logs` };
}

const noTls = (name: string) =>
  `load balancer ${name} is a Network Load Balancer without a TLS listener: only TLS listeners have access logs, it is not governed`;

/** The attributes and tags of a governed balancer, read in parallel. */
async function readBalancer(ref: LoadBalancerRef, balancer: BalancerKind, scope: Scoped): Promise<LoadBalancerState> {
  const [attributes, tags] = await Promise.all([
    attributesOf(ref.arn, scope, ref.region),
    tagsOf([ref.arn], scope, ref.region).then(
      (m) => m.get(ref.arn) ?? {},
      (error) => {
        if (isNotFound(error)) return 'missing' as const;
        throw error;
      },
    ),
  ]);
  if (attributes === 'missing' || tags === 'missing') return { kind: 'missing' };
  return { kind: 'balancer', balancer, attributes, tags };
}

/**
 * Read a load balancer: DescribeLoadBalancers (its type, and whether it exists), for an NLB
 * DescribeListeners, then its attributes and tags. To verify a write only the attributes are read.
 */
export async function observeLoadBalancer(
  ref: LoadBalancerRef,
  scope: Scoped,
  observation: Observation<LoadBalancerState, LoadBalancerStep> = { purpose: 'decide' },
): Promise<LoadBalancerState> {
  if (observation.purpose === 'verify' && observation.before.kind === 'balancer') {
    const attributes = await attributesOf(ref.arn, scope, ref.region);
    return attributes === 'missing' ? { kind: 'missing' } : { ...observation.before, attributes };
  }
  let lb: LoadBalancer | undefined;
  try {
    const out = await elbIn(scope, ref.region).send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [ref.arn] }));
    lb = out.LoadBalancers?.find((l) => l.LoadBalancerArn === ref.arn);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (!lb) return { kind: 'missing' };
  const kind = kindOf(lb, scope.policy);
  if (typeof kind !== 'string') return { kind: 'ungoverned', reason: kind.ungoverned };
  if (kind === 'network') {
    const tls = await hasTlsListener(ref.arn, scope, ref.region);
    if (tls === 'missing') return { kind: 'missing' };
    if (!tls) return { kind: 'ungoverned', reason: noTls(ref.name) };
  }
  return readBalancer(ref, kind, scope);
}

/**
 * Every load balancer of the region: DescribeLoadBalancers, 400 per page. Not the SDK paginator: it
 * knows no page-size parameter for this operation and would leave PageSize to the service default.
 */
async function describeAll(scope: Scoped): Promise<LoadBalancer[]> {
  const all: LoadBalancer[] = [];
  let marker: string | undefined;
  do {
    const page = await elbIn(scope, scope.region).send(new DescribeLoadBalancersCommand({ PageSize: PAGE_SIZE, Marker: marker }));
    all.push(...(page.LoadBalancers ?? []));
    marker = page.NextMarker;
  } while (marker);
  return all;
}

/** A per-balancer read that failed is left out: the controller then observes that balancer itself and reports the error. */
const orNull = <T>(p: Promise<T>): Promise<T | null> => p.catch(() => null);

/** The governed kind of every listed balancer: NLBs' listeners are read, 8 at a time. */
async function kindsOf(
  lbs: readonly LoadBalancer[],
  scope: Scoped,
): Promise<Map<string, BalancerKind | LoadBalancerState | null>> {
  const kinds = await mapLimit(lbs, READS_IN_FLIGHT, async (lb): Promise<BalancerKind | LoadBalancerState | null> => {
    const kind = kindOf(lb, scope.policy);
    if (typeof kind !== 'string') return { kind: 'ungoverned', reason: kind.ungoverned };
    if (kind === 'application') return kind;
    const tls = await orNull(hasTlsListener(lb.LoadBalancerArn as string, scope, scope.region));
    if (tls === null) return null;
    if (tls === 'missing') return { kind: 'missing' };
    return tls ? kind : { kind: 'ungoverned', reason: noTls(lb.LoadBalancerName ?? 'unknown') };
  });
  return new Map(lbs.map((lb, i) => [lb.LoadBalancerArn as string, kinds[i] ?? null]));
}

/** Tags of many balancers, 20 per DescribeTags; a failed batch leaves its balancers out. */
async function tagsOfAll(arns: readonly string[], scope: Scoped): Promise<Map<string, Record<string, string>>> {
  const batches: string[][] = [];
  for (let i = 0; i < arns.length; i += TAG_BATCH) batches.push(arns.slice(i, i + TAG_BATCH));
  const maps = await mapLimit(batches, READS_IN_FLIGHT, (b) => orNull(tagsOf(b, scope, scope.region)));
  return new Map(maps.flatMap((m) => (m ? [...m] : [])));
}

/**
 * Every load balancer of the region for a sweep, with the states the listing read: paginated
 * DescribeLoadBalancers, DescribeListeners per NLB, DescribeLoadBalancerAttributes per governed
 * balancer (8 at a time) and DescribeTags per 20 balancers.
 */
export async function listLoadBalancerRefs(scope: Scoped): Promise<Listing<LoadBalancerRef, LoadBalancerState>> {
  const refs: LoadBalancerRef[] = [];
  const lbs: LoadBalancer[] = [];
  for (const lb of await describeAll(scope)) {
    const parsed = lb.LoadBalancerArn ? parseLoadBalancerArn(lb.LoadBalancerArn) : null;
    if (!parsed || parsed.region !== scope.region || !lb.LoadBalancerArn) continue;
    refs.push(loadBalancerRef(lb.LoadBalancerArn, parsed));
    lbs.push(lb);
  }
  const kinds = await kindsOf(lbs, scope);
  const governed = lbs.map((lb) => lb.LoadBalancerArn as string).filter((arn) => typeof kinds.get(arn) === 'string');
  const [attributes, tags] = await Promise.all([
    mapLimit(governed, READS_IN_FLIGHT, (arn) => orNull(attributesOf(arn, scope, scope.region))),
    tagsOfAll(governed, scope),
  ]);
  const preread = new Map<string, LoadBalancerState>();
  for (const [arn, kind] of kinds) if (kind && typeof kind !== 'string') preread.set(arn, kind);
  governed.forEach((arn, i) => {
    const attrs = attributes[i];
    const tagSet = tags.get(arn);
    if (attrs === 'missing') preread.set(arn, { kind: 'missing' });
    else if (attrs && tagSet)
      preread.set(arn, { kind: 'balancer', balancer: kinds.get(arn) as BalancerKind, attributes: attrs, tags: tagSet });
  });
  return { refs, preread };
}

/** `LocationConstraint` to region: absent or empty is us-east-1, `EU` is the legacy name of eu-west-1. */
function regionOfLocation(constraint: unknown): string {
  if (constraint === undefined || constraint === null || constraint === '') return 'us-east-1';
  return constraint === 'EU' ? 'eu-west-1' : String(constraint);
}

/** What logwarden read about a log bucket: its region (or `missing`) and its policy (null: none). */
interface LogBucketFacts {
  region: string | 'missing';
  policy: string | null;
}

function unreadable(bucket: string, action: string, error: unknown): unknown {
  if (!/^(AccessDenied|AllAccessDisabled)$/.test(errorCode(error))) return error;
  return new LogBucketError(
    'LogBucketUnreadable',
    RUNBOOK,
    bucket,
    `${action} on log bucket ${bucket} was denied: ${errorMessage(error)}`,
    { cause: error },
  );
}

async function readLogBucket(bucket: string, region: string, scope: Scoped): Promise<LogBucketFacts> {
  const s3 = s3In(scope, region);
  let location: string;
  try {
    location = regionOfLocation((await s3.send(new GetBucketLocationCommand({ Bucket: bucket }))).LocationConstraint);
  } catch (error) {
    if (errorCode(error) === 'NoSuchBucket') return { region: 'missing', policy: null };
    throw unreadable(bucket, 's3:GetBucketLocation', error);
  }
  if (location !== region) return { region: location, policy: null };
  try {
    return { region: location, policy: (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? null };
  } catch (error) {
    if (errorCode(error) === 'NoSuchBucketPolicy') return { region: location, policy: null };
    throw unreadable(bucket, 's3:GetBucketPolicy', error);
  }
}

/** The log bucket is read once per invocation (a sweep fixes many balancers); a failed read is not kept. */
function logBucketFacts(bucket: string, region: string, scope: Scoped): Promise<LogBucketFacts> {
  const key = `load-balancer-logs:log-bucket:${region}|${bucket}`;
  const cached = scope.memo.get(key) as Promise<LogBucketFacts> | undefined;
  if (cached) return cached;
  const facts = readLogBucket(bucket, region, scope);
  facts.catch(() => scope.memo.delete(key));
  scope.memo.set(key, facts);
  return facts;
}

/**
 * Before the write: the log bucket exists in the balancer's region and its policy lets ELB write the
 * account's logs under the prefix. ELB's own test at write time names no statement; this does.
 */
async function checkLogBucket(ref: LoadBalancerRef, step: LoadBalancerStep, d: DesiredLogs, scope: Scoped): Promise<void> {
  const facts = await logBucketFacts(d.bucket, ref.region, scope);
  if (facts.region === 'missing')
    throw new LogBucketError('LogBucketMissing', RUNBOOK, d.bucket, `log bucket ${d.bucket} does not exist`);
  if (facts.region !== ref.region) {
    throw new LogBucketError(
      'LogBucketWrongRegion',
      RUNBOOK,
      d.bucket,
      `log bucket ${d.bucket} is in ${facts.region}, not in ${ref.region} where load balancer ${ref.name} is (ELB only delivers within a region)`,
    );
  }
  const target = { bucket: d.bucket, prefix: d.prefix, account: ref.account, region: ref.region, kind: step.balancer };
  if (facts.policy && policyAllowsElbDelivery(facts.policy, target)) return;
  const key = logObjectArn(d.bucket, d.prefix, ref.account, ref.region).replace(/logwarden-probe$/, '*');
  throw new LogBucketError(
    'LogBucketNotPermitted',
    RUNBOOK,
    d.bucket,
    `log bucket ${d.bucket} does not let ${describeWriters(step.balancer, ref.region)} s3:PutObject ${key} for load balancer ${ref.name} (${
      facts.policy ? 'no statement allows it, or one denies it' : 'it has no bucket policy'
    })`,
  );
}

/** Check the log bucket, then one ModifyLoadBalancerAttributes with every drifted log attribute. */
export async function applyLoadBalancerStep(
  step: LoadBalancerStep,
  ref: LoadBalancerRef,
  d: DesiredLogs,
  scope: Scoped,
): Promise<void> {
  await checkLogBucket(ref, step, d, scope);
  try {
    await elbIn(scope, ref.region).send(
      new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: ref.arn, Attributes: step.attributes }),
    );
  } catch (error) {
    if (isNotFound(error)) throw new LoadBalancerGoneError(ref, error);
    // ELB writes a test object and refuses the attributes when it cannot ("Access Denied for bucket: ...").
    if (errorCode(error) === 'InvalidConfigurationRequest') {
      throw new LogBucketError(
        'LogBucketNotPermitted',
        RUNBOOK,
        d.bucket,
        `ELB refused log bucket ${d.bucket}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
