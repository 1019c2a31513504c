import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AssociateResolverQueryLogConfigCommand,
  CreateResolverQueryLogConfigCommand,
  ListResolverQueryLogConfigAssociationsCommand,
  ListResolverQueryLogConfigsCommand,
  type ResolverQueryLogConfig,
  Route53ResolverClient,
} from '@aws-sdk/client-route53resolver';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { repeats } from '../../cli/demo/repeats.js';
import { apiCallEvent } from '../../cli/events.js';
import { mapLimit } from '../core/concurrency.js';
import type { DemoContext, DemoGuardrail } from '../core/demo.js';
import { MANAGED_TAG } from '../core/tags.js';
import { creatorRequestId, TOKEN_PREFIX } from './diff.js';
import { resolverQueryLogs } from './index.js';

/** The central DNS-log bucket (the infrastructure owns it). */
const BUCKET = 'central-dns-query-logs';
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
/** The VPCs this demo governs by name (every other VPC of the region is governed too, by the sweep). */
const VPC_NAMES = ['dns-prod-network', 'dns-staging-network'];
const SHADOW_VPC = 'dns-shadow-network';
const LOOKALIKE_VPC = 'dns-lookalike-network';

const ec2 = (ctx: DemoContext) => ctx.clients.get(EC2Client, ctx.region);
const resolver = (ctx: DemoContext) => ctx.clients.get(Route53ResolverClient, ctx.region);
const mallory = (ctx: DemoContext) =>
  ({ kind: 'assumed-role', account: ctx.account, roleName: 'DeveloperAccess', session: 'mallory' }) as const;

async function createVpc(ctx: DemoContext, cidr: string, name: string): Promise<string> {
  const res = await ec2(ctx).send(
    new CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: name }] }] }),
  );
  return res.Vpc?.VpcId as string;
}

/** `CreateVpc` as CloudTrail records it: the response is not wrapped, the id is `responseElements.vpc.vpcId`. */
const createVpcEvent = (ctx: DemoContext, vpcId: string, cidr: string) =>
  apiCallEvent({
    account: ctx.account,
    region: ctx.region,
    eventSource: 'ec2.amazonaws.com',
    eventName: 'CreateVpc',
    requestParameters: { cidrBlock: cidr, instanceTenancy: 'default', amazonProvidedIpv6CidrBlock: false },
    responseElements: {
      requestId: '8a1d0c6e-2f4b-4e0a-b1c9-7d3e5f6a7b8c',
      vpc: { vpcId, state: 'pending', ownerId: ctx.account, cidrBlock: cidr, instanceTenancy: 'default', isDefault: false },
    },
    identity: mallory(ctx),
  });

async function allConfigs(ctx: DemoContext): Promise<ResolverQueryLogConfig[]> {
  return (await resolver(ctx).send(new ListResolverQueryLogConfigsCommand({ MaxResults: 100 }))).ResolverQueryLogConfigs ?? [];
}

/** Null when every VPC this demo names has a live association to a configuration delivering to the bucket. */
async function unlogged(ctx: DemoContext): Promise<string | null> {
  const names = [...VPC_NAMES, SHADOW_VPC, LOOKALIKE_VPC];
  const vpcs = (await ec2(ctx).send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: names }] }))).Vpcs ?? [];
  const toBucket = new Set((await allConfigs(ctx)).filter((c) => c.DestinationArn === BUCKET_ARN).map((c) => c.Id));
  const associations =
    (await resolver(ctx).send(new ListResolverQueryLogConfigAssociationsCommand({ MaxResults: 100 })))
      .ResolverQueryLogConfigAssociations ?? [];
  const bad = vpcs
    .map((v) => v.VpcId as string)
    .filter(
      (id) =>
        !associations.some(
          (a) =>
            a.ResourceId === id && toBucket.has(a.ResolverQueryLogConfigId) && ['ACTIVE', 'CREATING'].includes(a.Status ?? ''),
        ),
    );
  return bad.length > 0 ? `no query logging to ${BUCKET_ARN} on ${bad.join(', ')}` : null;
}

/** logwarden's configuration for the demo bucket, as the guardrail would create it (for the sweep benchmark's seed). */
async function ownConfigId(ctx: DemoContext): Promise<string> {
  const token = creatorRequestId(ctx.account, ctx.region, BUCKET_ARN);
  const existing = (await allConfigs(ctx)).find((c) => c.CreatorRequestId === token);
  if (existing?.Id) return existing.Id;
  const res = await resolver(ctx).send(
    new CreateResolverQueryLogConfigCommand({
      Name: 'logwarden-query-logs',
      DestinationArn: BUCKET_ARN,
      CreatorRequestId: token,
      Tags: [{ Key: MANAGED_TAG, Value: 'true' }],
    }),
  );
  return res.ResolverQueryLogConfig?.Id as string;
}

/**
 * What the landing zone set up before logwarden: a configuration of its own (not logwarden's token)
 * delivering to the central bucket, associated with every VPC of the region so far. It counts for
 * compliance, so the baseline changes nothing and the first new VPC makes logwarden create its own.
 */
async function landingZoneQueryLogging(ctx: DemoContext): Promise<void> {
  const res = await resolver(ctx).send(
    new CreateResolverQueryLogConfigCommand({
      Name: 'landing-zone-dns-logs',
      DestinationArn: BUCKET_ARN,
      CreatorRequestId: 'landing-zone-dns-logs',
    }),
  );
  const vpcs = (await ec2(ctx).send(new DescribeVpcsCommand({}))).Vpcs ?? [];
  for (const vpc of vpcs) {
    await resolver(ctx).send(
      new AssociateResolverQueryLogConfigCommand({
        ResolverQueryLogConfigId: res.ResolverQueryLogConfig?.Id,
        ResourceId: vpc.VpcId,
      }),
    );
  }
}

