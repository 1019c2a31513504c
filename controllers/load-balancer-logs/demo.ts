import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
  type Listener,
  type LoadBalancer,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { apiCallEvent, type Identity } from '../../cli/events.js';
import { mapLimit } from '../core/concurrency.js';
import type { DemoContext, DemoGuardrail } from '../core/demo.js';
import { desiredLogs, diffLogs } from './diff.js';
import { loadBalancerRef, parseLoadBalancerArn } from './events.js';
import { loadBalancerLogs } from './index.js';
import { ELB_ACCOUNTS, ELB_LOG_DELIVERY, NLB_LOG_DELIVERY } from './log-bucket.js';
import { fillTemplate, type LoadBalancerLogsPolicy } from './policy.js';

type Ctx = Pick<DemoContext, 'clients' | 'region'>;
const elb = (ctx: Ctx) => ctx.clients.get(ElasticLoadBalancingV2Client, ctx.region);

/** An IAM server certificate: ELB takes it for TLS listeners, and the emulator needs no ACM certificate for it. */
export const serverCertificateArn = (account: string) => `arn:aws:iam::${account}:server-certificate/logwarden-demo-tls`;

/** A VPC with two subnets in two availability zones, as an ALB needs. Returns the subnet ids. */
export async function createNetwork(ctx: Ctx, cidr = '10.88'): Promise<{ vpcId: string; subnets: string[] }> {
  const ec2 = ctx.clients.get(EC2Client, ctx.region);
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: `${cidr}.0.0/16` }))).Vpc?.VpcId as string;
  const subnets: string[] = [];
  for (const [i, az] of ['a', 'b'].entries()) {
    const out = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${cidr}.${i + 1}.0/24`, AvailabilityZone: `${ctx.region}${az}` }),
    );
    subnets.push(out.Subnet?.SubnetId as string);
  }
  return { vpcId, subnets };
}

/**
 * What the infrastructure owns: the account's load-balancer log bucket, with the policy that lets
 * ALB log delivery (the Region's ELB account and the service principal) and NLB log delivery write
 * `<prefix>/AWSLogs/<account>/`. `permit: false` leaves the policy out.
 */
export async function createElbLogBucket(
  ctx: Ctx & { account: string },
  bucket: string,
  prefix: string,
  opts: { permit?: boolean } = {},
): Promise<void> {
  const s3 = ctx.clients.get(S3Client, ctx.region);
  const location =
    ctx.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: ctx.region as 'eu-west-1' } };
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ...location }));
  if (opts.permit === false) return;
  const resource = `arn:aws:s3:::${bucket}/${prefix ? `${prefix}/` : ''}AWSLogs/${ctx.account}/*`;
  const elbAccount = ELB_ACCOUNTS[ctx.region];
  const statement = (Sid: string, Principal: Record<string, string>) => ({
    Sid,
    Effect: 'Allow',
    Principal,
    Action: 's3:PutObject',
    Resource: resource,
  });
  const Statement = [
    statement('AlbLogDelivery', { Service: ELB_LOG_DELIVERY }),
    ...(elbAccount ? [statement('AlbLogDeliveryLegacy', { AWS: `arn:aws:iam::${elbAccount}:root` })] : []),
    statement('NlbLogDelivery', { Service: NLB_LOG_DELIVERY }),
  ];
  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement }) }));
}

export async function createAlb(ctx: Ctx, name: string, subnets: string[]): Promise<LoadBalancer> {
  const out = await elb(ctx).send(
    new CreateLoadBalancerCommand({ Name: name, Subnets: subnets, Type: 'application', Scheme: 'internet-facing' }),
  );
  return out.LoadBalancers?.[0] as LoadBalancer;
}

/** A Network Load Balancer with one listener (TLS with the demo certificate, or TCP) forwarding to a target group. */
export async function createNlb(
  ctx: Ctx & { account: string },
  name: string,
  network: { vpcId: string; subnets: string[] },
  protocol: 'TLS' | 'TCP',
): Promise<string> {
  const out = await elb(ctx).send(new CreateLoadBalancerCommand({ Name: name, Subnets: network.subnets, Type: 'network' }));
  const arn = out.LoadBalancers?.[0]?.LoadBalancerArn as string;
  await addListener(ctx, arn, network.vpcId, protocol, 443);
  return arn;
}

/** Add a listener (and its target group) to a load balancer; returns the listener as ELB answers it. */
export async function addListener(
  ctx: Ctx & { account: string },
  lbArn: string,
  vpcId: string,
  protocol: 'TLS' | 'TCP',
  port: number,
): Promise<Listener> {
  const name = `${parseLoadBalancerArn(lbArn)?.name ?? 'lb'}-${port}`.slice(0, 32);
  const tg = await elb(ctx).send(
    new CreateTargetGroupCommand({ Name: name, Protocol: 'TCP', Port: port, VpcId: vpcId, TargetType: 'ip' }),
  );
  const out = await elb(ctx).send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: protocol,
      Port: port,
      ...(protocol === 'TLS'
        ? {
            Certificates: [{ CertificateArn: serverCertificateArn(ctx.account) }],
            SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
          }
        : {}),
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroups?.[0]?.TargetGroupArn }],
    }),
  );
  return out.Listeners?.[0] as Listener;
}

