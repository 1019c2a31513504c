import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../controllers/core/policy.js';
import type { CloudTrailDetail } from '../../controllers/core/types.js';
import {
  type AssociationView,
  creatorRequestId,
  desiredQueryLogging,
  diffVpc,
  planVpc,
  type QueryLogConfigInfo,
  tokenOfGeneration,
  usableConfig,
  type VpcState,
} from '../../controllers/resolver-query-logs/diff.js';
import { resolveVpcId, targetOfEvent } from '../../controllers/resolver-query-logs/events.js';
import { resolverQueryLogs } from '../../controllers/resolver-query-logs/index.js';
import { type ResolverQueryLogsPolicy, resolverQueryLogsPolicySchema } from '../../controllers/resolver-query-logs/policy.js';
import { ACCOUNT } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

const REGION = 'us-east-1';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const BUCKET_ARN = 'arn:aws:s3:::central-dns-query-logs';
const CONFIG = 'rslvr-qlc-0a1b2c3d4e5f67890';
const policy: ResolverQueryLogsPolicy = resolverQueryLogsPolicySchema.parse({
  mode: 'remediate',
  destination: { type: 's3', bucketArn: BUCKET_ARN },
});
const desired = desiredQueryLogging(policy, ACCOUNT, REGION);
const scope = { account: ACCOUNT, region: REGION };

const ownConfig = (extra: Partial<QueryLogConfigInfo> = {}): QueryLogConfigInfo => ({
  id: CONFIG,
  ownerId: ACCOUNT,
  status: 'CREATED',
  destinationArn: BUCKET_ARN,
  creatorRequestId: desired.creatorRequestId,
  name: 'logwarden-query-logs',
  ...extra,
});
const association = (extra: Partial<AssociationView> = {}): AssociationView => ({
  id: 'rslvr-qlcassoc-1',
  configId: CONFIG,
  status: 'ACTIVE',
  error: 'NONE',
  destinationArn: BUCKET_ARN,
  configOwnerId: ACCOUNT,
  ...extra,
});
const vpc = (extra: Partial<Extract<VpcState, { exists: true }>> = {}): VpcState => ({
  exists: true,
  vpcId: VPC,
  ownerId: ACCOUNT,
  tags: {},
  associations: [],
  ownConfigs: [],
  ...extra,
});
const detail = (
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  responseElements: Record<string, unknown> | null = null,
): CloudTrailDetail => ({
  eventName,
  eventSource: 'route53resolver.amazonaws.com',
  eventID: null,
  awsRegion: REGION,
  recipientAccountId: ACCOUNT,
  errorCode: null,
  userIdentity: null,
  requestParameters,
  responseElements,
});

describe('resolver-query-logs policy', () => {
  it('accepts the three destination types, with {account}/{region} templates, and defaults the config name', () => {
    expect(policy.configName).toBe('logwarden-query-logs');
    const templated = resolverQueryLogsPolicySchema.parse({
      destination: { type: 'cloud-watch-logs', logGroupArn: 'arn:aws:logs:{region}:{account}:log-group:/dns/{region}' },
    });
    expect(desiredQueryLogging(templated, ACCOUNT, 'eu-west-1').destinationArn).toBe(
      `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/dns/eu-west-1`,
    );
    const firehose = resolverQueryLogsPolicySchema.parse({
      destination: { type: 'firehose', deliveryStreamArn: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/dns` },
    });
    expect(firehose.mode).toBe('remediate');
  });

  it('refuses unknown fields, bad ARNs, unknown placeholders and bad names, naming the field', () => {
    const bad = (section: unknown) => () => parsePolicy(policyWith({ 'resolver-query-logs': section }), [resolverQueryLogs]);
    expect(bad({ destination: { type: 's3', bucketArn: BUCKET_ARN }, extra: 1 })).toThrow(
      /guardrails\.resolver-query-logs: .*\(extra\)/,
    );
    expect(bad({ destination: { type: 's3', bucketArn: 'central-dns' } })).toThrow(
      /guardrails\.resolver-query-logs\.destination\.bucketArn: must be an S3 bucket ARN/,
    );
    expect(bad({ destination: { type: 'firehose', deliveryStreamArn: 'arn:aws:firehose:{zone}:1:deliverystream/x' } })).toThrow(
      /deliveryStreamArn: unknown placeholder/,
    );
    expect(
      bad({ destination: { type: 'cloud-watch-logs', logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/dns:*` } }),
    ).toThrow(/logGroupArn: must be a log group ARN without the trailing :\*/);
    expect(bad({ destination: { type: 'kinesis' } })).toThrow(/destination\.type/);
    expect(bad({ destination: { type: 's3', bucketArn: BUCKET_ARN }, configName: '12345' })).toThrow(
      /configName: must be 1-64 letters/,
    );
  });
});

