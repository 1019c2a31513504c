import {
  AddTagsCommand,
  DeleteLoadBalancerCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Identity } from '../../cli/events.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import {
  addListener,
  createAlb,
  createElbLogBucket,
  createListenerRecord,
  createLoadBalancerRecord,
  createNetwork,
  createNlb,
  elbEvent,
  logAttributes,
  modifyAttributes,
  modifyAttributesRecord,
  readAttributes,
} from '../../controllers/load-balancer-logs/demo.js';
import { ACCOUNT, REGION } from './emulator.js';

export { addListener, createListenerRecord, createLoadBalancerRecord };

export const PREFIX = 'lb';
export const LOG_BUCKET = `elb-logs-${ACCOUNT}-${REGION}`;
export const RUNBOOK = 'runbooks/load-balancer-logs.md';

/** The policy section used on the emulator. */
export function lbSection(extra: Record<string, unknown> = {}) {
  return { mode: 'remediate', bucket: 'elb-logs-{account}-{region}', prefix: PREFIX, ...extra };
}

export const ctxOf = (clients: AwsClients) => ({ clients, account: ACCOUNT, region: REGION });

/** The log bucket as the infrastructure creates it (with the ELB delivery policy unless `permit: false`). */
export const createLogBucket = (clients: AwsClients, opts: { permit?: boolean; bucket?: string; prefix?: string } = {}) =>
  createElbLogBucket(ctxOf(clients), opts.bucket ?? LOG_BUCKET, opts.prefix ?? PREFIX, opts);

export const network = (clients: AwsClients) => createNetwork(ctxOf(clients));

/** An ALB; with `logs` its access logs already on to the policy's bucket and prefix. */
export async function alb(clients: AwsClients, name: string, subnets: string[], opts: { logs?: boolean } = {}): Promise<string> {
  const lb = await createAlb(ctxOf(clients), name, subnets);
  const arn = lb.LoadBalancerArn as string;
  if (opts.logs) await modifyAttributes(ctxOf(clients), arn, logAttributes(LOG_BUCKET, PREFIX));
  return arn;
}

export async function nlb(clients: AwsClients, name: string, net: { vpcId: string; subnets: string[] }, protocol: 'TLS' | 'TCP') {
  return createNlb(ctxOf(clients), name, net, protocol);
}

/** Make the tampering call and return its CloudTrail event. */
export async function tamper(
  clients: AwsClients,
  arn: string,
  attributes: Record<string, string>,
  opts: { identity?: Identity } = {},
) {
  const answered = await modifyAttributes(ctxOf(clients), arn, attributes);
  return elbEvent(ACCOUNT, REGION, 'ModifyLoadBalancerAttributes', modifyAttributesRecord(arn, attributes, answered), opts);
}

export const lbEvent = (
  eventName: string,
  record: { requestParameters: Record<string, unknown> | null; responseElements?: Record<string, unknown> | null },
  opts: { identity?: Identity; errorCode?: string; region?: string } = {},
) => elbEvent(ACCOUNT, opts.region ?? REGION, eventName, record, opts);

export const attributesOf = (clients: AwsClients, arn: string) => readAttributes(ctxOf(clients), arn);

/** The access-log attributes as the policy wants them. */
export const wantedLogs = (bucket = LOG_BUCKET, prefix = PREFIX) => ({
  'access_logs.s3.enabled': 'true',
  'access_logs.s3.bucket': bucket,
  'access_logs.s3.prefix': prefix,
});

export async function deleteLb(clients: AwsClients, arn: string) {
  await clients.get(ElasticLoadBalancingV2Client, REGION).send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
}

export async function tagLb(clients: AwsClients, arn: string, tags: Record<string, string>) {
  await clients
    .get(ElasticLoadBalancingV2Client, REGION)
    .send(new AddTagsCommand({ ResourceArns: [arn], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
}
