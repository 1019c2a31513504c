import { ConfigServiceClient, DescribeConfigRulesCommand } from '@aws-sdk/client-config-service';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, EnableRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { GetFunctionCommand, GetFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiCallEvent, sweepEvent } from '../../cli/events.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { integrityFindings } from '../../controllers/integrity/check.js';
import { DEMO_MANIFEST } from '../../controllers/integrity/demo.js';
import { integrity } from '../../controllers/integrity/index.js';
import { resolveManifest } from '../../controllers/integrity/manifest.js';
import { ACCOUNT, CREDENTIALS, quietLogger, REGION } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

// Paths the emulator (moto 5.2.5) does not produce: a refused write (AccessDenied from an SCP or a
// changed role), a rule whose pattern is not JSON, a paginated target list, a read refused to the
// heartbeat, and a deployment whose code package lacks deployment.json.

const eb = mockClient(EventBridgeClient);
const ddb = mockClient(DynamoDBClient);
const cfg = mockClient(ConfigServiceClient);
const s3 = mockClient(S3Client);
const lambda = mockClient(LambdaClient);
const iam = mockClient(IAMClient);
const M = resolveManifest(DEMO_MANIFEST, { account: ACCOUNT, region: REGION, partition: 'aws' });
const RULE = M.rules[0];
const BUCKET = M.bucketPolicies[0];
const FN = M.functions[0];
const ROLE = M.roles[0];
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/logwarden/${ROLE?.name}`;
const ROLE_BASE = { RoleName: ROLE?.name ?? '', Path: '/logwarden/', Arn: ROLE_ARN, RoleId: 'r', CreateDate: new Date(0) };
const TRUST = { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
const POLICY = { Statement: [{ Sid: 'GuardrailActions', Effect: 'Allow', Action: '*', Resource: '*' }] };
const clients = () => new AwsClients({ credentials: CREDENTIALS, maxAttempts: 1 });
const sdkError = (name: string) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 400 } });

function controller(section: Record<string, unknown> = { mode: 'remediate', manifest: DEMO_MANIFEST }) {
  return new Controller({
    guardrails: [integrity],
    policy: parsePolicy(policyWith({ integrity: section }), [integrity]),
    account: ACCOUNT,
    clients: clients(),
    logger: quietLogger(),
  });
}
const disableRule = () =>
  apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource: 'events.amazonaws.com',
    eventName: 'DisableRule',
    requestParameters: { name: RULE?.name },
  });

/** Everything as deployed, unless a test says otherwise. */
function deployed() {
  eb.on(DescribeRuleCommand).resolves({ State: 'ENABLED', EventPattern: JSON.stringify(RULE?.eventPattern) });
  eb.on(ListTargetsByRuleCommand).resolves({ Targets: RULE?.targets.map((t) => ({ Id: t.id, Arn: t.arn })) });
  ddb.on(DescribeTableCommand).resolves({ Table: { TableName: M.stateTable } });
  cfg
    .on(DescribeConfigRulesCommand)
    .resolves({ ConfigRules: M.configRules.map((ConfigRuleName) => ({ ConfigRuleName, Source: undefined })) });
  s3.on(GetBucketPolicyCommand).resolves({ Policy: JSON.stringify({ Statement: BUCKET?.statements }) });
  lambda.on(GetFunctionCommand).resolves({ Configuration: { CodeSha256: FN?.codeSha256 ?? '', Role: ROLE_ARN } });
  lambda.on(GetFunctionConcurrencyCommand).resolves({});
  iam.on(GetRoleCommand).resolves({
    Role: { ...ROLE_BASE, AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(TRUST)) },
  });
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['Logwarden'], IsTruncated: false });
  iam
    .on(GetRolePolicyCommand)
    .resolves({ RoleName: ROLE?.name, PolicyName: 'Logwarden', PolicyDocument: encodeURIComponent(JSON.stringify(POLICY)) });
  iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [], IsTruncated: false });
}

beforeEach(() => {
  for (const m of [eb, ddb, cfg, s3, lambda, iam]) m.reset();
  deployed();
});

describe('integrity I/O paths the emulator lacks', () => {
  it('EnableRule refused (AccessDeniedException) → failed, not retryable, naming the runbook', async () => {
    eb.on(DescribeRuleCommand).resolves({ State: 'DISABLED', EventPattern: JSON.stringify(RULE?.eventPattern) });
    eb.on(EnableRuleCommand).rejects(sdkError('AccessDeniedException'));
    const [record] = await controller().handleEvents([disableRule()]);
    expect(record).toMatchObject({ outcome: 'failed', retryable: false, actions: [{ api: 'events:EnableRule', ok: false }] });
    expect(record?.reason).toMatch(/runbooks\/integrity.md/);
    expect(eb.commandCalls(EnableRuleCommand)).toHaveLength(1);
  });

  it('a pattern that is not JSON is drift, not a crash; the targets are read across pages', async () => {
    eb.on(DescribeRuleCommand).resolves({ State: 'ENABLED', EventPattern: 'not json' });
    eb.on(ListTargetsByRuleCommand)
      .resolvesOnce({ Targets: [{ Id: 'other', Arn: 'x' }], NextToken: 'p2' })
      .resolvesOnce({ Targets: RULE?.targets.map((t) => ({ Id: t.id, Arn: t.arn })) });
    const findings = await integrityFindings(M, { account: ACCOUNT, region: REGION }, clients());
    expect(findings.map((f) => [f.ref.id, f.drift.map((d) => d.property)])).toEqual([[RULE?.name, ['rule.eventPattern']]]);
    expect(eb.commandCalls(ListTargetsByRuleCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'p2']);
  });

  it('the heartbeat fails closed: a read refused is a finding naming the resource', async () => {
    ddb.on(DescribeTableCommand).rejects(sdkError('AccessDeniedException'));
    const findings = await integrityFindings(M, { account: ACCOUNT, region: REGION }, clients());
    expect(findings).toMatchObject([{ ref: { id: M.stateTable }, error: 'cannot be read: AccessDeniedException' }]);
  });

  it('a missing table, Config rule or bucket is read as gone, not as an error', async () => {
    ddb.on(DescribeTableCommand).rejects(sdkError('ResourceNotFoundException'));
    cfg.on(DescribeConfigRulesCommand).rejects(sdkError('NoSuchConfigRuleException'));
    s3.on(GetBucketPolicyCommand).rejects(sdkError('NoSuchBucket'));
    const findings = await integrityFindings(M, { account: ACCOUNT, region: REGION }, clients());
    expect(findings.map((f) => f.drift.map((d) => d.property))).toEqual([
      ['stateTable.exists'],
      ['configRule.exists'],
      ['bucketPolicy.bucketExists'],
    ]);
  });

  it('inline policies are listed across pages; an Allow-less statement in Logwarden is a finding', async () => {
    iam
      .on(ListRolePoliciesCommand)
      .resolvesOnce({ PolicyNames: ['Logwarden'], IsTruncated: true, Marker: 'm2' })
      .resolvesOnce({ PolicyNames: ['Extra'], IsTruncated: false });
    const denied = { Statement: [...POLICY.Statement, { Sid: 'Quiet', Effect: 'Deny', Action: '*', Resource: '*' }] };
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent(JSON.stringify(denied)) });
    const findings = await integrityFindings(M, { account: ACCOUNT, region: REGION }, clients());
    expect(findings.map((f) => [f.ref.id, f.drift.map((d) => d.property)])).toEqual([
      [ROLE?.name, ['role.inlinePolicies', 'role.policy.Logwarden.sids', 'role.policy.Logwarden.deny']],
    ]);
    expect(iam.commandCalls(ListRolePoliciesCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined, 'm2']);
  });

  it('a deleted function or role is read as gone; a refused Lambda read is a finding', async () => {
    lambda.on(GetFunctionCommand).rejects(sdkError('ResourceNotFoundException'));
    iam.on(GetRoleCommand).rejects(sdkError('NoSuchEntity'));
    const gone = await integrityFindings(M, { account: ACCOUNT, region: REGION }, clients());
    expect(gone.map((f) => f.drift.map((d) => d.property))).toEqual([['function.exists'], ['role.exists']]);
    lambda.on(GetFunctionCommand).rejects(sdkError('AccessDeniedException'));
    const refused = await integrityFindings(M, { account: ACCOUNT, region: REGION }, clients());
    expect(refused).toMatchObject([
      { ref: { id: FN?.name }, error: 'cannot be read: AccessDeniedException' },
      { ref: { id: ROLE?.name } },
    ]);
  });

  it('no manifest in the policy and no deployment.json → a failed record naming the file, never a crash', async () => {
    process.env.LOGWARDEN_MANIFEST_FILE = '/nonexistent/deployment.json';
    try {
      const records = await controller({ mode: 'remediate' }).handleEvents([
        sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'integrity' }),
      ]);
      expect(records).toMatchObject([{ outcome: 'failed' }]);
      expect(records[0]?.reason).toMatch(/deployment.json/);
    } finally {
      delete process.env.LOGWARDEN_MANIFEST_FILE;
    }
  });
});
