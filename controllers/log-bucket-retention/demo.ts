import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { apiCallEvent, type Identity } from '../../cli/events.js';
import type { AwsClients } from '../core/aws.js';
import type { DemoContext, DemoGuardrail } from '../core/demo.js';
import { errorCode } from '../core/errors.js';
import { functionRoleName, ROLE_PATH } from '../core/identity.js';
import { logBucketRetention } from './index.js';
import { judgeBucketPolicy, judgeLifecycle } from './judge.js';
import { bucketNameOf } from './policy.js';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** The demo's buckets: the access-log bucket logwarden owns, and a delivery bucket the account's team owns. */
export const OWNED_TEMPLATE = 'logwarden-demo-retention-{account}-{region}';
export const MEMBER_TEMPLATE = 'demo-retention-member-logs-{account}-{region}';
const MINIMUM_DAYS = 90;

type Where = { account: string; region: string };
const s3 = (clients: AwsClients, region: string) => clients.get(S3Client, region);
export const ownedBucket = (w: Where) => bucketNameOf(OWNED_TEMPLATE, w.account, w.region);
const memberBucket = (w: Where) => bucketNameOf(MEMBER_TEMPLATE, w.account, w.region);

/** The rules a healthy log bucket has: a year for current logs, 30 days for old versions, no stuck uploads. */
export const HEALTHY_RULES: LifecycleRule[] = [
  { ID: 'expire-logs-after-a-year', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 365 } },
  {
    ID: 'tidy-old-versions',
    Status: 'Enabled',
    Filter: {},
    NoncurrentVersionExpiration: { NoncurrentDays: 30 },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
  },
];

/** The access-log bucket's own statements, as the member stack writes them (TLS only; S3 logging may write). */
export function healthyStatements(bucket: string, account: string): Record<string, unknown>[] {
  const arn = `arn:aws:s3:::${bucket}`;
  return [
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: 'S3ServerAccessLogsFromThisAccount',
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: `${arn}/*`,
      Condition: { StringEquals: { 'aws:SourceAccount': account } },
    },
  ];
}

/** A log bucket as the infrastructure makes it: versioned, the healthy rules, the healthy statements. */
export async function createLogBucket(clients: AwsClients, w: Where, bucket: string): Promise<void> {
  const client = s3(clients, w.region);
  const location = w.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: w.region as never } };
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket, ...location }));
  } catch (error) {
    if (errorCode(error) !== 'BucketAlreadyOwnedByYou') throw error;
  }
  await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  await putRules(clients, w.region, bucket, HEALTHY_RULES);
  await putStatements(clients, w.region, bucket, healthyStatements(bucket, w.account));
}

export async function putRules(clients: AwsClients, region: string, bucket: string, rules: LifecycleRule[]): Promise<void> {
  await s3(clients, region).send(
    new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }),
  );
}

export async function putStatements(clients: AwsClients, region: string, bucket: string, statements: unknown[]): Promise<void> {
  const Policy = JSON.stringify({ Version: '2012-10-17', Statement: statements });
  await s3(clients, region).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy }));
}

