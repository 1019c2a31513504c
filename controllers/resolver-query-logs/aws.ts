import { DescribeVpcsCommand, EC2Client, paginateDescribeVpcs, type Tag, type Vpc } from '@aws-sdk/client-ec2';
import {
  AssociateResolverQueryLogConfigCommand,
  CreateResolverQueryLogConfigCommand,
  paginateListResolverQueryLogConfigAssociations,
  paginateListResolverQueryLogConfigs,
  type ResolverQueryLogConfig,
  type ResolverQueryLogConfigAssociation,
  Route53ResolverClient,
} from '@aws-sdk/client-route53resolver';
import { errorCode, RemediationError } from '../core/errors.js';
import { MANAGED_TAG } from '../core/tags.js';
import type { Listing, Observation, Resolution, Scope, StepOutputs } from '../core/types.js';
import {
  type AssociationView,
  CREATED_CONFIG,
  type DesiredQueryLogging,
  desiredQueryLogging,
  diffVpc,
  isOwnConfig,
  normalizeArn,
  type QueryLogConfigInfo,
  type QueryLogStep,
  tokenOfGeneration,
  type VpcState,
} from './diff.js';
import { type VpcRef, vpcRef } from './events.js';
import type { ResolverQueryLogsPolicy } from './policy.js';

type Ctx = Scope<ResolverQueryLogsPolicy>;

/** The largest pages: DescribeVpcs 1,000; the Resolver listings 100. */
const VPC_PAGE = 1000;
const RESOLVER_PAGE = 100;
/** CreatorRequestId generations tried before giving up (each spent token is a deleted or unusable configuration). */
const MAX_GENERATIONS = 3;
const MEMO_CONFIG = 'resolver-query-logs:config:';
const MEMO_KNOWN = 'resolver-query-logs:known-configs';

/** Resolver refused to create or associate the configuration; carries whether a retry may help. */
class QueryLogConfigError extends RemediationError {
  readonly configId: string | null;
  constructor(code: string, message: string, retryable: boolean, configId: string | null = null, cause?: unknown) {
    super(code, message, retryable, { cause });
    this.configId = configId;
  }
}

const ec2 = (scope: Ctx, region: string) => scope.clients.get(EC2Client, region);
const resolver = (scope: Ctx, region: string) => scope.clients.get(Route53ResolverClient, region);

function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}

function configInfo(c: ResolverQueryLogConfig): QueryLogConfigInfo {
  return {
    id: c.Id ?? 'unknown',
    ownerId: c.OwnerId ?? null,
    status: c.Status ?? null,
    destinationArn: c.DestinationArn ? normalizeArn(c.DestinationArn) : null,
    creatorRequestId: c.CreatorRequestId ?? null,
    name: c.Name ?? null,
  };
}

/** Configurations this invocation created or read, by id: a destination never changes, so verification may reuse them. */
function knownConfigs(scope: Ctx): Map<string, QueryLogConfigInfo> {
  let known = scope.memo.get(MEMO_KNOWN) as Map<string, QueryLogConfigInfo> | undefined;
  if (!known) {
    known = new Map();
    scope.memo.set(MEMO_KNOWN, known);
  }
  return known;
}

/** Every configuration the account sees in the region (its own and those shared with it), paginated. */
async function listConfigs(scope: Ctx, region: string): Promise<QueryLogConfigInfo[]> {
  const out: QueryLogConfigInfo[] = [];
  const client = resolver(scope, region);
  for await (const page of paginateListResolverQueryLogConfigs({ client, pageSize: RESOLVER_PAGE }, {})) {
    for (const c of page.ResolverQueryLogConfigs ?? []) out.push(configInfo(c));
  }
  for (const c of out) knownConfigs(scope).set(c.id, c);
  return out;
}