/** ModifyLoadBalancerAttributes on the emulator; returns the attributes ELB answers (all of them). */
export async function modifyAttributes(ctx: Ctx, arn: string, attributes: Record<string, string>) {
  const out = await elb(ctx).send(
    new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: arn,
      Attributes: Object.entries(attributes).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return out.Attributes ?? [];
}

export async function readAttributes(ctx: Ctx, arn: string): Promise<Record<string, string>> {
  const out = await elb(ctx).send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }));
  return Object.fromEntries((out.Attributes ?? []).map((a) => [a.Key ?? '', a.Value ?? '']));
}

/** The attributes of logs on to `bucket`/`prefix`: access logs, and connection logs when asked. */
export function logAttributes(bucket: string, prefix: string, connectionLogs = false): Record<string, string> {
  const families = connectionLogs ? ['access_logs.s3', 'connection_logs.s3'] : ['access_logs.s3'];
  return Object.fromEntries(
    families.flatMap((f) => [
      [`${f}.enabled`, 'true'],
      [`${f}.bucket`, bucket],
      [`${f}.prefix`, prefix],
    ]),
  );
}

const lowerKeys = (attrs: { Key?: string; Value?: string }[]) => attrs.map((a) => ({ key: a.Key, value: a.Value }));

/** The record of a ModifyLoadBalancerAttributes call: the sent attributes; the response holds all of them. */
export function modifyAttributesRecord(arn: string, sent: Record<string, string>, answered: { Key?: string; Value?: string }[]) {
  return {
    requestParameters: { loadBalancerArn: arn, attributes: Object.entries(sent).map(([key, value]) => ({ key, value })) },
    responseElements: { attributes: lowerKeys(answered) },
  };
}

/** The record of an ELBv2 CreateLoadBalancer: the request, and the new balancer (lowerCamel) in `loadBalancers`. */
export function createLoadBalancerRecord(lb: LoadBalancer, subnets: string[]) {
  return {
    requestParameters: { name: lb.LoadBalancerName, subnets, scheme: lb.Scheme, type: lb.Type },
    responseElements: {
      loadBalancers: [
        {
          loadBalancerArn: lb.LoadBalancerArn,
          dNSName: lb.DNSName,
          canonicalHostedZoneId: lb.CanonicalHostedZoneId,
          createdTime: (lb.CreatedTime ?? new Date()).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'medium' }),
          loadBalancerName: lb.LoadBalancerName,
          scheme: lb.Scheme,
          vpcId: lb.VpcId,
          state: { code: lb.State?.Code ?? 'provisioning' },
          type: lb.Type,
          availabilityZones: (lb.AvailabilityZones ?? []).map((z) => ({ zoneName: z.ZoneName, subnetId: z.SubnetId })),
          ipAddressType: lb.IpAddressType ?? 'ipv4',
        },
      ],
    },
  };
}

/** The record of a CreateListener: protocol, port and certificate in the request; the listener in `listeners`. */
export function createListenerRecord(listener: Listener) {
  const certificates = (listener.Certificates ?? []).map((c) => ({ certificateArn: c.CertificateArn }));
  return {
    requestParameters: {
      loadBalancerArn: listener.LoadBalancerArn,
      protocol: listener.Protocol,
      port: listener.Port,
      ...(certificates.length > 0 ? { certificates, sslPolicy: listener.SslPolicy } : {}),
      defaultActions: (listener.DefaultActions ?? []).map((a) => ({ type: a.Type, targetGroupArn: a.TargetGroupArn })),
    },
    responseElements: {
      listeners: [
        {
          listenerArn: listener.ListenerArn,
          loadBalancerArn: listener.LoadBalancerArn,
          port: listener.Port,
          protocol: listener.Protocol,
        },
      ],
    },
  };
}

