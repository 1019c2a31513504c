import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../controllers/core/errors.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import type { CloudTrailDetail } from '../../controllers/core/types.js';
import { heartbeatRecord } from '../../controllers/heartbeat/index.js';
import { describeFindings } from '../../controllers/integrity/check.js';
import {
  deniesLogDelivery,
  desiredOf,
  diffIntegrity,
  type IntegrityState,
  mergedStatements,
  planIntegrity,
  type RuleState,
  sameJson,
  unrestorableReason,
} from '../../controllers/integrity/diff.js';
import { manifestRefs, partitionOf, refFromResourceId, refsFromEvent } from '../../controllers/integrity/events.js';
import { integrity } from '../../controllers/integrity/index.js';
import { type DeploymentManifest, resolveManifest } from '../../controllers/integrity/manifest.js';
import { manifestFor } from '../../controllers/integrity/source.js';
import { policyWith } from '../helpers/policy.js';

const WHERE = { account: '111122223333', region: 'eu-west-1' };
const TARGET = 'arn:{partition}:lambda:{region}:{account}:function:logwarden-cloudtrail-controller';
const MANIFEST: DeploymentManifest = {
  schemaVersion: 1,
  rules: [
    {
      name: 'lw-events',
      eventPattern: { source: ['aws.cloudtrail'], detail: { eventName: ['StopLogging'] } },
      scheduleExpression: null,
      targets: [{ id: 'controller', arn: TARGET }],
    },
    {
      name: 'lw-sweep',
      eventPattern: null,
      scheduleExpression: 'rate(15 minutes)',
      targets: [{ id: 'controller', arn: TARGET }],
    },
  ],
  functions: [],
  roles: [],
  stateTable: 'lw-state',
  configRules: ['lw-config-rule'],
  bucketPolicies: [
    {
      bucket: 'lw-logs-{account}',
      statements: [
        {
          Sid: 'LwLogs',
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: 'arn:{partition}:s3:::lw-logs-{account}/*',
        },
      ],
    },
  ],
};
const M = resolveManifest(MANIFEST, { ...WHERE, partition: 'aws' });
const ARN = `arn:aws:lambda:eu-west-1:111122223333:function:logwarden-cloudtrail-controller`;
const [EVENTS_RULE, SWEEP_RULE] = M.rules as [NonNullable<(typeof M.rules)[0]>, NonNullable<(typeof M.rules)[0]>];

const detail = (eventName: string, requestParameters: Record<string, unknown> | null, issuer?: string): CloudTrailDetail => ({
  eventName,
  eventSource: 'events.amazonaws.com',
  eventID: 'e-1',
  awsRegion: WHERE.region,
  recipientAccountId: WHERE.account,
  errorCode: null,
  userIdentity: issuer ? { type: 'AssumedRole', sessionContext: { sessionIssuer: { arn: issuer } } } : null,
  requestParameters,
  responseElements: null,
});

const rule = (over: Partial<RuleState> = {}): RuleState => ({
  state: 'ENABLED',
  eventPattern: { detail: { eventName: ['StopLogging'] }, source: ['aws.cloudtrail'] },
  scheduleExpression: null,
  description: 'logwarden',
  targets: [{ id: 'controller', arn: ARN }],
  ...over,
});
const ruleState = (r: RuleState | null): IntegrityState => ({ kind: 'rule', rule: r });
const refOf = (type: string, id: string) =>
  manifestRefs(M, WHERE).find((r) => r.type === type && r.id === id) ??
  (() => {
    throw new Error(id);
  })();
const desiredRule = desiredOf(refOf('AWS::Events::Rule', 'lw-events'), M);