/** The associations of the region, or of one VPC (filter ResourceId), paginated. */
async function listAssociations(scope: Ctx, region: string, vpcId?: string): Promise<ResolverQueryLogConfigAssociation[]> {
  const out: ResolverQueryLogConfigAssociation[] = [];
  const client = resolver(scope, region);
  const input = vpcId ? { Filters: [{ Name: 'ResourceId', Values: [vpcId] }] } : {};
  for await (const page of paginateListResolverQueryLogConfigAssociations({ client, pageSize: RESOLVER_PAGE }, input)) {
    out.push(...(page.ResolverQueryLogConfigAssociations ?? []));
  }
  return out;
}

function viewOf(a: ResolverQueryLogConfigAssociation, configs: ReadonlyMap<string, QueryLogConfigInfo>): AssociationView {
  const config = configs.get(a.ResolverQueryLogConfigId ?? '');
  return {
    id: a.Id ?? 'unknown',
    configId: a.ResolverQueryLogConfigId ?? 'unknown',
    status: a.Status ?? null,
    error: a.Error ?? null,
    destinationArn: config?.destinationArn ?? null,
    configOwnerId: config?.ownerId ?? null,
  };
}

function vpcState(vpc: Vpc, associations: AssociationView[], configs: readonly QueryLogConfigInfo[], account: string): VpcState {
  return {
    exists: true,
    vpcId: vpc.VpcId as string,
    ownerId: vpc.OwnerId ?? null,
    tags: tagsOf(vpc.Tags),
    associations,
    ownConfigs: configs.filter((c) => isOwnConfig(c, account)),
  };
}

const byId = (configs: readonly QueryLogConfigInfo[]) => new Map(configs.map((c) => [c.id, c]));

/** DescribeVpcs, ListResolverQueryLogConfigs and ListResolverQueryLogConfigAssociations for the region: three paginated listings, no per-VPC read. */
async function listVpcStates(scope: Ctx): Promise<Map<string, VpcState>> {
  const client = ec2(scope, scope.region);
  const vpcsTask = (async () => {
    const vpcs: Vpc[] = [];
    for await (const page of paginateDescribeVpcs({ client, pageSize: VPC_PAGE }, {})) vpcs.push(...(page.Vpcs ?? []));
    return vpcs;
  })();
  const [vpcs, configs, associations] = await Promise.all([
    vpcsTask,
    listConfigs(scope, scope.region),
    listAssociations(scope, scope.region),
  ]);
  const configsById = byId(configs);
  const byVpc = new Map<string, AssociationView[]>();
  for (const a of associations) {
    if (!a.ResourceId) continue;
    byVpc.set(a.ResourceId, [...(byVpc.get(a.ResourceId) ?? []), viewOf(a, configsById)]);
  }
  const states = new Map<string, VpcState>();
  for (const vpc of vpcs) {
    if (vpc.VpcId) states.set(vpc.VpcId, vpcState(vpc, byVpc.get(vpc.VpcId) ?? [], configs, scope.account));
  }
  return states;
}

/** Every VPC of the region, for a sweep, with the states the three listings read. */
export async function listVpcRefs(scope: Ctx): Promise<Listing<VpcRef, VpcState>> {
  const states = await listVpcStates(scope);
  return { refs: [...states.keys()].map((id) => vpcRef(id, scope)), preread: states };
}

async function describeVpc(ref: VpcRef, scope: Ctx): Promise<Vpc | null> {
  try {
    const res = await ec2(scope, ref.region).send(new DescribeVpcsCommand({ VpcIds: [ref.id] }));
    return res.Vpcs?.find((v) => v.VpcId === ref.id) ?? null;
  } catch (error) {
    if (errorCode(error) === 'InvalidVpcID.NotFound') return null;
    throw error;
  }
}

/**
 * To verify: only the VPC's associations; the configurations are those already read or created by
 * this invocation (a destination never changes), listed again only for an association to an unknown one.
 */