describe('resolver-query-logs events', () => {
  it('CreateVpc and CreateDefaultVpc name the VPC in the unwrapped response', () => {
    const created = { requestId: 'r', vpc: { vpcId: VPC, state: 'pending' } };
    expect(targetOfEvent({ ...detail('CreateVpc', {}, created), eventSource: 'ec2.amazonaws.com' }, scope)).toMatchObject({
      refs: [{ id: VPC, type: 'AWS::EC2::VPC', arn: `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${VPC}` }],
    });
    expect(targetOfEvent(detail('CreateDefaultVpc', {}, null), scope)).toEqual({
      ignore: 'CreateDefaultVpc event without responseElements.vpc.vpcId',
    });
  });

  it('DisassociateResolverQueryLogConfig names the VPC in resourceId (or the response), a non-VPC is ignored', () => {
    expect(
      targetOfEvent(detail('DisassociateResolverQueryLogConfig', { resolverQueryLogConfigId: CONFIG, resourceId: VPC }), scope),
    ).toMatchObject({
      refs: [{ id: VPC }],
    });
    const fromResponse = detail('DisassociateResolverQueryLogConfig', null, {
      resolverQueryLogConfigAssociation: { resourceId: VPC },
    });
    expect(targetOfEvent(fromResponse, scope)).toMatchObject({ refs: [{ id: VPC }] });
    expect(targetOfEvent(detail('DisassociateResolverQueryLogConfig', { resourceId: 42 }), scope)).toEqual({
      ignore: 'DisassociateResolverQueryLogConfig event without requestParameters.resourceId',
    });
    expect(targetOfEvent(detail('DisassociateResolverQueryLogConfig', { resourceId: 'subnet-0123abcd' }), scope)).toMatchObject({
      ignore: 'DisassociateResolverQueryLogConfig event with a malformed resourceId ("subnet-0123abcd")',
    });
  });

  it('DeleteResolverQueryLogConfig names a configuration to resolve; one owned by another account (RAM) is ignored', () => {
    expect(targetOfEvent(detail('DeleteResolverQueryLogConfig', { resolverQueryLogConfigId: CONFIG }), scope)).toEqual({
      deletedConfigId: CONFIG,
    });
    const shared = detail(
      'DeleteResolverQueryLogConfig',
      { resolverQueryLogConfigId: CONFIG },
      { resolverQueryLogConfig: { id: CONFIG, ownerId: '210987654321' } },
    );
    const ignored = targetOfEvent(shared, scope);
    expect(ignored).toMatchObject({ resource: { id: CONFIG } });
    expect('ignore' in ignored && ignored.ignore).toContain('owned by account 210987654321 (shared through RAM)');
    expect(targetOfEvent(detail('DeleteResolverQueryLogConfig', {}), scope)).toEqual({
      ignore: 'DeleteResolverQueryLogConfig event without requestParameters.resolverQueryLogConfigId',
    });
    expect(
      targetOfEvent(detail('DeleteResolverQueryLogConfig', { resolverQueryLogConfigId: 'x'.repeat(500) }), scope),
    ).toMatchObject({
      ignore: expect.stringContaining('malformed resolverQueryLogConfigId'),
    });
  });

  it('a Config or CLI resource id must be a VPC id', () => {
    expect(resolveVpcId(VPC, scope)).toMatchObject({ refs: [{ id: VPC }] });
    expect(resolveVpcId('sg-123', scope)).toMatchObject({ ignore: '"sg-123" is not a VPC id (vpc-...)' });
  });
});

