import { DescribeClusterCommand, EKSClient, TagResourceCommand } from '@aws-sdk/client-eks';
import type { Identity } from '../../cli/events.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import {
  createCluster as createClusterIn,
  createClusterRecord,
  eksEvent,
  enabledTypes as enabledTypesIn,
  loggingUpdateEvent,
  setLogging as setLoggingIn,
} from '../../controllers/eks-control-plane-logs/demo.js';
import { clusterArn } from '../../controllers/eks-control-plane-logs/events.js';
import type { LogType } from '../../controllers/eks-control-plane-logs/policy.js';
import { ACCOUNT, REGION } from './emulator.js';

export const POLICY_TYPES: LogType[] = ['api', 'audit', 'authenticator'];
const where = (region = REGION) => ({ account: ACCOUNT, region });

/** The policy section used on the emulator. */
export function eksSection(extra: Record<string, unknown> = {}) {
  return { mode: 'remediate', logTypes: POLICY_TYPES, ...extra };
}

export const arnOf = (name: string, region = REGION) => clusterArn(ACCOUNT, region, name);

/** Create a cluster exporting `types` (none: EKS's default, every type off). */
export const createCluster = (clients: AwsClients, name: string, types: readonly LogType[] = [], region = REGION) =>
  createClusterIn(clients, where(region), name, types);

export const setLogging = (clients: AwsClients, name: string, types: readonly LogType[], enabled: boolean, region = REGION) =>
  setLoggingIn(clients, region, name, types, enabled);

export const enabledTypes = (clients: AwsClients, name: string, region = REGION) => enabledTypesIn(clients, region, name);

export async function tagCluster(clients: AwsClients, name: string, tags: Record<string, string>, region = REGION) {
  const arn = (await clients.get(EKSClient, region).send(new DescribeClusterCommand({ name }))).cluster?.arn;
  await clients.get(EKSClient, region).send(new TagResourceCommand({ resourceArn: arn, tags }));
}

/** The UpdateClusterConfig record of a logging change, from mallory unless an identity is given. */
export const updateEvent = (
  name: string,
  types: readonly LogType[],
  enabled: boolean,
  opts: { identity?: Identity; region?: string } = {},
) => loggingUpdateEvent(where(opts.region), name, types, enabled, opts.identity);

/** The CreateCluster record of a cluster (CREATING in the response). */
export function createEvent(name: string, region = REGION) {
  const record = createClusterRecord(where(region), name);
  return eksEvent(where(region), 'CreateCluster', record.requestParameters, { responseElements: record.responseElements });
}

/** Any EKS record, for malformed and failed calls. */
export const rawEvent = (
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  opts: { errorCode?: string; region?: string; responseElements?: Record<string, unknown> | null } = {},
) => eksEvent(where(opts.region), eventName, requestParameters, opts);
