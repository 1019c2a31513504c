import { partitionOf } from '../core/identity.js';
import type { AnyGuardrail, CloudTrailDetail, Resolution, ResourceRef } from '../core/types.js';

export const RESOURCE_TYPE = 'AWS::EKS::Cluster';

/**
 * The EKS calls that can leave a cluster without the policy's log types: a new cluster (logging is
 * off unless the caller asks for it) and a configuration update (which may switch types off).
 */
export const CLUSTER_EVENTS = ['CreateCluster', 'UpdateClusterConfig'] as const;

const SAMPLE_CLUSTER = 'demo-platform-eks';
const SAMPLE_NEW_CLUSTER = 'demo-new-eks';
const SAMPLE_ROLE = 'arn:aws:iam::123456789012:role/eks-cluster-role';

/**
 * Plausible records of {@link CLUSTER_EVENTS} (lowerCamel keys, the cluster in `name`, as the REST
 * path parameter is logged). UpdateClusterConfig answers the asynchronous `update`, whose params
 * hold the logging change as a JSON string; CreateCluster answers the new cluster, still CREATING.
 */
export const CLUSTER_EVENT_SAMPLE: AnyGuardrail['cloudTrailEvents'][number]['sample'] = {
  requestParameters: {
    name: SAMPLE_CLUSTER,
    logging: { clusterLogging: [{ types: ['api', 'audit'], enabled: false }] },
  },
  responseElements: {
    update: {
      id: '8e2b4ad5-2b4c-3a7e-9b0e-4f6a1c2d3e4f',
      status: 'InProgress',
      type: 'LoggingUpdate',
      params: [{ type: 'ClusterLogging', value: '{"clusterLogging":[{"types":["api","audit"],"enabled":false}]}' }],
      createdAt: 1795950000.123,
      errors: [],
    },
  },
  perEvent: {
    CreateCluster: {
      requestParameters: {
        name: SAMPLE_NEW_CLUSTER,
        version: '1.31',
        roleArn: SAMPLE_ROLE,
        resourcesVpcConfig: { subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'] },
        clientRequestToken: '4a5b6c7d-1e2f-4a3b-8c9d-0e1f2a3b4c5d',
      },
      responseElements: {
        cluster: {
          name: SAMPLE_NEW_CLUSTER,
          arn: `arn:aws:eks:us-east-1:123456789012:cluster/${SAMPLE_NEW_CLUSTER}`,
          createdAt: 1795950000.123,
          version: '1.31',
          roleArn: SAMPLE_ROLE,
          resourcesVpcConfig: { subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'], securityGroupIds: [] },
          logging: {
            clusterLogging: [{ types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false }],
          },
          status: 'CREATING',
          certificateAuthority: {},
          platformVersion: 'eks.1',
          tags: {},
        },
      },
    },
  },
};

export interface ClusterRef extends ResourceRef {
  type: typeof RESOURCE_TYPE;
  /** Cluster name. */
  id: string;
  arn: string;
}

/** EKS cluster names: 1-100 letters, digits, hyphens and underscores, starting with a letter or digit. */
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const CLUSTER_ARN = /^arn:(aws[a-z-]*):eks:([a-z0-9-]+):(\d{12}):cluster\/(.+)$/;

export function clusterArn(account: string, region: string, name: string): string {
  return `arn:${partitionOf(region)}:eks:${region}:${account}:cluster/${name}`;
}

export function clusterRef(name: string, account: string, region: string): ClusterRef {
  return { type: RESOURCE_TYPE, id: name, arn: clusterArn(account, region, name), region };
}

/**
 * Resolve a cluster name or ARN to a ref in this account and region, or say why it is not ours:
 * not a cluster name, or an ARN of another account or region (that region's controller governs it).
 * Pure.
 */
export function resolveCluster(nameOrArn: string, scope: { account: string; region: string }): Resolution<ClusterRef> {
  const m = CLUSTER_ARN.exec(nameOrArn);
  const name = m ? (m[4] as string) : nameOrArn;
  const hint = { id: name.slice(0, 100), ...(m ? { arn: nameOrArn.slice(0, 300) } : {}) };
  if (!CLUSTER_NAME.test(name)) return { ignore: `"${name.slice(0, 100)}" is not an EKS cluster name`, resource: hint };
  if (m && m[3] !== scope.account) {
    return { ignore: `cluster ${name} belongs to account ${m[3]}; it is governed in that account`, resource: hint };
  }
  if (m && m[2] !== scope.region) {
    return { ignore: `cluster ${name} is in ${m[2]}; only the ${m[2]} controller changes it`, resource: hint };
  }
  return { refs: [clusterRef(name, scope.account, scope.region)] };
}

const asRecord = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const nonEmpty = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * The cluster a record names: `name` in the request (older records: `clusterName`), else the
 * created cluster in the response (`name`, `clusterName` or `arn`).
 */
function clusterNamed(detail: CloudTrailDetail): string | null {
  const params = detail.requestParameters ?? {};
  const cluster = asRecord(detail.responseElements?.cluster) ?? {};
  return (
    nonEmpty(params.name) ??
    nonEmpty(params.clusterName) ??
    nonEmpty(cluster.name) ??
    nonEmpty(cluster.clusterName) ??
    nonEmpty(cluster.arn)
  );
}

/**
 * Which cluster a `CreateCluster` or `UpdateClusterConfig` record is about. Pure. The logging in the
 * request is never read: the controller re-reads the cluster, so an update that only moved the
 * endpoint is checked as well, and a malformed `logging` still leads to a re-read.
 */
export function refsFromEvent(detail: CloudTrailDetail, scope: { account: string; region: string }): Resolution<ClusterRef> {
  if (!detail.requestParameters && !detail.responseElements) {
    return { ignore: `${detail.eventName} event without requestParameters; cannot tell which cluster` };
  }
  const name = clusterNamed(detail);
  if (!name) return { ignore: `${detail.eventName} event without a string requestParameters.name` };
  if (name.length > 2048) return { ignore: `${detail.eventName} event with an oversized cluster name (${name.length} chars)` };
  return resolveCluster(name, scope);
}