/**
 * The Resolver query-logs part of the demo. moto 5.2.5 has neither DisassociateResolverQueryLogConfig
 * nor DeleteResolverQueryLogConfig, so the tampering here is what it does implement: VPCs born
 * without query logging, one of them logged only to a look-alike configuration. Disassociation and
 * deletion are covered by test/unit/resolver-query-logs-aws.test.ts (aws-sdk-client-mock).
 */
export const demo: DemoGuardrail = {
  guardrail: resolverQueryLogs,
  policySection: () => ({ mode: 'remediate', destination: { type: 's3', bucketArn: BUCKET_ARN } }),
  async prepare(ctx) {
    await ctx.clients.get(S3Client, ctx.region).send(new CreateBucketCommand({ Bucket: BUCKET }));
    await createVpc(ctx, '10.50.0.0/16', 'dns-prod-network');
    await createVpc(ctx, '10.51.0.0/16', 'dns-staging-network');
    await landingZoneQueryLogging(ctx);
  },
  async duplicates(ctx) {
    // logwarden's configurations (its CreatorRequestId prefix), one per destination at most; the look-alike is not logwarden's token.
    const own = (await allConfigs(ctx)).filter(
      (c) => (c.CreatorRequestId ?? '').startsWith(TOKEN_PREFIX) && c.Status !== 'DELETING',
    );
    return repeats(
      own.map((c) => c.DestinationArn ?? '?'),
      (dest, n) => `${n} logwarden query logging configurations delivering to ${dest}`,
    );
  },
  scenarios: [
    {
      title: 'Resolver query logs: a new VPC is born without query logging (CreateVpc); logwarden creates its configuration',
      minimum: {
        calls: 5,
        why: 'ListResolverQueryLogConfigAssociations (none on the VPC), ListResolverQueryLogConfigs (no logwarden config yet), CreateResolverQueryLogConfig, AssociateResolverQueryLogConfig, ListResolverQueryLogConfigAssociations (verify).',
      },
      async tamper(ctx) {
        const vpcId = await createVpc(ctx, '10.52.0.0/16', SHADOW_VPC);
        return [createVpcEvent(ctx, vpcId, '10.52.0.0/16')];
      },
      check: unlogged,
    },
    {
      title: 'Resolver query logs: a new VPC logged only by a look-alike configuration (same name, attacker bucket)',
      minimum: {
        calls: 4,
        why: "The look-alike association is read and does not count: associations, configs (logwarden's id), Associate, associations (verify).",
      },
      async tamper(ctx) {
        const rogue = await resolver(ctx).send(
          new CreateResolverQueryLogConfigCommand({
            Name: 'logwarden-query-logs',
            DestinationArn: 'arn:aws:s3:::mallory-dns-exfil',
            CreatorRequestId: 'lookalike-2024-05-02',
          }),
        );
        const vpcId = await createVpc(ctx, '10.53.0.0/16', LOOKALIKE_VPC);
        await resolver(ctx).send(
          new AssociateResolverQueryLogConfigCommand({
            ResolverQueryLogConfigId: rogue.ResolverQueryLogConfig?.Id,
            ResourceId: vpcId,
          }),
        );
        return [createVpcEvent(ctx, vpcId, '10.53.0.0/16')];
      },
      check: unlogged,
    },
    {
      title: 'Resolver query logs: a DeleteResolverQueryLogConfig call denied by an SCP changes nothing',
      minimum: { calls: 0, why: 'The event carries errorCode: nothing changed, nothing to read.' },
      async tamper(ctx) {
        const configs = await allConfigs(ctx);
        const ours =
          configs.find((c) => (c.CreatorRequestId ?? '').startsWith(TOKEN_PREFIX))?.Id ?? 'rslvr-qlc-0a1b2c3d4e5f67890';
        return [
          apiCallEvent({
            account: ctx.account,
            region: ctx.region,
            eventSource: 'route53resolver.amazonaws.com',
            eventName: 'DeleteResolverQueryLogConfig',
            requestParameters: { resolverQueryLogConfigId: ours },
            responseElements: null,
            errorCode: 'AccessDenied',
            errorMessage: 'User is not authorized to perform: route53resolver:DeleteResolverQueryLogConfig with an explicit deny',
            identity: mallory(ctx),
          }),
        ];
      },
      check: unlogged,
      expect: ['ignored'],
    },
  ],
  sweepBench: {
    resources: 'VPCs',
    async seed(ctx, n) {
      const configId = await ownConfigId(ctx);
      const vpcIds = await mapLimit(
        Array.from({ length: n }, (_, i) => i),
        8,
        (i) => createVpc(ctx, `10.${100 + Math.floor(i / 256)}.${i % 256}.0/24`, `bench-vpc-${i}`),
      );
      // One association at a time: moto's Resolver answers concurrent associations with an occasional
      // HTML 500 (a race in the emulator). About a tenth stay without query logging for the sweep to fix.
      for (const [i, vpcId] of vpcIds.entries()) {
        if (i % 10 === 0) continue;
        await resolver(ctx).send(
          new AssociateResolverQueryLogConfigCommand({ ResolverQueryLogConfigId: configId, ResourceId: vpcId }),
        );
      }
    },
  },
};