describe('resolver-query-logs diff and plan', () => {
  it('compliant: an ACTIVE (or CREATING) association to a configuration delivering to the destination, whoever owns it', () => {
    expect(diffVpc(vpc({ associations: [association()] }), desired)).toEqual([]);
    expect(diffVpc(vpc({ associations: [association({ status: 'CREATING' })] }), desired)).toEqual([]);
    // Shared through RAM by the log-archive account, delivering to the right place: counts.
    expect(diffVpc(vpc({ associations: [association({ configOwnerId: '210987654321' })] }), desired)).toEqual([]);
    // A trailing slash or :* does not change the destination.
    expect(diffVpc(vpc({ associations: [association({ destinationArn: `${BUCKET_ARN}/` })] }), desired)).toEqual([]);
  });

  it('non-compliant: no association, a wrong destination, a failed association, an unknown configuration', () => {
    expect(diffVpc(vpc(), desired)).toEqual([
      {
        property: 'queryLogging',
        observed: 'no query logging configuration',
        desired: { destinationArn: BUCKET_ARN, status: 'ACTIVE' },
      },
    ]);
    const wrong = [
      association({ destinationArn: 'arn:aws:s3:::elsewhere' }),
      association({ status: 'FAILED', error: 'ACCESS_DENIED' }),
      association({ destinationArn: null, configOwnerId: null, configId: 'rslvr-qlc-gone' }),
      association({ configOwnerId: '210987654321', destinationArn: 'arn:aws:s3:::theirs' }),
    ];
    expect(diffVpc(vpc({ associations: wrong }), desired)[0]?.observed).toEqual([
      { configId: CONFIG, status: 'ACTIVE', destinationArn: 'arn:aws:s3:::elsewhere' },
      { configId: CONFIG, status: 'FAILED', destinationArn: BUCKET_ARN, error: 'ACCESS_DENIED' },
      { configId: 'rslvr-qlc-gone', status: 'ACTIVE', destinationArn: null },
      { configId: CONFIG, status: 'ACTIVE', destinationArn: 'arn:aws:s3:::theirs', configOwnerId: '210987654321' },
    ]);
    expect(diffVpc({ exists: false, vpcId: VPC }, desired)).toEqual([
      { property: 'vpc', observed: 'not found', desired: 'exists' },
    ]);
  });

  it('plans Create + Associate without a usable logwarden configuration, Associate alone with one', () => {
    const drift = diffVpc(vpc(), desired);
    expect(planVpc(vpc(), desired, drift).map((s) => s.api)).toEqual([
      'route53resolver:CreateResolverQueryLogConfig',
      'route53resolver:AssociateResolverQueryLogConfig',
    ]);
    expect(planVpc(vpc(), desired, drift)[0]).toMatchObject({ creatorRequestId: desired.creatorRequestId });
    expect(planVpc(vpc({ ownConfigs: [ownConfig()] }), desired, drift)).toEqual([
      expect.objectContaining({ api: 'route53resolver:AssociateResolverQueryLogConfig', configId: CONFIG, configReady: true }),
    ]);
    // logwarden's configuration to an old destination, or being deleted, is not used.
    const stale = [ownConfig({ destinationArn: 'arn:aws:s3:::old' }), ownConfig({ id: 'rslvr-qlc-x', status: 'DELETING' })];
    expect(planVpc(vpc({ ownConfigs: stale }), desired, drift)).toHaveLength(2);
    expect(planVpc(vpc(), desired, [])).toEqual([]);
  });

  it('prefers a CREATED configuration to a CREATING one', () => {
    const creating = ownConfig({ id: 'rslvr-qlc-creating', status: 'CREATING' });
    expect(usableConfig([creating, ownConfig()], desired)?.id).toBe(CONFIG);
    expect(usableConfig([creating], desired)?.id).toBe('rslvr-qlc-creating');
  });

  it('the CreatorRequestId is deterministic per account, region and destination; later generations append a number', () => {
    const token = creatorRequestId(ACCOUNT, REGION, BUCKET_ARN);
    expect(token).toBe(desired.creatorRequestId);
    expect(token).toMatch(/^logwarden-[0-9a-f]{40}$/);
    expect(creatorRequestId(ACCOUNT, 'eu-west-1', BUCKET_ARN)).not.toBe(token);
    expect(creatorRequestId(ACCOUNT, REGION, 'arn:aws:s3:::other')).not.toBe(token);
    expect(tokenOfGeneration(token, 2)).toBe(`${token}-2`);
  });
});

describe('resolver-query-logs definition', () => {
  it('scoped permissions follow the destination type', () => {
    const s3 = resolverQueryLogs.scopedPermissions?.(policy) ?? [];
    expect(s3[1]).toEqual({ actions: ['s3:GetBucketPolicy', 's3:PutBucketPolicy'], resources: [BUCKET_ARN] });
    const firehose = resolverQueryLogsPolicySchema.parse({
      destination: { type: 'firehose', deliveryStreamArn: 'arn:aws:firehose:{region}:{account}:deliverystream/dns' },
    });
    const perms = resolverQueryLogs.scopedPermissions?.(firehose) ?? [];
    expect(perms.find((p) => p.actions.includes('firehose:TagDeliveryStream'))?.resources).toEqual([
      'arn:aws:firehose:*:*:deliverystream/dns',
    ]);
    expect(perms.flatMap((p) => p.actions)).toContain('iam:CreateServiceLinkedRole');
  });

  it('skips a vanished VPC and one owned by another account', () => {
    const ref = { type: 'AWS::EC2::VPC' as const, id: VPC, arn: null, region: REGION };
    expect(resolverQueryLogs.skipReason?.(ref, { exists: false, vpcId: VPC }, scope)).toContain('no longer exists');
    expect(resolverQueryLogs.skipReason?.(ref, vpc({ ownerId: '210987654321' }), scope)).toContain(
      'owned by account 210987654321',
    );
    expect(resolverQueryLogs.skipReason?.(ref, vpc(), scope)).toBeNull();
  });
});