async function verifyVpc(ref: VpcRef, scope: Ctx, before: Extract<VpcState, { exists: true }>): Promise<VpcState> {
  const raw = await listAssociations(scope, ref.region, ref.id);
  const known = new Map(knownConfigs(scope));
  for (const c of before.ownConfigs) known.set(c.id, c);
  const unknown = raw.some((a) => !known.has(a.ResolverQueryLogConfigId ?? ''));
  const configs = unknown ? byId(await listConfigs(scope, ref.region)) : known;
  return { ...before, associations: raw.map((a) => viewOf(a, configs)) };
}

/** DescribeVpcs, the VPC's associations and the region's configurations, in parallel. To verify, see `verifyVpc`. */
export async function observeVpc(ref: VpcRef, scope: Ctx, observation?: Observation<VpcState, QueryLogStep>): Promise<VpcState> {
  if (observation?.purpose === 'verify' && observation.before.exists) return verifyVpc(ref, scope, observation.before);
  const [vpc, raw, configs] = await Promise.all([
    describeVpc(ref, scope),
    listAssociations(scope, ref.region, ref.id),
    listConfigs(scope, ref.region),
  ]);
  if (!vpc) return { exists: false, vpcId: ref.id };
  const configsById = byId(configs);
  return vpcState(
    vpc,
    raw.map((a) => viewOf(a, configsById)),
    configs,
    scope.account,
  );
}

/**
 * The VPCs a deleted configuration leaves without query logging. The event names only the
 * configuration, whose associations are gone (Resolver requires disassociating every VPC first):
 * one region listing finds the VPCs left without an association to the destination. A
 * configuration still listed as another account's (shared through RAM) is its owner's.
 */
export async function resolveDeletedConfig(configId: string, scope: Ctx): Promise<Resolution<VpcRef, VpcState>> {
  const states = await listVpcStates(scope);
  const config = knownConfigs(scope).get(configId);
  if (config?.ownerId && config.ownerId !== scope.account) {
    return {
      ignore: `query logging configuration ${configId} is owned by account ${config.ownerId} (shared through RAM): only its owner can delete or repair it`,
      resource: { id: configId },
    };
  }
  const d = desiredQueryLogging(scope.policy, scope.account, scope.region);
  const uncovered = new Map([...states].filter(([, s]) => s.exists && s.ownerId === scope.account && diffVpc(s, d).length > 0));
  if (uncovered.size === 0) {
    return {
      ignore: `query logging configuration ${configId} was deleted, but no VPC in ${scope.region} is left without query logging to ${d.destinationArn}`,
      resource: { id: configId },
    };
  }
  return { refs: [...uncovered.keys()].map((id) => vpcRef(id, scope)), preread: uncovered };
}

/** Make one write. The Create step returns the configuration's id, which the Associate step uses. */
export async function applyQueryLogStep(
  step: QueryLogStep,
  ref: VpcRef,
  d: DesiredQueryLogging,
  scope: Ctx,
  earlier: StepOutputs,
): Promise<StepOutputs> {
  if (step.api === 'route53resolver:CreateResolverQueryLogConfig') {
    const config = await ensureOwnConfig(step.creatorRequestId, d, scope, ref.region);
    return { [CREATED_CONFIG]: config.id };
  }
  const configId = step.configId ?? earlier[CREATED_CONFIG];
  if (!configId)
    throw new QueryLogConfigError('QueryLogConfigUnknown', `no query logging configuration to associate ${ref.id} with`, true);
  await associate(ref, configId, step.configReady && step.configId !== null, scope);
  return {};
}

/**
 * logwarden's configuration for the destination, created once per invocation: the VPCs of one sweep
 * share the same creation (memo), and concurrent invocations share it through the CreatorRequestId.
 */
function ensureOwnConfig(firstToken: string, d: DesiredQueryLogging, scope: Ctx, region: string): Promise<QueryLogConfigInfo> {
  const key = `${MEMO_CONFIG}${region}:${d.destinationArn}`;
  const pending = scope.memo.get(key) as Promise<QueryLogConfigInfo> | undefined;
  if (pending) return pending;
  const task = createOwnConfig(firstToken, d, scope, region);
  scope.memo.set(key, task);
  // A failed creation is not remembered: the next VPC (or the next delivery) tries again.
  task.catch(() => scope.memo.delete(key));
  return task;
}