describe('manifest resolution', () => {
  it('fills account, region and partition everywhere, keys included', () => {
    expect(EVENTS_RULE.targets[0]?.arn).toBe(ARN);
    expect(M.bucketPolicies[0]?.bucket).toBe('lw-logs-111122223333');
    expect(M.bucketPolicies[0]?.statements[0]?.Resource).toBe('arn:aws:s3:::lw-logs-111122223333/*');
  });

  it('the partition follows the region', () => {
    expect([partitionOf('eu-west-1'), partitionOf('cn-north-1'), partitionOf('us-gov-west-1')]).toEqual([
      'aws',
      'aws-cn',
      'aws-us-gov',
    ]);
  });

  it("takes the policy's manifest when given, else deployment.json next to the code (a missing file names it)", () => {
    expect(manifestFor({ manifest: MANIFEST }, WHERE).stateTable).toBe('lw-state');
    const dir = mkdtempSync(join(tmpdir(), 'lw-manifest-'));
    process.env.LOGWARDEN_MANIFEST_FILE = join(dir, 'deployment.json');
    try {
      expect(() => manifestFor({}, WHERE)).toThrow(ConfigError);
      writeFileSync(join(dir, 'deployment.json'), JSON.stringify(MANIFEST));
      expect(manifestFor({}, WHERE).bucketPolicies[0]?.bucket).toBe('lw-logs-111122223333');
    } finally {
      delete process.env.LOGWARDEN_MANIFEST_FILE;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the policy section accepts a manifest and rejects unknown fields', () => {
    const ok = parsePolicy(policyWith({ integrity: { mode: 'notify', manifest: MANIFEST } }), [integrity]);
    expect((ok.guardrails.integrity as { manifest: DeploymentManifest }).manifest.stateTable).toBe('lw-state');
    expect(() => parsePolicy(policyWith({ integrity: { mode: 'remediate', manifests: [] } }), [integrity])).toThrow(/manifests/);
  });
});

describe('events → refs', () => {
  it('maps each event to the declared resource, a rule ARN to its name', () => {
    expect(refsFromEvent(detail('DisableRule', { name: 'lw-events' }), M, WHERE)).toMatchObject({
      refs: [{ type: 'AWS::Events::Rule', id: 'lw-events' }],
    });
    expect(
      refsFromEvent(
        detail('RemoveTargets', { rule: 'arn:aws:events:eu-west-1:111122223333:rule/lw-sweep', ids: ['controller'] }),
        M,
        WHERE,
      ),
    ).toMatchObject({ refs: [{ id: 'lw-sweep' }] });
    expect(refsFromEvent(detail('DeleteTable', { tableName: 'lw-state' }), M, WHERE)).toMatchObject({
      refs: [{ type: 'AWS::DynamoDB::Table' }],
    });
    expect(refsFromEvent(detail('PutConfigRule', { configRule: { configRuleName: 'lw-config-rule' } }), M, WHERE)).toMatchObject({
      refs: [{ type: 'AWS::Config::ConfigRule' }],
    });
    expect(refsFromEvent(detail('DeleteBucketPolicy', { bucketName: 'lw-logs-111122223333' }), M, WHERE)).toMatchObject({
      refs: [{ type: 'AWS::S3::BucketPolicy', arn: 'arn:aws:s3:::lw-logs-111122223333' }],
    });
  });

  it("a resource the manifest does not declare is not logwarden's: ignored with the reason", () => {
    const r = refsFromEvent(detail('DisableRule', { name: 'their-rule' }), M, WHERE);
    expect(r).toMatchObject({ ignore: expect.stringMatching(/their-rule is not logwarden's/) });
    expect(refsFromEvent(detail('DeleteTable', { tableName: 'lw-state-copy' }), M, WHERE)).toHaveProperty('ignore');
  });

  it("a rule of the same name on another bus is not logwarden's", () => {
    expect(refsFromEvent(detail('DisableRule', { name: 'lw-events', eventBusName: 'custom' }), M, WHERE)).toHaveProperty(
      'ignore',
    );
    expect(refsFromEvent(detail('DisableRule', { name: 'lw-events', eventBusName: 'default' }), M, WHERE)).toHaveProperty('refs');
  });

  it('the StackSets execution role of the account deploys: ignored; a look-alike name or another account is not it', () => {
    const exec = `arn:aws:iam::111122223333:role/stacksets-exec-${'0a'.repeat(16)}`;
    expect(refsFromEvent(detail('PutRule', { name: 'lw-events' }, exec), M, WHERE)).toMatchObject({
      ignore: expect.stringMatching(/StackSets/),
    });
    for (const lookAlike of [
      `${exec}x`,
      exec.replace('111122223333', '999999999999'),
      'arn:aws:iam::111122223333:role/stacksets-exec-mine',
    ]) {
      expect(refsFromEvent(detail('PutRule', { name: 'lw-events' }, lookAlike), M, WHERE), lookAlike).toHaveProperty('refs');
    }
  });

  it('malformed records are ignored naming the field, never a crash', () => {
    expect(refsFromEvent(detail('DisableRule', null), M, WHERE)).toMatchObject({
      ignore: expect.stringMatching(/requestParameters.name/),
    });
    expect(refsFromEvent(detail('PutConfigRule', { configRule: 'x' }), M, WHERE)).toMatchObject({
      ignore: expect.stringMatching(/configRule.configRuleName/),
    });
    expect(refsFromEvent(detail('EnableRule', { name: 'lw-events' }), M, WHERE)).toHaveProperty('ignore');
  });

  it('a resource id names a kind and name, or a bare name', () => {
    expect(refFromResourceId('lw-state', M, WHERE)).toMatchObject({ refs: [{ type: 'AWS::DynamoDB::Table' }] });
    expect(refFromResourceId('AWS::Events::Rule/lw-sweep', M, WHERE)).toMatchObject({ refs: [{ id: 'lw-sweep' }] });
    expect(refFromResourceId('nope', M, WHERE)).toHaveProperty('ignore');
  });
});

describe('rules: diff and plan', () => {
  it('as deployed (pattern keys in another order) → no drift, no writes', () => {
    expect(sameJson({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(diffIntegrity(ruleState(rule()), desiredRule)).toEqual([]);
  });

  it('disabled → EnableRule', () => {
    const s = ruleState(rule({ state: 'DISABLED' }));
    const d = diffIntegrity(s, desiredRule);
    expect(d.map((x) => x.property)).toEqual(['rule.state']);
    expect(planIntegrity(s, desiredRule, d).map((x) => x.api)).toEqual(['events:EnableRule']);
  });

  it('pattern changed (and disabled) → one PutRule, keeping the description', () => {
    const s = ruleState(rule({ state: 'DISABLED', eventPattern: { source: ['aws.nothing'] } }));
    const d = diffIntegrity(s, desiredRule);
    expect(d.map((x) => x.property)).toEqual(['rule.state', 'rule.eventPattern']);
    expect(planIntegrity(s, desiredRule, d)).toMatchObject([{ api: 'events:PutRule', ruleDescription: 'logwarden' }]);
  });

  it('schedule changed → PutRule', () => {
    const want = desiredOf(refOf('AWS::Events::Rule', 'lw-sweep'), M);
    const s = ruleState(rule({ eventPattern: null, scheduleExpression: 'rate(365 days)' }));
    const d = diffIntegrity(s, want);
    expect(d.map((x) => x.property)).toEqual(['rule.scheduleExpression']);
    expect(planIntegrity(s, want, d).map((x) => x.api)).toEqual(['events:PutRule']);
    expect(SWEEP_RULE.scheduleExpression).toBe('rate(15 minutes)');
  });

  it('target removed or pointed elsewhere → PutTargets with the declared ones; an extra target is not drift', () => {
    for (const targets of [[], [{ id: 'controller', arn: 'arn:aws:lambda:eu-west-1:111122223333:function:attacker' }]]) {
      const s = ruleState(rule({ targets }));
      const d = diffIntegrity(s, desiredRule);
      expect(d.map((x) => x.property)).toEqual(['rule.targets']);
      expect(planIntegrity(s, desiredRule, d)).toMatchObject([
        { api: 'events:PutTargets', targets: [{ id: 'controller', arn: ARN }] },
      ]);
    }
    expect(
      diffIntegrity(
        ruleState(
          rule({
            targets: [
              { id: 'controller', arn: ARN },
              { id: 'extra', arn: 'x' },
            ],
          }),
        ),
        desiredRule,
      ),
    ).toEqual([]);
  });

  it('deleted → recreated: PutRule then PutTargets', () => {
    const d = diffIntegrity(ruleState(null), desiredRule);
    expect(d.map((x) => x.property)).toEqual(['rule.exists']);
    expect(planIntegrity(ruleState(null), desiredRule, d).map((x) => x.api)).toEqual(['events:PutRule', 'events:PutTargets']);
  });

  it('every drift that silences logwarden is logging-off drift (the breaker never holds it back)', () => {
    for (const p of [
      'rule.exists',
      'rule.state',
      'rule.eventPattern',
      'rule.targets',
      'stateTable.exists',
      'configRule.exists',
    ]) {
      expect(integrity.loggingOffDrift).toContain(p);
    }
  });
});

describe('state table, Config rules: report-only', () => {
  it('present → compliant; deleted → drift, nothing planned, unrestorable with the runbook reason', () => {
    const table = desiredOf(refOf('AWS::DynamoDB::Table', 'lw-state'), M);
    expect(diffIntegrity({ kind: 'table', exists: true }, table)).toEqual([]);
    const gone: IntegrityState = { kind: 'table', exists: false };
    const d = diffIntegrity(gone, table);
    expect(d.map((x) => x.property)).toEqual(['stateTable.exists']);
    expect(planIntegrity(gone, table, d)).toEqual([]);
    expect(unrestorableReason(gone, d)).toMatch(/redeploy the StackSet/);
    const cr = desiredOf(refOf('AWS::Config::ConfigRule', 'lw-config-rule'), M);
    expect(diffIntegrity({ kind: 'config-rule', exists: true }, cr)).toEqual([]);
    expect(
      unrestorableReason({ kind: 'config-rule', exists: false }, diffIntegrity({ kind: 'config-rule', exists: false }, cr)),
    ).toMatch(/Config rule/);
  });

  it('a restorable drift is not unrestorable', () => {
    const s = ruleState(rule({ state: 'DISABLED' }));
    expect(unrestorableReason(s, diffIntegrity(s, desiredRule))).toBeNull();
  });
});

describe('bucket policy statements', () => {
  const want = desiredOf(refOf('AWS::S3::BucketPolicy', 'lw-logs-111122223333'), M);
  const declared = M.bucketPolicies[0]?.statements[0] as Record<string, unknown>;
  const theirs = {
    Sid: 'Theirs',
    Effect: 'Allow',
    Principal: { AWS: 'arn:aws:iam::111122223333:root' },
    Action: 's3:GetObject',
    Resource: '*',
  };
  const deny = {
    Sid: 'Quiet',
    Effect: 'Deny',
    Principal: { Service: ['logging.s3.amazonaws.com'] },
    Action: 's3:*',
    Resource: '*',
  };
  const state = (statements: Record<string, unknown>[] | null): IntegrityState => ({
    kind: 'bucket-policy',
    bucketExists: true,
    statements,
  });

  it('declared statement present (with other statements) → compliant', () => {
    expect(diffIntegrity(state([theirs, declared]), want)).toEqual([]);
  });

  it('statement removed, changed, or the whole policy deleted → merged back, other statements kept', () => {
    for (const current of [[theirs], [theirs, { ...declared, Effect: 'Deny' }], null]) {
      const s = state(current);
      const d = diffIntegrity(s, want);
      expect(d.map((x) => x.property)).toEqual(['bucketPolicy.statement.LwLogs']);
      const [step] = planIntegrity(s, want, d);
      expect(step).toMatchObject({ api: 's3:PutBucketPolicy' });
      const sids = (step as unknown as { statements: { Sid: string }[] }).statements.map((x) => x.Sid);
      expect(sids).toEqual(current ? ['Theirs', 'LwLogs'] : ['LwLogs']);
    }
  });

  it('an added Deny of S3 log delivery is dropped; a Deny of someone else is kept', () => {
    const s = state([theirs, declared, deny]);
    const d = diffIntegrity(s, want);
    expect(d.map((x) => x.property)).toEqual(['bucketPolicy.denyLogDelivery']);
    expect(mergedStatements([theirs, declared, deny], M.bucketPolicies[0] as never).map((x) => x.Sid)).toEqual([
      'Theirs',
      'LwLogs',
    ]);
    const otherDeny = { ...deny, Principal: { AWS: 'arn:aws:iam::111122223333:user/bob' } };
    expect(deniesLogDelivery(otherDeny)).toBe(false);
    expect(deniesLogDelivery({ ...deny, Principal: '*' })).toBe(true);
  });

  it('the bucket itself gone → unrestorable', () => {
    const s: IntegrityState = { kind: 'bucket-policy', bucketExists: false, statements: null };
    const d = diffIntegrity(s, want);
    expect(planIntegrity(s, want, d)).toEqual([]);
    expect(unrestorableReason(s, d)).toMatch(/bucket is gone/);
  });
});

describe('heartbeat record with the health check', () => {
  const policy = parsePolicy(policyWith({}), []);
  const base = { account: WHERE.account, region: WHERE.region, policy, eventId: null, now: new Date('2026-01-01T00:00:00Z') };

  it('findings → failed, naming each resource and property, with the integrity runbook', () => {
    const findings = [
      {
        ref: refOf('AWS::Events::Rule', 'lw-events'),
        drift: [{ property: 'rule.state', observed: 'DISABLED', desired: 'ENABLED' }],
        error: null,
      },
      { ref: refOf('AWS::DynamoDB::Table', 'lw-state'), drift: [], error: 'cannot be read: AccessDeniedException' },
    ];
    const r = heartbeatRecord({ ...base, findings });
    expect(r).toMatchObject({ outcome: 'failed', runbook: 'runbooks/integrity.md' });
    expect(r.reason).toContain(describeFindings(findings));
    expect(r.reason).toContain('AWS::Events::Rule lw-events: rule.state');
    expect(r.drift.map((d) => d.property)).toEqual(['AWS::Events::Rule lw-events: rule.state', 'AWS::DynamoDB::Table lw-state']);
  });

  it('no findings → compliant, saying the wiring is as deployed', () => {
    const r = heartbeatRecord({ ...base, findings: [] });
    expect(r.outcome).toBe('compliant');
    expect(r.reason).toMatch(/as deployed/);
  });
});

afterEach(() => {
  delete process.env.LOGWARDEN_MANIFEST_FILE;
});

describe('functions and roles', () => {
  const FN_MANIFEST: DeploymentManifest = {
    ...MANIFEST,
    functions: [{ name: 'logwarden-cloudtrail', roleName: 'logwarden-cloudtrail-controller-{region}', codeSha256: 'abc=' }],
    roles: [
      {
        name: 'logwarden-cloudtrail-controller-{region}',
        path: '/logwarden/',
        inlinePolicyNames: ['Logwarden'],
        statementSids: { Logwarden: ['GuardrailActions', 'Logs'] },
      },
    ],
  };
  const FM = resolveManifest(FN_MANIFEST, { ...WHERE, partition: 'aws' });
  const ROLE_NAME = 'logwarden-cloudtrail-controller-eu-west-1';
  const ROLE_ARN = `arn:aws:iam::${WHERE.account}:role/logwarden/${ROLE_NAME}`;
  const fnRef = manifestRefs(FM, WHERE).find((r) => r.type === 'AWS::Lambda::Function');
  const roleRef = manifestRefs(FM, WHERE).find((r) => r.type === 'AWS::IAM::Role');
  if (!fnRef || !roleRef) throw new Error('manifest refs lack the function or the role');
  const fnDesired = desiredOf(fnRef, FM);
  const roleDesired = desiredOf(roleRef, FM);
  const TRUST = { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  const asDeployed = {
    inlinePolicies: [
      {
        name: 'Logwarden',
        statements: [
          { sid: 'GuardrailActions', effect: 'Allow' },
          { sid: 'Logs', effect: 'Allow' },
        ],
      },
    ],
    attachedPolicyArns: [],
    boundaryArn: null,
    trustPolicy: TRUST,
  };
  const fnState = (over: object = {}): IntegrityState => ({
    kind: 'function',
    fn: { codeSha256: 'abc=', roleArn: ROLE_ARN, reservedConcurrency: null, ...over },
  });
  const roleState = (over: object = {}): IntegrityState => ({ kind: 'role', role: { ...asDeployed, ...over } });
  const props = (s: IntegrityState, d: typeof fnDesired) => diffIntegrity(s, d).map((x) => x.property);

  it('a function as deployed is compliant; zero concurrency is restorable drift', () => {
    expect(diffIntegrity(fnState(), fnDesired)).toEqual([]);
    const drift = diffIntegrity(fnState({ reservedConcurrency: 0 }), fnDesired);
    expect(drift).toEqual([{ property: 'function.reservedConcurrency', observed: 0, desired: null }]);
    expect(planIntegrity(fnState({ reservedConcurrency: 0 }), fnDesired, drift).map((s) => s.api)).toEqual([
      'lambda:DeleteFunctionConcurrency',
    ]);
    expect(unrestorableReason(fnState({ reservedConcurrency: 0 }), drift)).toBeNull();
  });

  it('changed code, another role or a deleted function is unrestorable, named in the reason', () => {
    const changed = fnState({ codeSha256: 'other=', roleArn: 'arn:aws:iam::111122223333:role/theirs' });
    const drift = diffIntegrity(changed, fnDesired);
    expect(drift.map((d) => d.property)).toEqual(['function.codeSha256', 'function.role']);
    expect(unrestorableReason(changed, drift)).toMatch(/function\.codeSha256, function\.role.*redeploy the StackSet/);
    const gone: IntegrityState = { kind: 'function', fn: null };
    expect(unrestorableReason(gone, diffIntegrity(gone, fnDesired))).toMatch(/function was deleted/);
  });

  it('a null codeSha256 (a manifest holder) is not compared', () => {
    const holder = desiredOf(fnRef, { ...FM, functions: FM.functions.map((f) => ({ ...f, codeSha256: null })) });
    expect(diffIntegrity(fnState({ codeSha256: 'anything=' }), holder)).toEqual([]);
  });

  it('extra inline policy, attached policy and boundary are removed, each by its own step', () => {
    const s = roleState({
      inlinePolicies: [...asDeployed.inlinePolicies, { name: 'Quiet', statements: [{ sid: null, effect: 'Deny' }] }],
      attachedPolicyArns: ['arn:aws:iam::aws:policy/AWSDenyAll'],
      boundaryArn: 'arn:aws:iam::aws:policy/AWSDenyAll',
    });
    const drift = diffIntegrity(s, roleDesired);
    expect(drift.map((d) => d.property)).toEqual(['role.inlinePolicies', 'role.attachedPolicies', 'role.permissionsBoundary']);
    expect(planIntegrity(s, roleDesired, drift)).toMatchObject([
      { api: 'iam:DeleteRolePolicy', policyName: 'Quiet' },
      { api: 'iam:DetachRolePolicy', policyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' },
      { api: 'iam:DeleteRolePermissionsBoundary' },
    ]);
    expect(unrestorableReason(s, drift)).toBeNull();
  });

  it('the Logwarden policy with other Sids or a Deny, or a wider trust policy, is unrestorable', () => {
    const edited = roleState({
      inlinePolicies: [
        { name: 'Logwarden', statements: [...(asDeployed.inlinePolicies[0]?.statements ?? []), { sid: 'X', effect: 'Deny' }] },
      ],
    });
    expect(props(edited, roleDesired)).toEqual(['role.policy.Logwarden.sids', 'role.policy.Logwarden.deny']);
    expect(unrestorableReason(edited, diffIntegrity(edited, roleDesired))).toMatch(/role was changed/);
    const wider = { Statement: [...TRUST.Statement, { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] };
    expect(props(roleState({ trustPolicy: wider }), roleDesired)).toEqual(['role.trustPolicy']);
    expect(props(roleState({ trustPolicy: 'not json' }), roleDesired)).toEqual(['role.trustPolicy']);
    const denyLambda = { Statement: [{ ...TRUST.Statement[0], Effect: 'Deny' }] };
    expect(props(roleState({ trustPolicy: denyLambda }), roleDesired)).toEqual(['role.trustPolicy']);
    const missing = roleState({ inlinePolicies: [] });
    expect(unrestorableReason(missing, diffIntegrity(missing, roleDesired))).toMatch(/role\.policy\.Logwarden\.exists/);
  });

  it('Lambda events name the function by name or ARN; another function is ignored', () => {
    const lambda = (functionName: string) => ({
      ...detail('PutFunctionConcurrency20171031', { functionName }),
      eventSource: 'lambda.amazonaws.com',
    });
    const arn = `arn:aws:lambda:eu-west-1:${WHERE.account}:function:logwarden-cloudtrail:$LATEST`;
    expect(refsFromEvent(lambda(arn), FM, WHERE)).toEqual({ refs: [fnRef] });
    expect(refsFromEvent(lambda('logwarden-cloudtrail'), FM, WHERE)).toEqual({ refs: [fnRef] });
    expect(refsFromEvent(lambda('logwarden-cloudtrail-x'), FM, WHERE)).toMatchObject({
      ignore: expect.stringMatching(/not logwarden's/),
    });
  });

  it("IAM events: the us-east-1 controller acts on another governed region's role, resolved for that region", () => {
    const east = { ...WHERE, region: 'us-east-1' };
    const at = (region: string) => resolveManifest(FN_MANIFEST, { account: WHERE.account, region, partition: 'aws' });
    const iamEvent = {
      ...detail('PutRolePolicy', { roleName: ROLE_NAME, policyName: 'Quiet' }),
      eventSource: 'iam.amazonaws.com',
    };
    expect(refsFromEvent(iamEvent, at('us-east-1'), east, at)).toEqual({ refs: [{ ...roleRef, region: 'eu-west-1' }] });
    // Elsewhere only its own region's role: IAM events reach no other region anyway.
    expect(refsFromEvent(iamEvent, FM, WHERE, at)).toEqual({ refs: [roleRef] });
    const other = { ...iamEvent, requestParameters: { roleName: 'logwarden-cloudtrail-controller-eu-west-1-copy' } };
    expect(refsFromEvent(other, at('us-east-1'), east, at)).toMatchObject({ ignore: expect.stringMatching(/not logwarden's/) });
  });
});
