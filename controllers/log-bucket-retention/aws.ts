import {
  DeleteBucketLifecycleCommand,
  DeleteBucketPolicyCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  S3Client,
  type TransitionDefaultMinimumObjectSize,
} from '@aws-sdk/client-s3';
import { errorCode, errorMessage, RemediationError } from '../core/errors.js';
import type { Listing, Observation, Scope } from '../core/types.js';
import type { LifecycleState, RetentionState, RetentionStep, VersioningStatus } from './diff.js';
import { type LogBucketRef, logBucketRef, logBucketsOf } from './events.js';
import type { LogBucketRetentionPolicy } from './policy.js';

export const RUNBOOK = 'runbooks/log-bucket-retention.md';

type RetentionScope = Scope<LogBucketRetentionPolicy>;
type Bucket = Extract<RetentionState, { kind: 'bucket' }>;

const s3 = (scope: Pick<RetentionScope, 'clients'>, region: string) => scope.clients.get(S3Client, region);

/** The bucket vanished between two reads: read as `missing` by `observe`. */
class BucketGoneError extends RemediationError {
  constructor(bucket: string, options: { cause: unknown }) {
    super('NoSuchBucket', `bucket ${bucket} was deleted while it was read`, false, options);
  }
}

/** Access denied by a bucket policy or an SCP: terminal, naming the call; anything else as it is. */
function explained(error: unknown, action: string, bucket: string): unknown {
  const code = errorCode(error);
  if (code === 'NoSuchBucket') return new BucketGoneError(bucket, { cause: error });
  if (!/^(AccessDenied|AllAccessDisabled)$/.test(code)) return error;
  return new RemediationError(
    code,
    `${action} on log bucket ${bucket} was denied (a bucket policy or an SCP denies logwarden's role; retrying will not help): ${errorMessage(error)}; see ${RUNBOOK}`,
    false,
    { cause: error },
  );
}

/** A read whose "nothing configured" error code means an empty answer. */
async function readOr<T>(read: () => Promise<T>, none: string, empty: T, action: string, bucket: string): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (errorCode(error) === none) return empty;
    throw explained(error, action, bucket);
  }
}

async function readVersioning(ref: LogBucketRef, region: string, scope: RetentionScope): Promise<VersioningStatus> {
  try {
    const out = await s3(scope, region).send(new GetBucketVersioningCommand({ Bucket: ref.id }));
    return out.Status === 'Enabled' || out.Status === 'Suspended' ? out.Status : 'Disabled';
  } catch (error) {
    throw explained(error, 's3:GetBucketVersioning', ref.id);
  }
}

async function readLifecycle(ref: LogBucketRef, region: string, scope: RetentionScope): Promise<LifecycleState> {
  const read = async (): Promise<LifecycleState> => {
    const out = await s3(scope, region).send(new GetBucketLifecycleConfigurationCommand({ Bucket: ref.id }));
    return { rules: out.Rules ?? [], transitionDefaultMinimumObjectSize: out.TransitionDefaultMinimumObjectSize ?? null };
  };
  const none: LifecycleState = { rules: [], transitionDefaultMinimumObjectSize: null };
  return readOr(read, 'NoSuchLifecycleConfiguration', none, 's3:GetLifecycleConfiguration', ref.id);
}

async function readPolicy(ref: LogBucketRef, region: string, scope: RetentionScope): Promise<string | null> {
  const read = async () => (await s3(scope, region).send(new GetBucketPolicyCommand({ Bucket: ref.id }))).Policy ?? null;
  return readOr(read, 'NoSuchBucketPolicy', null, 's3:GetBucketPolicy', ref.id);
}

/** The bucket's region (GetBucketLocation), or `missing`. */
async function regionOf(ref: LogBucketRef, scope: RetentionScope): Promise<string | 'missing'> {
  try {
    const out = await s3(scope, ref.region).send(new GetBucketLocationCommand({ Bucket: ref.id }));
    const constraint = out.LocationConstraint as string | undefined;
    if (!constraint) return 'us-east-1';
    return constraint === 'EU' ? 'eu-west-1' : constraint;
  } catch (error) {
    if (errorCode(error) === 'NoSuchBucket') return 'missing';
    throw explained(error, 's3:GetBucketLocation', ref.id);
  }
}