const usable = (c: QueryLogConfigInfo, d: DesiredQueryLogging, account: string): boolean =>
  c.ownerId === account && (c.status === 'CREATED' || c.status === 'CREATING') && c.destinationArn === d.destinationArn;

/**
 * CreateResolverQueryLogConfig with the deterministic token of each generation in turn. A token
 * already used (ResourceExistsException, or the answer of an idempotent replay) is fine when its
 * configuration is usable (a concurrent delivery made it); when that configuration is deleted,
 * another account's or delivers elsewhere, the token is spent and the next generation is tried.
 */
async function createOwnConfig(
  firstToken: string,
  d: DesiredQueryLogging,
  scope: Ctx,
  region: string,
): Promise<QueryLogConfigInfo> {
  const spent: string[] = [];
  for (let generation = 1; generation <= MAX_GENERATIONS; generation++) {
    const token = tokenOfGeneration(firstToken, generation);
    let made: QueryLogConfigInfo | undefined;
    try {
      const res = await resolver(scope, region).send(
        new CreateResolverQueryLogConfigCommand({
          Name: d.configName,
          DestinationArn: d.destinationArn,
          CreatorRequestId: token,
          Tags: [{ Key: MANAGED_TAG, Value: 'true' }],
        }),
      );
      made = res.ResolverQueryLogConfig ? configInfo(res.ResolverQueryLogConfig) : undefined;
    } catch (error) {
      if (errorCode(error) !== 'ResourceExistsException') throw error;
      made = (await listConfigs(scope, region)).find((c) => c.creatorRequestId === token);
    }
    if (made && usable(made, d, scope.account)) {
      knownConfigs(scope).set(made.id, made);
      return made;
    }
    spent.push(`${token} (${made ? `${made.id}, ${made.status}, ${made.destinationArn}` : 'not visible'})`);
  }
  throw new QueryLogConfigError(
    'CreatorRequestIdsSpent',
    `Resolver answered every CreatorRequestId with a configuration logwarden cannot use: ${spent.join('; ')}`,
    false,
  );
}

/**
 * AssociateResolverQueryLogConfig. An existing association to the same configuration is success
 * when it is live (a concurrent delivery made it) and a clear failure otherwise (Resolver reports why).
 */
async function associate(ref: VpcRef, configId: string, configReady: boolean, scope: Ctx): Promise<void> {
  try {
    await resolver(scope, ref.region).send(
      new AssociateResolverQueryLogConfigCommand({ ResolverQueryLogConfigId: configId, ResourceId: ref.id }),
    );
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ResourceExistsException') return confirmAssociation(ref, configId, scope, error);
    if (code === 'ResourceNotFoundException') {
      const message = `query logging configuration ${configId} disappeared before ${ref.id} could be associated with it; a retry re-reads the region`;
      throw new QueryLogConfigError('QueryLogConfigGone', message, true, configId, error);
    }
    if (code === 'InvalidRequestException' && !configReady) {
      const message = `query logging configuration ${configId} is still being created; Resolver refused the association of ${ref.id} for now`;
      throw new QueryLogConfigError('QueryLogConfigNotReady', message, true, configId, error);
    }
    throw error;
  }
}

async function confirmAssociation(ref: VpcRef, configId: string, scope: Ctx, cause: unknown): Promise<void> {
  const existing = (await listAssociations(scope, ref.region, ref.id)).find((a) => a.ResolverQueryLogConfigId === configId);
  const status = existing?.Status ?? 'not visible';
  if (status === 'ACTIVE' || status === 'CREATING') return;
  const why = existing?.ErrorMessage || existing?.Error || 'no reason given';
  throw new QueryLogConfigError(
    'QueryLogAssociationNotActive',
    `${ref.id} is already associated with ${configId} but the association is ${status} (${why}); check the destination's permissions`,
    status === 'DELETING' || status === 'not visible',
    configId,
    cause,
  );
}