/** The bucket's lifecycle rules (none without a configuration). */
export async function rulesOf(clients: AwsClients, region: string, bucket: string): Promise<LifecycleRule[]> {
  try {
    return (await s3(clients, region).send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
  } catch (error) {
    if (errorCode(error) === 'NoSuchLifecycleConfiguration') return [];
    throw error;
  }
}

/** The bucket policy's statements (none without a policy). */
export async function statementsOf(clients: AwsClients, region: string, bucket: string): Promise<Record<string, unknown>[]> {
  try {
    const text = (await s3(clients, region).send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? '{}';
    return (JSON.parse(text) as { Statement?: Record<string, unknown>[] }).Statement ?? [];
  } catch (error) {
    if (errorCode(error) === 'NoSuchBucketPolicy') return [];
    throw error;
  }
}

export async function versioningOf(clients: AwsClients, region: string, bucket: string): Promise<string> {
  return (await s3(clients, region).send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status ?? 'Disabled';
}

/** A one-day expiration, the classic way to make evidence disappear. */
export const ONE_DAY_RULE: LifecycleRule = { ID: 'cleanup', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } };

/** A statement refusing S3 server access log delivery. */
export const denyLoggingStatement = (bucket: string) => ({
  Sid: 'NoMoreAccessLogs',
  Effect: 'Deny',
  Principal: { Service: 'logging.s3.amazonaws.com' },
  Action: 's3:PutObject',
  Resource: `arn:aws:s3:::${bucket}/*`,
});

/** An `AWS API Call via CloudTrail` event from S3 about `bucket` (subresource key as S3 logs it). */
export function s3Event(
  w: Where,
  eventName: string,
  bucket: string,
  body: Record<string, unknown> = {},
  identity?: Identity,
): Record<string, unknown> {
  const subresource = /Lifecycle/.test(eventName) ? 'lifecycle' : /Versioning/.test(eventName) ? 'versioning' : 'policy';
  return apiCallEvent({
    account: w.account,
    region: w.region,
    eventSource: 's3.amazonaws.com',
    eventName,
    requestParameters: { bucketName: bucket, Host: `${bucket}.s3.${w.region}.amazonaws.com`, [subresource]: '', ...body },
    identity,
  });
}

/** The PutBucketLifecycle record of `rules` (one rule is logged as an object, several as a list). */
export const lifecycleEvent = (w: Where, bucket: string, rules: LifecycleRule[], identity?: Identity) =>
  s3Event(
    w,
    'PutBucketLifecycle',
    bucket,
    { LifecycleConfiguration: { xmlns: XMLNS, Rule: rules.length === 1 ? rules[0] : rules } },
    identity,
  );

/** Null when the bucket keeps its logs as the demo policy wants, else what is wrong. */
export async function retentionProblem(
  clients: AwsClients,
  w: Where,
  bucket: string,
  minimumDays = MINIMUM_DAYS,
): Promise<string | null> {
  const problems: string[] = [];
  const versioning = await versioningOf(clients, w.region, bucket);
  if (versioning !== 'Enabled') problems.push(`versioning ${versioning}`);
  const { offending } = judgeLifecycle(await rulesOf(clients, w.region, bucket), minimumDays);
  if (offending.length > 0) problems.push(`lifecycle rule(s) ${offending.map((o) => o.rule).join(', ')} expire logs early`);
  const statements = await statementsOf(clients, w.region, bucket);
  const judged = judgeBucketPolicy(JSON.stringify({ Statement: statements }), { account: w.account, bucket });
  if (judged.readable && judged.denying.length > 0)
    problems.push(`statement(s) ${judged.denying.map((d) => d.statement).join(', ')} deny log delivery`);
  return problems.length > 0 ? problems.join('; ') : null;
}

const ownProblem = (ctx: DemoContext) => retentionProblem(ctx.clients, ctx, ownedBucket(ctx));
const ONE_WRITE = (what: string) => ({ calls: 3, why: `${what} (read), the one write that removes it, the same read (verify).` });

/** The log-bucket part of the demo: the access-log bucket's logs made to expire, refused, unversioned. */
export const demo: DemoGuardrail = {
  guardrail: logBucketRetention,
  policySection: () => ({
    mode: 'remediate',
    minimumRetentionDays: MINIMUM_DAYS,
    buckets: [
      { name: OWNED_TEMPLATE, owner: 'logwarden' },
      { name: MEMBER_TEMPLATE, owner: 'member' },
    ],
  }),
  async prepare(ctx) {
    await createLogBucket(ctx.clients, ctx, ownedBucket(ctx));
    await createLogBucket(ctx.clients, ctx, memberBucket(ctx));
  },
  // Settings of existing buckets are changed; nothing is created.
  duplicates: async () => [],
  scenarios: [
    {
      title: 'Log bucket: PutBucketLifecycle adds a rule expiring the access logs after one day',
      minimum: ONE_WRITE('GetBucketLifecycleConfiguration'),
      async tamper(ctx) {
        const bucket = ownedBucket(ctx);
        const rules = [...(await rulesOf(ctx.clients, ctx.region, bucket)), ONE_DAY_RULE];
        await putRules(ctx.clients, ctx.region, bucket, rules);
        return [lifecycleEvent(ctx, bucket, rules)];
      },
      check: ownProblem,
    },
    {
      title: 'Log bucket: PutBucketPolicy denies S3 server access log delivery',
      minimum: ONE_WRITE('GetBucketPolicy'),
      async tamper(ctx) {
        const bucket = ownedBucket(ctx);
        const statements = [...(await statementsOf(ctx.clients, ctx.region, bucket)), denyLoggingStatement(bucket)];
        await putStatements(ctx.clients, ctx.region, bucket, statements);
        return [s3Event(ctx, 'PutBucketPolicy', bucket, { bucketPolicy: { Version: '2012-10-17', Statement: statements } })];
      },
      check: ownProblem,
    },
    {
      title: 'Log bucket: PutBucketVersioning suspends versioning',
      minimum: ONE_WRITE('GetBucketVersioning'),
      async tamper(ctx) {
        const bucket = ownedBucket(ctx);
        const VersioningConfiguration = { Status: 'Suspended' as const };
        await s3(ctx.clients, ctx.region).send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration }));
        return [s3Event(ctx, 'PutBucketVersioning', bucket, { VersioningConfiguration: { xmlns: XMLNS, Status: 'Suspended' } })];
      },
      check: ownProblem,
    },
    {
      title: "Log bucket: logwarden's own PutBucketLifecycle echoed back (no loop)",
      minimum: { calls: 0, why: 'Its own call: recognised from the event alone, nothing to read or write.' },
      expect: ['ignored'],
      async tamper(ctx) {
        const own: Identity = {
          kind: 'assumed-role',
          account: ctx.account,
          roleName: functionRoleName('controller', logBucketRetention.name, ctx.region),
          path: ROLE_PATH,
        };
        return [lifecycleEvent(ctx, ownedBucket(ctx), HEALTHY_RULES, own)];
      },
      check: ownProblem,
    },
  ],
};