/** After a write, only what the written steps can change is read again; the rest comes from `before`. */
async function reverify(ref: LogBucketRef, before: Bucket, steps: readonly RetentionStep[], scope: RetentionScope) {
  const wrote = (api: string) => steps.some((s) => s.api === api);
  const [versioning, lifecycle, policy] = await Promise.all([
    wrote('s3:PutBucketVersioning') ? readVersioning(ref, before.region, scope) : before.versioning,
    wrote('s3:PutLifecycleConfiguration') ? readLifecycle(ref, before.region, scope) : before.lifecycle,
    wrote('s3:PutBucketPolicy') || wrote('s3:DeleteBucketPolicy') ? readPolicy(ref, before.region, scope) : before.policy,
  ]);
  return { ...before, versioning, lifecycle, policy };
}

/**
 * To decide: GetBucketLocation (only this region's controller judges a bucket), then versioning,
 * lifecycle and policy in parallel. A missing bucket is a state. To verify: only what was written.
 */
export async function observeLogBucket(
  ref: LogBucketRef,
  scope: RetentionScope,
  observation: Observation<RetentionState, RetentionStep> = { purpose: 'decide' },
): Promise<RetentionState> {
  try {
    if (observation.purpose === 'verify' && observation.before.kind === 'bucket') {
      return await reverify(ref, observation.before, observation.steps, scope);
    }
    const region = await regionOf(ref, scope);
    if (region === 'missing') return { kind: 'missing' };
    if (region !== scope.region) return { kind: 'elsewhere', region };
    const [versioning, lifecycle, policy] = await Promise.all([
      readVersioning(ref, region, scope),
      readLifecycle(ref, region, scope),
      readPolicy(ref, region, scope),
    ]);
    return { kind: 'bucket', region, versioning, lifecycle, policy };
  } catch (error) {
    if (error instanceof BucketGoneError) return { kind: 'missing' };
    throw error;
  }
}

/** Make one write on the bucket (in its own region, the controller's). */
export async function applyRetentionStep(
  step: RetentionStep,
  ref: LogBucketRef,
  _d: unknown,
  scope: RetentionScope,
): Promise<void> {
  const client = s3(scope, ref.region);
  try {
    switch (step.api) {
      case 's3:PutBucketVersioning':
        await client.send(new PutBucketVersioningCommand({ Bucket: ref.id, VersioningConfiguration: { Status: 'Enabled' } }));
        return;
      case 's3:PutLifecycleConfiguration':
        if (step.write === 'delete') await client.send(new DeleteBucketLifecycleCommand({ Bucket: ref.id }));
        else await client.send(lifecycleCommand(ref.id, step.lifecycle));
        return;
      case 's3:PutBucketPolicy':
        await client.send(new PutBucketPolicyCommand({ Bucket: ref.id, Policy: JSON.stringify(step.document) }));
        return;
      case 's3:DeleteBucketPolicy':
        await client.send(new DeleteBucketPolicyCommand({ Bucket: ref.id }));
        return;
    }
  } catch (error) {
    const explainedError = explained(error, step.api, ref.id);
    if (explainedError instanceof BucketGoneError) {
      throw new RemediationError('NoSuchBucket', `log bucket ${ref.id} was deleted before it could be restored`, false, {
        cause: error,
      });
    }
    throw explainedError;
  }
}

/** PutBucketLifecycleConfiguration with the rules kept, exactly as they were read. */
function lifecycleCommand(bucket: string, lifecycle: LifecycleState) {
  return new PutBucketLifecycleConfigurationCommand({
    Bucket: bucket,
    LifecycleConfiguration: { Rules: lifecycle.rules as LifecycleRule[] },
    ...(lifecycle.transitionDefaultMinimumObjectSize
      ? { TransitionDefaultMinimumObjectSize: lifecycle.transitionDefaultMinimumObjectSize as TransitionDefaultMinimumObjectSize }
      : {}),
  });
}

/** Every log bucket of the policy for this account and region: no listing call, the names are known. */
export async function listLogBucketRefs(scope: RetentionScope): Promise<Listing<LogBucketRef>> {
  const buckets = logBucketsOf(scope.policy, scope.account, scope.region);
  return { refs: [...buckets].map(([name, spec]) => logBucketRef(name, spec.name, scope)) };
}
