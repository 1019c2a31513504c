import { createHash } from 'node:crypto';
import { ConfigServiceClient, PutConfigRuleCommand } from '@aws-sdk/client-config-service';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { apiCallEvent } from '../../cli/events.js';
import type { DemoContext, DemoGuardrail } from '../core/demo.js';
import { errorCode } from '../core/errors.js';
import { describeFindings, integrityFindings } from './check.js';
import { SAMPLE_NAMES } from './events.js';
import { integrity } from './index.js';
import { type DeploymentManifest, resolveManifest } from './manifest.js';

const PATTERN = { source: ['aws.cloudtrail'], 'detail-type': ['AWS API Call via CloudTrail'] };
const TARGET = 'arn:{partition}:lambda:{region}:{account}:function:logwarden-cloudtrail-controller';

/**
 * The demo function's code: an empty zip archive (its end-of-central-directory record only). The
 * emulator stores and hashes the package without unpacking it; nothing invokes the demo function.
 */
export const DEMO_CODE = Buffer.concat([Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]);
const DEMO_CODE_SHA256 = createHash('sha256').update(DEMO_CODE).digest('base64');
const LAMBDA_TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
const ROLE_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'GuardrailActions', Effect: 'Allow', Action: 'events:DescribeRule', Resource: '*' }],
};

/** The demo deployment's manifest (what `infra/manifest.ts` writes for a real one). */
export const DEMO_MANIFEST: DeploymentManifest = {
  schemaVersion: 1,
  rules: [
    { name: SAMPLE_NAMES.rule, eventPattern: PATTERN, scheduleExpression: null, targets: [{ id: 'controller', arn: TARGET }] },
  ],
  functions: [{ name: SAMPLE_NAMES.function, roleName: SAMPLE_NAMES.role, codeSha256: DEMO_CODE_SHA256 }],
  roles: [
    {
      name: SAMPLE_NAMES.role,
      path: '/logwarden/',
      inlinePolicyNames: ['Logwarden'],
      statementSids: { Logwarden: ['GuardrailActions'] },
    },
  ],
  stateTable: SAMPLE_NAMES.table,
  configRules: [SAMPLE_NAMES.configRule],
  bucketPolicies: [
    {
      bucket: SAMPLE_NAMES.bucket,
      statements: [
        {
          Sid: 'LogwardenS3ServerAccessLogs',
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: `arn:{partition}:s3:::${SAMPLE_NAMES.bucket}/*`,
          Condition: { StringEquals: { 'aws:SourceAccount': '{account}' } },
        },
      ],
    },
  ],
};

const resolved = (ctx: Pick<DemoContext, 'account' | 'region'>) =>
  resolveManifest(DEMO_MANIFEST, { account: ctx.account, region: ctx.region, partition: 'aws' });
const eb = (ctx: DemoContext) => ctx.clients.get(EventBridgeClient, ctx.region);
const event = (ctx: DemoContext, eventSource: string, eventName: string, requestParameters: Record<string, unknown>) =>
  apiCallEvent({ account: ctx.account, region: ctx.region, eventSource, eventName, requestParameters });

async function ignoreCode(code: string, call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (errorCode(error) !== code) throw error;
  }
}

/** The wiring as the deployment made it: rule and targets, table, Config rule, bucket and its statement. */
async function deploy(ctx: DemoContext): Promise<void> {
  const m = resolved(ctx);
  for (const r of m.rules) {
    await eb(ctx).send(new PutRuleCommand({ Name: r.name, EventPattern: JSON.stringify(r.eventPattern), State: 'ENABLED' }));
    await eb(ctx).send(new PutTargetsCommand({ Rule: r.name, Targets: r.targets.map((t) => ({ Id: t.id, Arn: t.arn })) }));
  }
  const table = { TableName: m.stateTable, BillingMode: 'PAY_PER_REQUEST' as const };
  const key = {
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  };
  await ignoreCode(
    'ResourceInUseException',
    ctx.clients.get(DynamoDBClient, ctx.region).send(new CreateTableCommand({ ...table, ...key })),
  );
  for (const name of m.configRules) {
    const rule = { ConfigRuleName: name, Source: { Owner: 'AWS' as const, SourceIdentifier: 'S3_BUCKET_LOGGING_ENABLED' } };
    await ctx.clients.get(ConfigServiceClient, ctx.region).send(new PutConfigRuleCommand({ ConfigRule: rule }));
  }
  await deployFunctions(ctx, m);
  const s3 = ctx.clients.get(S3Client, ctx.region);
  for (const b of m.bucketPolicies) {
    await ignoreCode('BucketAlreadyOwnedByYou', s3.send(new CreateBucketCommand({ Bucket: b.bucket })));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: b.bucket,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: b.statements }),
      }),
    );
  }
}

