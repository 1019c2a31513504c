import { randomUUID } from 'node:crypto';
import { CreateClusterCommand, DescribeClusterCommand, EKSClient, UpdateClusterConfigCommand } from '@aws-sdk/client-eks';
import { apiCallEvent, type Identity } from '../../cli/events.js';
import type { AwsClients } from '../core/aws.js';
import { mapLimit } from '../core/concurrency.js';
import type { DemoContext, DemoGuardrail } from '../core/demo.js';
import { functionRoleName, ROLE_PATH } from '../core/identity.js';
import { clusterArn } from './events.js';
import { eksControlPlaneLogs } from './index.js';
import { DEFAULT_LOG_TYPES, type LogType } from './policy.js';

const PLATFORM = 'demo-platform-eks';
const NEW_CLUSTER = 'demo-new-eks';
const VERSION = '1.31';
// The emulator does not check subnets; no VPC is created, so the flow-logs demo's VPCs stay its own.
const SUBNETS = ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'];

const eks = (clients: AwsClients, region: string) => clients.get(EKSClient, region);
const roleArnOf = (account: string) => `arn:aws:iam::${account}:role/eks-cluster-role`;

/** Create a cluster exporting `types` (none: EKS's default, every type off). */
export async function createCluster(
  clients: AwsClients,
  where: { account: string; region: string },
  name: string,
  types: readonly LogType[] = [],
): Promise<void> {
  await eks(clients, where.region).send(
    new CreateClusterCommand({
      name,
      version: VERSION,
      roleArn: roleArnOf(where.account),
      resourcesVpcConfig: { subnetIds: SUBNETS },
      ...(types.length > 0 ? { logging: { clusterLogging: [{ types: [...types], enabled: true }] } } : {}),
    }),
  );
}

/** The `logging` parameter of an UpdateClusterConfig switching `types` on or off. */
export const loggingChange = (types: readonly LogType[], enabled: boolean) => ({
  clusterLogging: [{ types: [...types], enabled }],
});

/** Switch log types on or off, as a member-account admin would (AWS merges per type; the emulator replaces the list). */
export async function setLogging(
  clients: AwsClients,
  region: string,
  name: string,
  types: readonly LogType[],
  enabled: boolean,
): Promise<void> {
  await eks(clients, region).send(new UpdateClusterConfigCommand({ name, logging: loggingChange(types, enabled) }));
}

/** The log types a cluster reports enabled. */
export async function enabledTypes(clients: AwsClients, region: string, name: string): Promise<string[]> {
  const out = await eks(clients, region).send(new DescribeClusterCommand({ name }));
  const entries = out.cluster?.logging?.clusterLogging ?? [];
  return [...new Set(entries.filter((e) => e.enabled === true).flatMap((e) => e.types ?? []))].sort();
}

/** The `responseElements` of an UpdateClusterConfig record: the asynchronous update EKS started. */
export function updateResponse(type: string, params: { type: string; value: string }[]): Record<string, unknown> {
  const id = randomUUID();
  return { update: { id, status: 'InProgress', type, params, createdAt: Date.now() / 1000, errors: [] } };
}

/** The request and response of a CreateCluster record (the cluster is CREATING; logging all off by default). */
export function createClusterRecord(where: { account: string; region: string }, name: string) {
  const requestParameters = {
    name,
    version: VERSION,
    roleArn: roleArnOf(where.account),
    resourcesVpcConfig: { subnetIds: SUBNETS },
    clientRequestToken: randomUUID(),
  };
  const cluster = {
    name,
    arn: clusterArn(where.account, where.region, name),
    createdAt: Date.now() / 1000,
    version: VERSION,
    roleArn: roleArnOf(where.account),
    resourcesVpcConfig: { subnetIds: SUBNETS, securityGroupIds: [] },
    logging: { clusterLogging: [{ types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false }] },
    status: 'CREATING',
    certificateAuthority: {},
    platformVersion: 'eks.1',
    tags: {},
  };
  return { requestParameters, responseElements: { cluster } };
}

/** An `AWS API Call via CloudTrail` event from EKS. */
export function eksEvent(
  where: { account: string; region: string },
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  opts: { responseElements?: Record<string, unknown> | null; identity?: Identity; errorCode?: string } = {},
): Record<string, unknown> {
  return apiCallEvent({
    account: where.account,
    region: where.region,
    eventSource: 'eks.amazonaws.com',
    eventName,
    requestParameters,
    responseElements: opts.responseElements ?? null,
    identity: opts.identity,
    errorCode: opts.errorCode,
  });
}

