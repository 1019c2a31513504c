import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigServiceClient, DeleteConfigRuleCommand } from '@aws-sdk/client-config-service';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  DeleteFunctionCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiCallEvent, sweepEvent } from '../../cli/events.js';
import { EventBridgeAuditPublisher } from '../../controllers/core/audit.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { beat } from '../../controllers/heartbeat/index.js';
import { DEMO_MANIFEST, demo } from '../../controllers/integrity/demo.js';
import { integrity } from '../../controllers/integrity/index.js';
import { MANIFEST_FILE, resolveManifest } from '../../controllers/integrity/manifest.js';
import { bundle } from '../../infra/bundle.js';
import { invokeBundle } from '../helpers/bundled-handler.js';
import { ACCOUNT, createAuditBus, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import { type Harness, harness } from '../helpers/harness.js';
import { policyWith } from '../helpers/policy.js';

const emu = useEmulator();
const M = resolveManifest(DEMO_MANIFEST, { account: ACCOUNT, region: REGION, partition: 'aws' });
const RULE = M.rules[0]?.name ?? '';
const BUCKET = M.bucketPolicies[0]?.bucket ?? '';
const FUNCTION = M.functions[0]?.name ?? '';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION}`;
const ROLE = M.roles[0]?.name ?? '';
const declared = [...integrity.iamActions, ...(integrity.scopedPermissions?.({} as never) ?? []).flatMap((s) => s.actions)];
const lambda = () => emu.clients().get(LambdaClient, REGION);
const iam = () => emu.clients().get(IAMClient, REGION);
const eb = () => emu.clients().get(EventBridgeClient, REGION);
const s3 = () => emu.clients().get(S3Client, REGION);
const ctx = () => ({ account: ACCOUNT, region: REGION, clients: emu.clients() });
const event = (eventSource: string, eventName: string, requestParameters: Record<string, unknown>, identity?: unknown) =>
  apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource,
    eventName,
    requestParameters,
    ...(identity ? { identity } : {}),
  } as never);

async function readRule() {
  const r = await eb().send(new DescribeRuleCommand({ Name: RULE }));
  const targets = (await eb().send(new ListTargetsByRuleCommand({ Rule: RULE }))).Targets ?? [];
  return { state: r.State, pattern: JSON.parse(r.EventPattern ?? 'null'), targets: targets.map((t) => [t.Id, t.Arn]) };
}
const DEPLOYED_RULE = {
  state: 'ENABLED',
  pattern: M.rules[0]?.eventPattern,
  targets: M.rules[0]?.targets.map((t) => [t.id, t.arn]),
};

describe('integrity guardrail on the emulator', () => {
  let h: Harness;
  beforeEach(async () => {
    await demo.prepare(ctx());
    h = await harness(emu, [integrity], { integrity: { mode: 'remediate', manifest: DEMO_MANIFEST } });
  });

  it('a sweep of the deployed wiring is compliant for every manifest resource', async () => {
    const records = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'integrity' }));
    expect(records.map((r) => [r.resource.type, r.outcome])).toEqual([
      ['AWS::Events::Rule', 'compliant'],
      ['AWS::DynamoDB::Table', 'compliant'],
      ['AWS::Config::ConfigRule', 'compliant'],
      ['AWS::S3::BucketPolicy', 'compliant'],
      ['AWS::Lambda::Function', 'compliant'],
      ['AWS::IAM::Role', 'compliant'],
    ]);
  });

  it('PutFunctionConcurrency 0 → DeleteFunctionConcurrency, read back unreserved', async () => {
    await lambda().send(new PutFunctionConcurrencyCommand({ FunctionName: FUNCTION, ReservedConcurrentExecutions: 0 }));
    const records = await h.deliver(
      event('lambda.amazonaws.com', 'PutFunctionConcurrency20171031', {
        functionName: FUNCTION,
        reservedConcurrentExecutions: 0,
      }),
    );
    const after = await lambda().send(new GetFunctionConcurrencyCommand({ FunctionName: FUNCTION }));
    expect(after.ReservedConcurrentExecutions).toBeUndefined();
    expect(records).toMatchObject([
      { outcome: 'remediated', verified: true, actions: [{ api: 'lambda:DeleteFunctionConcurrency', ok: true }] },
    ]);
    expect((await h.audit.drain()).map((r) => [r.resource.id, r.outcome])).toEqual([[FUNCTION, 'remediated']]);
    expect(h.calls.filter((c) => c !== 'events:PutEvents').every((c) => declared.includes(c))).toBe(true);
  });

  it('an added inline policy with a Deny → DeleteRolePolicy; Logwarden kept', async () => {
    const deny = { Version: '2012-10-17', Statement: [{ Sid: 'Quiet', Effect: 'Deny', Action: '*', Resource: '*' }] };
    await iam().send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: 'Quiet', PolicyDocument: JSON.stringify(deny) }));
    const records = await h.deliver(event('iam.amazonaws.com', 'PutRolePolicy', { roleName: ROLE, policyName: 'Quiet' }));
    expect((await iam().send(new ListRolePoliciesCommand({ RoleName: ROLE }))).PolicyNames).toEqual(['Logwarden']);
    expect(records).toMatchObject([
      { outcome: 'remediated', verified: true, actions: [{ api: 'iam:DeleteRolePolicy', ok: true }] },
    ]);
    expect(h.calls.filter((c) => c !== 'events:PutEvents').every((c) => declared.includes(c))).toBe(true);
  });

  it('an attached managed policy → DetachRolePolicy', async () => {
    const { Policy } = await iam().send(
      new CreatePolicyCommand({
        PolicyName: 'DenyAll',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }),
      }),
    );
    await iam().send(new AttachRolePolicyCommand({ RoleName: ROLE, PolicyArn: Policy?.Arn }));
    const records = await h.deliver(event('iam.amazonaws.com', 'AttachRolePolicy', { roleName: ROLE, policyArn: Policy?.Arn }));
    expect((await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: ROLE }))).AttachedPolicies).toEqual([]);
    expect(records).toMatchObject([{ outcome: 'remediated', verified: true, actions: [{ api: 'iam:DetachRolePolicy' }] }]);
  });

  it('changed code (UpdateFunctionCode) → failed naming CodeSha256, not retryable, with the runbook', async () => {
    await lambda().send(new UpdateFunctionCodeCommand({ FunctionName: FUNCTION, ZipFile: Buffer.from('not the deployed code') }));
    const records = await h.deliver(
      event('lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', { functionName: FUNCTION_ARN }),
    );
    expect(records).toMatchObject([
      {
        outcome: 'failed',
        retryable: false,
        actions: [],
        runbook: 'runbooks/integrity.md',
        drift: [{ property: 'function.codeSha256' }],
      },
    ]);
    expect(records[0]?.reason).toMatch(/function\.codeSha256.*redeploy the StackSet/);
  });

  it('a permissions boundary → DeleteRolePermissionsBoundary, read back without one', async () => {
    const boundary = 'arn:aws:iam::aws:policy/AWSDenyAll';
    await iam().send(new PutRolePermissionsBoundaryCommand({ RoleName: ROLE, PermissionsBoundary: boundary }));
    const records = await h.deliver(
      event('iam.amazonaws.com', 'PutRolePermissionsBoundary', { roleName: ROLE, permissionsBoundary: boundary }),
    );
    expect((await iam().send(new GetRoleCommand({ RoleName: ROLE }))).Role?.PermissionsBoundary).toBeUndefined();
    expect(records).toMatchObject([
      { outcome: 'remediated', verified: true, actions: [{ api: 'iam:DeleteRolePermissionsBoundary' }] },
    ]);
  });

  it('a trust policy opened to another principal, or the Logwarden policy deleted → failed with the runbook', async () => {
    const trust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }],
    };
    await iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: ROLE, PolicyDocument: JSON.stringify(trust) }));
    await iam().send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'Logwarden' }));
    const records = await h.deliver(event('iam.amazonaws.com', 'UpdateAssumeRolePolicy', { roleName: ROLE }));
    expect(records).toMatchObject([{ outcome: 'failed', retryable: false, actions: [], runbook: 'runbooks/integrity.md' }]);
    expect(records[0]?.drift.map((d) => d.property)).toEqual(['role.policy.Logwarden.exists', 'role.trustPolicy']);
  });

  it('DeleteFunction → failed: only the StackSet brings it back', async () => {
    await lambda().send(new DeleteFunctionCommand({ FunctionName: FUNCTION }));
    const records = await h.deliver(event('lambda.amazonaws.com', 'DeleteFunction20150331', { functionName: FUNCTION }));
    expect(records).toMatchObject([{ outcome: 'failed', retryable: false, drift: [{ property: 'function.exists' }] }]);
    expect(records[0]?.reason).toMatch(/function was deleted: redeploy the StackSet/);
  });

  it("in us-east-1, an IAM event on another region's role is acted on there (IAM events reach us-east-1 only)", async () => {
    await demo.prepare({ ...ctx(), region: 'eu-west-1' });
    const other = ROLE.replace(REGION, 'eu-west-1');
    const document = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
    const { Policy } = await iam().send(new CreatePolicyCommand({ PolicyName: 'DenyAll', PolicyDocument: document }));
    await iam().send(new AttachRolePolicyCommand({ RoleName: other, PolicyArn: Policy?.Arn }));
    const records = await h.deliver(event('iam.amazonaws.com', 'AttachRolePolicy', { roleName: other }));
    expect((await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: other }))).AttachedPolicies).toEqual([]);
    expect(records.map((r) => [r.region, r.resource.id, r.outcome])).toEqual([['eu-west-1', other, 'remediated']]);
  });

  it("a function and a role that are not logwarden's are ignored with the reason", async () => {
    const fn = await h.deliver(event('lambda.amazonaws.com', 'DeleteFunction20150331', { functionName: 'theirs' }));
    const role = await h.deliver(event('iam.amazonaws.com', 'PutRolePolicy', { roleName: `${ROLE}-copy` }));
    expect([...fn, ...role].map((r) => [r.outcome, /not logwarden's/.test(r.reason)])).toEqual([
      ['ignored', true],
      ['ignored', true],
    ]);
  });

  it('DisableRule → EnableRule, read back enabled, record on the bus', async () => {
    await eb().send(new DisableRuleCommand({ Name: RULE }));
    const records = await h.deliver(event('events.amazonaws.com', 'DisableRule', { name: RULE }));
    expect(await readRule()).toEqual(DEPLOYED_RULE);
    expect(records).toMatchObject([{ outcome: 'remediated', verified: true, actions: [{ api: 'events:EnableRule', ok: true }] }]);
    const onBus = await h.audit.drain();
    expect(onBus.map((r) => [r.id, r.outcome, r.resource.id])).toEqual([[records[0]?.id, 'remediated', RULE]]);
    expect(h.calls.filter((c) => c !== 'events:PutEvents').every((c) => integrity.iamActions.includes(c))).toBe(true);
  });

  it('RemoveTargets → PutTargets puts the controller back', async () => {
    await eb().send(new RemoveTargetsCommand({ Rule: RULE, Ids: ['controller'] }));
    const records = await h.deliver(event('events.amazonaws.com', 'RemoveTargets', { rule: RULE, ids: ['controller'] }));
    expect(await readRule()).toEqual(DEPLOYED_RULE);
    expect(records).toMatchObject([{ outcome: 'remediated', actions: [{ api: 'events:PutTargets', ok: true }] }]);
    expect((await h.audit.drain()).map((r) => r.outcome)).toEqual(['remediated']);
  });

  it('a changed and disabled pattern → PutRule restores both, keeping the description', async () => {
    await eb().send(
      new PutRuleCommand({ Name: RULE, EventPattern: '{"source":["aws.nothing"]}', State: 'DISABLED', Description: 'mine' }),
    );
    const records = await h.deliver(event('events.amazonaws.com', 'PutRule', { name: RULE }));
    expect(await readRule()).toEqual(DEPLOYED_RULE);
    expect((await eb().send(new DescribeRuleCommand({ Name: RULE }))).Description).toBe('mine');
    expect(records).toMatchObject([{ outcome: 'remediated', actions: [{ api: 'events:PutRule', ok: true }] }]);
    expect((await h.audit.drain()).map((r) => r.outcome)).toEqual(['remediated']);
  });

  it('a Deny of S3 log delivery is removed and the declared statement merged back; other statements kept', async () => {
    const other = {
      Sid: 'Theirs',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    };
    const deny = {
      Sid: 'Quiet',
      Effect: 'Deny',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    };
    await s3().send(
      new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [other, deny] }) }),
    );
    const records = await h.deliver(event('s3.amazonaws.com', 'PutBucketPolicy', { bucketName: BUCKET }));
    const after = JSON.parse((await s3().send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy ?? '{}');
    expect(after.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['Theirs', 'LogwardenS3ServerAccessLogs']);
    expect(records).toMatchObject([{ outcome: 'remediated', verified: true }]);
  });

  it('DeleteRule (targets removed first, as EventBridge requires) → the rule recreated with its pattern and targets', async () => {
    await eb().send(new RemoveTargetsCommand({ Rule: RULE, Ids: ['controller'] }));
    await eb().send(new DeleteRuleCommand({ Name: RULE }));
    const records = await h.deliver(event('events.amazonaws.com', 'DeleteRule', { name: RULE }));
    expect(await readRule()).toEqual(DEPLOYED_RULE);
    expect(records).toMatchObject([
      { outcome: 'remediated', verified: true, actions: [{ api: 'events:PutRule' }, { api: 'events:PutTargets' }] },
    ]);
  });

  it('DeleteConfigRule → failed with the runbook: only a redeployment brings it back', async () => {
    await emu
      .clients()
      .get(ConfigServiceClient, REGION)
      .send(new DeleteConfigRuleCommand({ ConfigRuleName: M.configRules[0] }));
    const records = await h.deliver(event('config.amazonaws.com', 'DeleteConfigRule', { configRuleName: M.configRules[0] }));
    expect(records).toMatchObject([{ outcome: 'failed', retryable: false, drift: [{ property: 'configRule.exists' }] }]);
    expect((await h.audit.drain()).map((r) => r.outcome)).toEqual(['failed']);
  });

  it('DeleteTable → failed, not retryable, with the runbook (report-only)', async () => {
    await emu
      .clients()
      .get(DynamoDBClient, REGION)
      .send(new DeleteTableCommand({ TableName: M.stateTable }));
    const records = await h.deliver(event('dynamodb.amazonaws.com', 'DeleteTable', { tableName: M.stateTable }));
    expect(records).toMatchObject([{ outcome: 'failed', retryable: false, actions: [], runbook: 'runbooks/integrity.md' }]);
    expect(records[0]?.reason).toMatch(/redeploy the StackSet/);
  });

  it("a rule that is not logwarden's, and a StackSets deployment, are ignored with the reason", async () => {
    const notOurs = await h.deliver(event('events.amazonaws.com', 'DisableRule', { name: 'someone-elses-rule' }));
    expect(notOurs).toMatchObject([{ outcome: 'ignored' }]);
    expect(notOurs[0]?.reason).toMatch(/not logwarden's/);
    const stackSets = { kind: 'assumed-role', account: ACCOUNT, roleName: `stacksets-exec-${'a'.repeat(32)}` };
    const deploy = await h.deliver(event('events.amazonaws.com', 'PutRule', { name: RULE }, stackSets));
    expect(deploy).toMatchObject([{ outcome: 'ignored' }]);
    expect(deploy[0]?.reason).toMatch(/StackSets execution role/);
  });
});

describe('heartbeat health check on the emulator', () => {
  it('a disabled rule makes the beat failed, naming the rule; the wiring as deployed is compliant', async () => {
    await demo.prepare(ctx());
    const audit = await createAuditBus(emu.clients());
    const clients = emu.clients();
    const sink = new EventBridgeAuditPublisher({ clients, eventBus: 'logwarden-audit', region: REGION, logger: quietLogger() });
    const options = {
      policy: parsePolicy(policyWith({}), []),
      account: ACCOUNT,
      region: REGION,
      sink,
      integrity: { manifest: DEMO_MANIFEST, clients },
    };
    const healthy = await beat(sweepEvent({ account: ACCOUNT, region: REGION }), options);
    expect(healthy.outcome).toBe('compliant');

    await eb().send(new DisableRuleCommand({ Name: RULE }));
    const sick = await beat(sweepEvent({ account: ACCOUNT, region: REGION }), options);
    expect(sick.outcome).toBe('failed');
    expect(sick.reason).toContain(`AWS::Events::Rule ${RULE}: rule.state`);
    expect(sick.drift).toEqual([{ property: `AWS::Events::Rule ${RULE}: rule.state`, observed: 'DISABLED', desired: 'ENABLED' }]);
    expect((await audit.drain()).map((r) => r.outcome)).toEqual(['compliant', 'failed']);
  });

  it('zero reserved concurrency on a function makes the beat failed, naming the function', async () => {
    await demo.prepare(ctx());
    const clients = emu.clients();
    await createAuditBus(clients);
    const sink = new EventBridgeAuditPublisher({ clients, eventBus: 'logwarden-audit', region: REGION, logger: quietLogger() });
    const options = { policy: parsePolicy(policyWith({}), []), account: ACCOUNT, region: REGION, sink };
    await lambda().send(new PutFunctionConcurrencyCommand({ FunctionName: FUNCTION, ReservedConcurrentExecutions: 0 }));
    const sick = await beat(sweepEvent({ account: ACCOUNT, region: REGION }), {
      ...options,
      integrity: { manifest: DEMO_MANIFEST, clients },
    });
    expect(sick.outcome).toBe('failed');
    expect(sick.drift).toEqual([
      { property: `AWS::Lambda::Function ${FUNCTION}: function.reservedConcurrency`, observed: 0, desired: null },
    ]);
  });
});

describe('the integrity controller bundle', () => {
  it('runs as the Lambda would: reads deployment.json next to the code and restores a disabled rule', async () => {
    await demo.prepare(ctx());
    const audit = await createAuditBus(emu.clients());
    const b = bundle(
      { kind: 'controller', guardrail: 'integrity' },
      JSON.stringify(policyWith({ integrity: { mode: 'remediate' } })),
    );
    writeFileSync(join(b.dir, MANIFEST_FILE), JSON.stringify(DEMO_MANIFEST));
    await eb().send(new DisableRuleCommand({ Name: RULE }));
    const out = await invokeBundle<{ outcomes: Record<string, number> }>(
      b.dir,
      emu.endpoint,
      event('events.amazonaws.com', 'DisableRule', { name: RULE }),
    );
    expect(out.outcomes).toEqual({ remediated: 1 });
    expect((await readRule()).state).toBe('ENABLED');
    expect((await audit.drain()).map((r) => [r.guardrail, r.resource.id, r.outcome])).toEqual([
      ['integrity', RULE, 'remediated'],
    ]);
  });
});
