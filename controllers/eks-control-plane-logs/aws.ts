import {
  type Cluster,
  DescribeClusterCommand,
  DescribeUpdateCommand,
  EKSClient,
  paginateListClusters,
  UpdateClusterConfigCommand,
} from '@aws-sdk/client-eks';
import { mapLimit } from '../core/concurrency.js';
import { errorCode, errorMessage, RemediationError } from '../core/errors.js';
import type { Listing, Observation, Scope } from '../core/types.js';
import { type AcceptedUpdate, type ClusterState, type ClusterStep, NOT_READY_STATUSES } from './diff.js';
import { type ClusterRef, clusterRef } from './events.js';
import type { EksControlPlaneLogsPolicy, LogType } from './policy.js';

export const RUNBOOK = 'runbooks/eks-control-plane-logs.md';

/** ListClusters' largest page. */
const PAGE_SIZE = 100;
/** DescribeCluster calls in flight during a sweep. */
const DESCRIBE_CONCURRENCY = 8;

const eks = (scope: Pick<Scope<unknown>, 'clients'>, region: string) => scope.clients.get(EKSClient, region);

/** An answer missing what AWS always sends: never read as "nothing there" (retryable: it may be transient). */
const malformed = (message: string) => new RemediationError('MalformedResponse', message, true);

/** The cluster cannot take a configuration update yet (CREATING, UPDATING, PENDING): retry later. */
class ClusterNotReadyError extends RemediationError {
  readonly status: string;
  constructor(cluster: string, status: string) {
    super(
      'ClusterNotReady',
      `cluster ${cluster} is ${status}: EKS accepts a logging update only once it is ACTIVE; UpdateClusterConfig was not sent, the next delivery or the sweep retries (see ${RUNBOOK})`,
      true,
    );
    this.status = status;
  }
}

/**
 * Log types count as enabled when an entry enables them and none disables them: a contradictory
 * answer is read as off (fail closed).
 */
function enabledTypesOf(cluster: Cluster): string[] {
  const entries = cluster.logging?.clusterLogging ?? [];
  const on = new Set(entries.filter((e) => e.enabled === true).flatMap((e) => e.types ?? []));
  for (const e of entries) if (e.enabled !== true) for (const t of e.types ?? []) on.delete(t);
  return [...on].sort();
}

/** DescribeCluster, as the diff reads it. */
async function describeCluster(ref: ClusterRef, scope: Scope<EksControlPlaneLogsPolicy>): Promise<ClusterState> {
  let cluster: Cluster | undefined;
  try {
    cluster = (await eks(scope, ref.region).send(new DescribeClusterCommand({ name: ref.id }))).cluster;
  } catch (error) {
    if (errorCode(error) === 'ResourceNotFoundException') return { kind: 'missing' };
    throw error;
  }
  // Fail closed: an answer without a cluster is not evidence that logging is on.
  if (!cluster) throw malformed(`DescribeCluster answered without a cluster for ${ref.id}`);
  return {
    kind: 'cluster',
    arn: cluster.arn ?? ref.arn,
    status: cluster.status ?? 'UNKNOWN',
    connected: cluster.connectorConfig !== undefined,
    enabledTypes: enabledTypesOf(cluster),
    tags: { ...(cluster.tags ?? {}) },
    acceptedUpdate: null,
  };
}

/** Where `apply` leaves the update EKS answered, for the verification of the same invocation. */
const updateKey = (ref: ClusterRef) => `eks-control-plane-logs:update:${ref.region}|${ref.id}`;
type SentUpdate = { id: string; types: LogType[] };

/**
 * The logging update this invocation sent, as EKS reports it now: accepted (InProgress, Successful)
 * or null (Failed, Cancelled: its errors are logged and the verification fails).
 */
async function acceptedUpdate(ref: ClusterRef, scope: Scope<EksControlPlaneLogsPolicy>): Promise<AcceptedUpdate | null> {
  const sent = scope.memo.get(updateKey(ref)) as SentUpdate | undefined;
  if (!sent) return null;
  const out = await eks(scope, ref.region).send(new DescribeUpdateCommand({ name: ref.id, updateId: sent.id }));
  const status = out.update?.status;
  if (status === 'InProgress' || status === 'Successful') return { id: sent.id, status, types: sent.types };
  scope.logger.warn('EKS logging update did not succeed', {
    cluster: ref.id,
    updateId: sent.id,
    status,
    errors: out.update?.errors,
  });
  return null;
}

