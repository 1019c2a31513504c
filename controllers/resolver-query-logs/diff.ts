import { createHash } from 'node:crypto';
import type { Drift } from '../core/record.js';
import type { Step } from '../core/types.js';
import { ACCOUNT_PLACEHOLDER, REGION_PLACEHOLDER, type ResolverQueryLogsPolicy } from './policy.js';

/** Every CreatorRequestId logwarden sends starts with this: it marks logwarden's configurations in a listing. */
export const TOKEN_PREFIX = 'logwarden-';

/** A query logging configuration, as ListResolverQueryLogConfigs reports it. */
export interface QueryLogConfigInfo {
  id: string;
  ownerId: string | null;
  /** CREATING, CREATED, DELETING or FAILED. */
  status: string | null;
  destinationArn: string | null;
  creatorRequestId: string | null;
  name: string | null;
}

/** One association of the VPC, with what its configuration says (null when the configuration is not visible). */
export interface AssociationView {
  id: string;
  configId: string;
  /** CREATING, ACTIVE, ACTION_NEEDED, DELETING or FAILED. */
  status: string | null;
  /** NONE, DESTINATION_NOT_FOUND, ACCESS_DENIED or INTERNAL_SERVICE_ERROR. */
  error: string | null;
  destinationArn: string | null;
  configOwnerId: string | null;
}

/** What logwarden reads about a VPC. `exists: false` when DescribeVpcs says InvalidVpcID.NotFound. */
export type VpcState =
  | { exists: false; vpcId: string }
  | {
      exists: true;
      vpcId: string;
      ownerId: string | null;
      tags: Record<string, string>;
      associations: AssociationView[];
      /** logwarden's configurations of the region (owned by the account, created with a logwarden CreatorRequestId). */
      ownConfigs: QueryLogConfigInfo[];
    };

/** The query logging the policy wants on every VPC of one account and region. */
export interface DesiredQueryLogging {
  /** The destination with the placeholders filled, normalized. */
  destinationArn: string;
  configName: string;
  /** First-generation CreatorRequestId: the same for every invocation in this account, region and destination. */
  creatorRequestId: string;
}

/** The Create step hands the new configuration's id to the Associate step under this output. */
export const CREATED_CONFIG = 'queryLogConfigId';

export type QueryLogStep =
  | (Step & { api: 'route53resolver:CreateResolverQueryLogConfig'; creatorRequestId: string })
  | (Step & {
      api: 'route53resolver:AssociateResolverQueryLogConfig';
      /** null: the configuration the Create step before it returns. */
      configId: string | null;
      /** False while the configuration is CREATING: Resolver may refuse associations until it is CREATED. */
      configReady: boolean;
    });

const LIVE_ASSOCIATION = new Set(['ACTIVE', 'CREATING']);
const LIVE_CONFIG = new Set(['CREATED', 'CREATING']);

/** A trailing `:*` (log groups) or `/` (S3 prefixes) does not change where logs go. */
export function normalizeArn(arn: string): string {
  return arn.replace(/:\*$/, '').replace(/\/+$/, '');
}

/**
 * The deterministic CreatorRequestId of a generation: concurrent or repeated deliveries send the same
 * one, so Resolver makes one configuration. A later generation is used only when an earlier token is
 * spent (its configuration deleted, or not usable). At most 255 characters.
 */
export function creatorRequestId(account: string, region: string, destinationArn: string, generation = 1): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([account, region, destinationArn]))
    .digest('hex');
  return tokenOfGeneration(`${TOKEN_PREFIX}${hash.slice(0, 40)}`, generation);
}

/** The token of a later generation: the first one with `-<generation>` appended. Pure. */
export function tokenOfGeneration(firstToken: string, generation: number): string {
  return generation === 1 ? firstToken : `${firstToken}-${generation}`;
}

/** The desired query logging for one account and region, from the policy. Pure. */
export function desiredQueryLogging(policy: ResolverQueryLogsPolicy, account: string, region: string): DesiredQueryLogging {
  const d = policy.destination;
  const template = d.type === 's3' ? d.bucketArn : d.type === 'cloud-watch-logs' ? d.logGroupArn : d.deliveryStreamArn;
  const destinationArn = normalizeArn(template.split(ACCOUNT_PLACEHOLDER).join(account).split(REGION_PLACEHOLDER).join(region));
  return { destinationArn, configName: policy.configName, creatorRequestId: creatorRequestId(account, region, destinationArn) };
}

/** Is this configuration logwarden's (owned here, made with a logwarden token)? Pure. */
export function isOwnConfig(config: QueryLogConfigInfo, account: string): boolean {
  return config.ownerId === account && (config.creatorRequestId ?? '').startsWith(TOKEN_PREFIX);
}

/** logwarden's configuration for the destination that new associations can use (CREATED first), or null. Pure. */
export function usableConfig(configs: readonly QueryLogConfigInfo[], d: DesiredQueryLogging): QueryLogConfigInfo | null {
  const live = configs.filter(
    (c) => LIVE_CONFIG.has(c.status ?? '') && c.destinationArn !== null && normalizeArn(c.destinationArn) === d.destinationArn,
  );
  return live.find((c) => c.status === 'CREATED') ?? live[0] ?? null;
}

/** Does this association log the VPC's queries to the destination? Pure. */
function logsTo(a: AssociationView, d: DesiredQueryLogging): boolean {
  return LIVE_ASSOCIATION.has(a.status ?? '') && a.destinationArn !== null && normalizeArn(a.destinationArn) === d.destinationArn;
}

/** An association as shown in a drift record: only what tells why it does not count. */
function describe(a: AssociationView, account: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = { configId: a.configId, status: a.status, destinationArn: a.destinationArn };
  if (a.configOwnerId && a.configOwnerId !== account) out.configOwnerId = a.configOwnerId;
  if (a.error && a.error !== 'NONE') out.error = a.error;
  return out;
}

/**
 * Compare a VPC's query logging with the policy. Pure. Compliant when one association is ACTIVE
 * (or CREATING) with a configuration delivering to the destination, whoever owns the configuration;
 * otherwise one `queryLogging` drift listing the associations there are (kept: logwarden adds its own).
 */
export function diffVpc(state: VpcState, d: DesiredQueryLogging): Drift[] {
  if (!state.exists) return [{ property: 'vpc', observed: 'not found', desired: 'exists' }];
  if (state.associations.some((a) => logsTo(a, d))) return [];
  const observed =
    state.associations.length === 0
      ? 'no query logging configuration'
      : state.associations.map((a) => describe(a, state.ownerId));
  return [{ property: 'queryLogging', observed, desired: { destinationArn: d.destinationArn, status: 'ACTIVE' } }];
}

/** The writes that associate the VPC with logwarden's configuration, creating it first when the region has none. Pure. */
export function planVpc(state: VpcState, d: DesiredQueryLogging, drift: readonly Drift[]): QueryLogStep[] {
  if (!state.exists || drift.length === 0) return [];
  const config = usableConfig(state.ownConfigs, d);
  const associate = (configId: string | null, name: string, configReady: boolean): QueryLogStep => ({
    api: 'route53resolver:AssociateResolverQueryLogConfig',
    description: `associate ${state.vpcId} with the query logging configuration ${name}`,
    configId,
    configReady,
  });
  if (config) return [associate(config.id, config.id, config.status === 'CREATED')];
  return [
    {
      api: 'route53resolver:CreateResolverQueryLogConfig',
      description: `create the query logging configuration ${d.configName} delivering to ${d.destinationArn}`,
      creatorRequestId: d.creatorRequestId,
    },
    associate(null, `${d.configName} (just created)`, false),
  ];
}