/** The UpdateClusterConfig record of a logging change. */
export function loggingUpdateEvent(
  where: { account: string; region: string },
  name: string,
  types: readonly LogType[],
  enabled: boolean,
  identity?: Identity,
): Record<string, unknown> {
  const logging = loggingChange(types, enabled);
  return eksEvent(
    where,
    'UpdateClusterConfig',
    { name, logging },
    {
      responseElements: updateResponse('LoggingUpdate', [{ type: 'ClusterLogging', value: JSON.stringify(logging) }]),
      identity,
    },
  );
}

/** Null when the cluster exports every policy type, else what is missing. */
async function loggingProblem(ctx: DemoContext, name: string): Promise<string | null> {
  const on = await enabledTypes(ctx.clients, ctx.region, name);
  const missing = DEFAULT_LOG_TYPES.filter((t) => !on.includes(t));
  return missing.length > 0 ? `cluster ${name} does not export ${missing.join(', ')}` : null;
}

const MINIMUM_FIX = {
  calls: 3,
  why: 'DescribeCluster (which types are on), one UpdateClusterConfig enabling the missing ones, DescribeCluster (verify).',
};

/** The EKS part of the demo: control-plane log types switched off; a new cluster born without them. */
export const demo: DemoGuardrail = {
  guardrail: eksControlPlaneLogs,
  policySection: () => ({ mode: 'remediate', logTypes: DEFAULT_LOG_TYPES }),
  async prepare(ctx) {
    await createCluster(ctx.clients, ctx, PLATFORM, DEFAULT_LOG_TYPES);
  },
  // A cluster has one logging configuration: a remediation changes it and creates nothing.
  duplicates: async () => [],
  sweepBench: {
    resources: 'clusters',
    async seed(ctx, n) {
      const names = Array.from({ length: n }, (_, i) => i);
      // Every tenth cluster is created with EKS's default: no control-plane log type exported.
      await mapLimit(names, 8, (i) => createCluster(ctx.clients, ctx, `bench-eks-${i}`, i % 10 === 0 ? [] : DEFAULT_LOG_TYPES));
    },
  },
  scenarios: [
    {
      title: 'EKS: UpdateClusterConfig switches the api and audit control-plane logs off',
      minimum: MINIMUM_FIX,
      async tamper(ctx) {
        await setLogging(ctx.clients, ctx.region, PLATFORM, ['api', 'audit'], false);
        return [loggingUpdateEvent(ctx, PLATFORM, ['api', 'audit'], false)];
      },
      check: (ctx) => loggingProblem(ctx, PLATFORM),
    },
    {
      title: 'EKS: a new cluster is created without control-plane logs (CreateCluster)',
      minimum: MINIMUM_FIX,
      async tamper(ctx) {
        await createCluster(ctx.clients, ctx, NEW_CLUSTER);
        const record = createClusterRecord(ctx, NEW_CLUSTER);
        return [eksEvent(ctx, 'CreateCluster', record.requestParameters, { responseElements: record.responseElements })];
      },
      check: (ctx) => loggingProblem(ctx, NEW_CLUSTER),
    },
    {
      title: 'EKS: UpdateClusterConfig that only changes endpoint access is re-read and found compliant',
      minimum: { calls: 1, why: 'DescribeCluster: the event is never trusted for the logging state.' },
      expect: ['compliant'],
      async tamper(ctx) {
        const resourcesVpcConfig = { endpointPublicAccess: false, endpointPrivateAccess: true };
        await eks(ctx.clients, ctx.region).send(new UpdateClusterConfigCommand({ name: PLATFORM, resourcesVpcConfig }));
        const params = [
          { type: 'EndpointPublicAccess', value: 'false' },
          { type: 'EndpointPrivateAccess', value: 'true' },
        ];
        return [
          eksEvent(
            ctx,
            'UpdateClusterConfig',
            { name: PLATFORM, resourcesVpcConfig },
            {
              responseElements: updateResponse('EndpointAccessUpdate', params),
            },
          ),
        ];
      },
      check: (ctx) => loggingProblem(ctx, PLATFORM),
    },
    {
      title: "EKS: logwarden's own UpdateClusterConfig echoed back (no loop)",
      minimum: { calls: 0, why: 'Its own call: recognised from the event alone, nothing to read or write.' },
      expect: ['ignored'],
      async tamper(ctx) {
        const own: Identity = {
          kind: 'assumed-role',
          account: ctx.account,
          roleName: functionRoleName('controller', eksControlPlaneLogs.name, ctx.region),
          path: ROLE_PATH,
        };
        return [loggingUpdateEvent(ctx, PLATFORM, ['audit'], true, own)];
      },
      check: (ctx) => loggingProblem(ctx, PLATFORM),
    },
  ],
};