/**
 * To decide: DescribeCluster (status, logging, tags in one read). To verify: DescribeCluster again;
 * EKS applies logging asynchronously, so when the types are not shown yet, DescribeUpdate on the
 * update just sent tells whether EKS accepted it (InProgress or Successful) or refused it (Failed).
 */
export async function observeCluster(
  ref: ClusterRef,
  scope: Scope<EksControlPlaneLogsPolicy>,
  observation: Observation<ClusterState, ClusterStep> = { purpose: 'decide' },
): Promise<ClusterState> {
  const state = await describeCluster(ref, scope);
  if (observation.purpose !== 'verify' || state.kind !== 'cluster') return state;
  const sent = observation.steps.flatMap((s) => s.types);
  if (sent.every((t) => state.enabledTypes.includes(t))) return state;
  return { ...state, acceptedUpdate: await acceptedUpdate(ref, scope) };
}

/** An UpdateClusterConfig error, made explicit: retry later (another update), or never (the cluster is gone). */
function updateError(error: unknown, ref: ClusterRef): unknown {
  const code = errorCode(error);
  if (code === 'ResourceInUseException') {
    return new RemediationError(
      code,
      `another update of cluster ${ref.id} is in progress (${errorMessage(error)}); EKS runs one at a time: the next delivery or the sweep retries (see ${RUNBOOK})`,
      true,
      { cause: error },
    );
  }
  if (code === 'ResourceNotFoundException') {
    return new RemediationError(code, `cluster ${ref.id} was deleted before its logging could be restored`, false, {
      cause: error,
    });
  }
  return error;
}

/**
 * One UpdateClusterConfig enabling only the missing types: EKS merges the list per type, so the
 * types not named (the other policy types, extra ones) keep their setting. Not sent to a cluster
 * that is not ACTIVE yet.
 */
export async function applyClusterStep(
  step: ClusterStep,
  ref: ClusterRef,
  _d: unknown,
  scope: Scope<EksControlPlaneLogsPolicy>,
): Promise<void> {
  if (NOT_READY_STATUSES.includes(step.clusterStatus)) throw new ClusterNotReadyError(ref.id, step.clusterStatus);
  const input = { name: ref.id, logging: { clusterLogging: [{ types: step.types, enabled: true }] } };
  let update: { id?: string; status?: string; errors?: { errorCode?: string; errorMessage?: string }[] } | undefined;
  try {
    update = (await eks(scope, ref.region).send(new UpdateClusterConfigCommand(input))).update;
  } catch (error) {
    throw updateError(error, ref);
  }
  if (update?.status === 'Failed') {
    const errors = (update.errors ?? []).map((e) => `${e.errorCode}: ${e.errorMessage}`).join('; ') || 'no error given';
    throw new RemediationError('LoggingUpdateFailed', `EKS refused the logging update of cluster ${ref.id}: ${errors}`, false);
  }
  if (update?.id) scope.memo.set(updateKey(ref), { id: update.id, types: step.types } satisfies SentUpdate);
}

/** DescribeCluster for a listed cluster; on an error the cluster is read again (and reported) by its reconciliation. */
async function prereadOf(ref: ClusterRef, scope: Scope<EksControlPlaneLogsPolicy>): Promise<ClusterState | undefined> {
  try {
    return await describeCluster(ref, scope);
  } catch {
    return undefined;
  }
}

/** Every cluster of this region: paginated ListClusters, then DescribeCluster per cluster, 8 at a time. */
export async function listClusterRefs(scope: Scope<EksControlPlaneLogsPolicy>): Promise<Listing<ClusterRef, ClusterState>> {
  const names = new Set<string>();
  for await (const page of paginateListClusters({ client: eks(scope, scope.region), pageSize: PAGE_SIZE }, {})) {
    // AWS always answers a `clusters` list (empty when there are none): a page without one proves nothing.
    if (!Array.isArray(page.clusters)) throw malformed('ListClusters answered without a clusters list');
    for (const name of page.clusters) if (name) names.add(name);
  }
  const refs = [...names].map((name) => clusterRef(name, scope.account, scope.region));
  const states = await mapLimit(refs, DESCRIBE_CONCURRENCY, (ref) => prereadOf(ref, scope));
  const preread = new Map<string, ClusterState>();
  refs.forEach((ref, i) => {
    const state = states[i];
    if (state) preread.set(ref.id, state);
  });
  return { refs, preread };
}