/** An `AWS API Call via CloudTrail` event from ELBv2 (API 2015-12-01). */
export function elbEvent(
  account: string,
  region: string,
  eventName: string,
  record: { requestParameters: Record<string, unknown> | null; responseElements?: Record<string, unknown> | null },
  opts: { identity?: Identity; errorCode?: string } = {},
): Record<string, unknown> {
  return apiCallEvent({ account, region, eventSource: 'elasticloadbalancing.amazonaws.com', eventName, ...record, ...opts });
}

const DEMO_PREFIX = 'lb';
const WEB_ALB = 'demo-web-alb';
const NEW_ALB = 'demo-new-alb';
const TLS_NLB = 'demo-tls-nlb';
const TCP_NLB = 'demo-tcp-nlb';
const ATTACKER_BUCKET = 'demo-elsewhere-elb-logs';

function section(): LoadBalancerLogsPolicy {
  return loadBalancerLogs.policySchema.parse({
    mode: 'remediate',
    bucket: 'elb-logs-{account}-{region}',
    prefix: DEMO_PREFIX,
    connectionLogs: true,
  });
}

const demoBucket = (ctx: Pick<DemoContext, 'account' | 'region'>) => fillTemplate(section().bucket, ctx);

async function balancerNamed(ctx: Ctx, name: string): Promise<LoadBalancer> {
  const out = await elb(ctx).send(new DescribeLoadBalancersCommand({ Names: [name] }));
  return out.LoadBalancers?.[0] as LoadBalancer;
}

/** The demo's subnets, read back from the demo ALB (demos keep no state between calls). */
async function demoSubnets(ctx: Ctx): Promise<string[]> {
  const lb = await balancerNamed(ctx, WEB_ALB);
  return (lb.AvailabilityZones ?? []).map((z) => z.SubnetId as string);
}

/** What is still wrong with a balancer's logs (the guardrail's own diff on the attributes read back), or null. */
async function logsProblem(ctx: DemoContext, name: string, balancer: 'application' | 'network'): Promise<string | null> {
  const arn = (await balancerNamed(ctx, name)).LoadBalancerArn as string;
  const parsed = parseLoadBalancerArn(arn);
  if (!parsed) return `${arn} is not a load balancer ARN`;
  const state = { kind: 'balancer' as const, balancer, attributes: await readAttributes(ctx, arn), tags: {} };
  const drift = diffLogs(state, desiredLogs(loadBalancerRef(arn, parsed), section()));
  return drift.length === 0 ? null : `${name}: ${drift.map((d) => `${d.property}=${JSON.stringify(d.observed)}`).join(', ')}`;
}

/** Tamper with a demo balancer's attributes and return the ModifyLoadBalancerAttributes event. */
async function tamperAttributes(ctx: DemoContext, name: string, attributes: Record<string, string>) {
  const arn = (await balancerNamed(ctx, name)).LoadBalancerArn as string;
  const answered = await modifyAttributes(ctx, arn, attributes);
  return [elbEvent(ctx.account, ctx.region, 'ModifyLoadBalancerAttributes', modifyAttributesRecord(arn, attributes, answered))];
}

/**
 * The load-balancer-logs part of the demo: ALB access logs switched off or sent elsewhere, an ALB
 * born without them, an NLB's TLS access logs switched off, and a TLS listener that makes an NLB governed.
 */