/** The function and its role as the StackSet makes them: trust in Lambda only, one inline policy. */
async function deployFunctions(ctx: DemoContext, m: DeploymentManifest): Promise<void> {
  const iam = ctx.clients.get(IAMClient, ctx.region);
  for (const r of m.roles) {
    const role = { RoleName: r.name, Path: r.path, AssumeRolePolicyDocument: JSON.stringify(LAMBDA_TRUST) };
    await ignoreCode('EntityAlreadyExists', iam.send(new CreateRoleCommand(role)));
    const PolicyDocument = JSON.stringify(ROLE_POLICY);
    await iam.send(new PutRolePolicyCommand({ RoleName: r.name, PolicyName: 'Logwarden', PolicyDocument }));
  }
  for (const f of m.functions) {
    const role = m.roles.find((r) => r.name === f.roleName);
    const fn = {
      FunctionName: f.name,
      Runtime: 'nodejs22.x' as const,
      Handler: 'index.handler',
      Role: `arn:aws:iam::${ctx.account}:role${role?.path ?? '/'}${f.roleName}`,
      Code: { ZipFile: DEMO_CODE },
    };
    await ignoreCode('ResourceConflictException', ctx.clients.get(LambdaClient, ctx.region).send(new CreateFunctionCommand(fn)));
  }
}

/** Null when the wiring matches the manifest, else the findings (the heartbeat's check). */
async function wiringProblems(ctx: DemoContext): Promise<string | null> {
  const findings = await integrityFindings(resolved(ctx), ctx, ctx.clients);
  return findings.length > 0 ? describeFindings(findings) : null;
}

const RULE = SAMPLE_NAMES.rule;

/** Tampering with logwarden itself: its rule disabled, its target removed, its pattern changed, its bucket statement denied. */
export const demo: DemoGuardrail = {
  guardrail: integrity,
  policySection: () => ({ mode: 'remediate', manifest: DEMO_MANIFEST }),
  prepare: deploy,
  async duplicates(ctx) {
    const targets = (await eb(ctx).send(new ListTargetsByRuleCommand({ Rule: RULE }))).Targets ?? [];
    return targets.length > 1 ? [`${targets.length} targets on ${RULE}`] : [];
  },
  scenarios: [
    // First: the fault suite denies this scenario's write (S3) to prove a refused write fails once.
    {
      title: 'Integrity: PutBucketPolicy denies S3 log delivery to the access-log bucket',
      minimum: { calls: 3, why: 'GetBucketPolicy, PutBucketPolicy, GetBucketPolicy (verify).' },
      async tamper(ctx) {
        const bucket = resolved(ctx).bucketPolicies[0]?.bucket ?? '';
        const s3 = ctx.clients.get(S3Client, ctx.region);
        const current = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? '{}');
        const deny = {
          Sid: 'Quiet',
          Effect: 'Deny',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${bucket}/*`,
        };
        const Policy = JSON.stringify({ ...current, Statement: [...current.Statement, deny] });
        await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy }));
        return [
          event(ctx, 's3.amazonaws.com', 'PutBucketPolicy', {
            bucketName: bucket,
            Host: `${bucket}.s3.amazonaws.com`,
            policy: '',
          }),
        ];
      },
      check: wiringProblems,
    },
    {
      title: 'Integrity: DisableRule on a logwarden rule',
      minimum: { calls: 5, why: 'DescribeRule and ListTargetsByRule, EnableRule, both again (verify).' },
      async tamper(ctx) {
        await eb(ctx).send(new DisableRuleCommand({ Name: RULE }));
        return [event(ctx, 'events.amazonaws.com', 'DisableRule', { name: RULE })];
      },
      check: wiringProblems,
    },
    {
      title: "Integrity: RemoveTargets takes the controller off logwarden's rule",
      minimum: { calls: 5, why: 'DescribeRule and ListTargetsByRule, PutTargets, both again (verify).' },
      async tamper(ctx) {
        await eb(ctx).send(new RemoveTargetsCommand({ Rule: RULE, Ids: ['controller'] }));
        return [event(ctx, 'events.amazonaws.com', 'RemoveTargets', { rule: RULE, ids: ['controller'] })];
      },
      check: wiringProblems,
    },
    {
      title: "Integrity: PutRule changes logwarden's pattern to match nothing",
      minimum: { calls: 5, why: 'DescribeRule and ListTargetsByRule, PutRule, both again (verify).' },
      async tamper(ctx) {
        const { Description } = await eb(ctx).send(new DescribeRuleCommand({ Name: RULE }));
        const EventPattern = '{"source":["aws.nothing"]}';
        await eb(ctx).send(new PutRuleCommand({ Name: RULE, EventPattern, Description }));
        return [event(ctx, 'events.amazonaws.com', 'PutRule', { name: RULE, eventPattern: EventPattern })];
      },
      check: wiringProblems,
    },
  ],
};