export const demo: DemoGuardrail = {
  guardrail: loadBalancerLogs,
  policySection: () => section(),
  async prepare(ctx) {
    await createElbLogBucket(ctx, demoBucket(ctx), DEMO_PREFIX);
    await createElbLogBucket(ctx, ATTACKER_BUCKET, '');
    const network = await createNetwork(ctx);
    const alb = await createAlb(ctx, WEB_ALB, network.subnets);
    await modifyAttributes(ctx, alb.LoadBalancerArn as string, logAttributes(demoBucket(ctx), DEMO_PREFIX, true));
    const nlb = await createNlb(ctx, TLS_NLB, network, 'TLS');
    await modifyAttributes(ctx, nlb, logAttributes(demoBucket(ctx), DEMO_PREFIX));
    await createNlb(ctx, TCP_NLB, network, 'TCP');
  },
  // A load balancer has one set of attributes: a remediation changes them, it creates nothing.
  duplicates: async () => [],
  scenarios: [
    {
      title: 'ELB: ALB access logs switched off (ModifyLoadBalancerAttributes access_logs.s3.enabled=false)',
      minimum: {
        calls: 3,
        why: 'DescribeLoadBalancerAttributes, ModifyLoadBalancerAttributes, DescribeLoadBalancerAttributes (verify).',
      },
      tamper: (ctx) => tamperAttributes(ctx, WEB_ALB, { 'access_logs.s3.enabled': 'false' }),
      check: (ctx) => logsProblem(ctx, WEB_ALB, 'application'),
    },
    {
      title: "ELB: ALB access and connection logs moved to someone else's bucket",
      minimum: {
        calls: 3,
        why: 'DescribeLoadBalancerAttributes, ModifyLoadBalancerAttributes, DescribeLoadBalancerAttributes (verify).',
      },
      tamper: (ctx) =>
        tamperAttributes(ctx, WEB_ALB, {
          'access_logs.s3.bucket': ATTACKER_BUCKET,
          'connection_logs.s3.bucket': ATTACKER_BUCKET,
        }),
      check: (ctx) => logsProblem(ctx, WEB_ALB, 'application'),
    },
    {
      title: 'ELB: a new ALB is born without access logs (CreateLoadBalancer)',
      minimum: {
        calls: 3,
        why: 'DescribeLoadBalancerAttributes, ModifyLoadBalancerAttributes, DescribeLoadBalancerAttributes (verify).',
      },
      async tamper(ctx) {
        const subnets = await demoSubnets(ctx);
        const lb = await createAlb(ctx, NEW_ALB, subnets);
        return [elbEvent(ctx.account, ctx.region, 'CreateLoadBalancer', createLoadBalancerRecord(lb, subnets))];
      },
      check: (ctx) => logsProblem(ctx, NEW_ALB, 'application'),
    },
    {
      title: 'ELB: access logs of an NLB with a TLS listener switched off',
      minimum: {
        calls: 4,
        why: 'DescribeListeners (a TLS listener makes it governed), DescribeLoadBalancerAttributes, ModifyLoadBalancerAttributes, DescribeLoadBalancerAttributes (verify).',
      },
      tamper: (ctx) => tamperAttributes(ctx, TLS_NLB, { 'access_logs.s3.enabled': 'false' }),
      check: (ctx) => logsProblem(ctx, TLS_NLB, 'network'),
    },
    {
      title: 'ELB: a TLS listener added to an NLB without access logs (CreateListener)',
      minimum: {
        calls: 4,
        why: 'DescribeListeners (the new TLS listener), DescribeLoadBalancerAttributes, ModifyLoadBalancerAttributes, DescribeLoadBalancerAttributes (verify).',
      },
      async tamper(ctx) {
        const lb = await balancerNamed(ctx, TCP_NLB);
        const listener = await addListener(ctx, lb.LoadBalancerArn as string, lb.VpcId as string, 'TLS', 8443);
        return [elbEvent(ctx.account, ctx.region, 'CreateListener', createListenerRecord(listener))];
      },
      check: (ctx) => logsProblem(ctx, TCP_NLB, 'network'),
    },
  ],
  sweepBench: {
    resources: 'load balancers',
    /** n ALBs in the demo's subnets; every tenth without logs. */
    async seed(ctx, n) {
      const subnets = await demoSubnets(ctx);
      const on = logAttributes(demoBucket(ctx), DEMO_PREFIX, true);
      await mapLimit(
        Array.from({ length: n }, (_, i) => i),
        8,
        async (i) => {
          const lb = await createAlb(ctx, `bench-alb-${i}`, subnets);
          if (i % 10 !== 0) await modifyAttributes(ctx, lb.LoadBalancerArn as string, on);
        },
      );
    },
  },
};

/** For tests: the demo's names and policy. */
export const DEMO = {
  section,
  bucket: demoBucket,
  prefix: DEMO_PREFIX,
  WEB_ALB,
  NEW_ALB,
  TLS_NLB,
  TCP_NLB,
  ATTACKER_BUCKET,
} as const;
