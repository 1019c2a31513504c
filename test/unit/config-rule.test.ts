import { ConfigServiceClient, PutEvaluationsCommand } from '@aws-sdk/client-config-service';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AwsClients } from '../../controllers/core/aws.js';
import { findGuardrail } from '../../controllers/core/bootstrap.js';
import {
  ConfigRuleEventError,
  EvaluationDeliveryError,
  evaluationsFor,
  handleConfigRuleEvent,
  MAX_ANNOTATION_CHARS,
  parseRuleEvent,
} from '../../controllers/core/config-rule.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import type { Guardrail, ResourceRef } from '../../controllers/core/types.js';
import { policyWith } from '../helpers/policy.js';

// Emulator gap: moto's PutEvaluations only works with TestMode and it has no compliance reads
// (GetComplianceDetailsByConfigRule), so what the evaluator reports cannot be read back there. The
// evaluator is covered here with aws-sdk-client-mock; the detection code it reuses (listRefs, observe,
// diff) is the guardrails' own, tested on the emulator in test/integration.
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const TYPE = 'AWS::Test::Thing';

interface Thing {
  exists: boolean;
  enabled: boolean;
  tags: Record<string, string>;
  owner?: string;
}

/** A guardrail over an in-memory world: the evaluator is tested on its own logic. */
function fakeGuardrail(world: Map<string, Thing | Error>, opts: { listError?: Error } = {}) {
  const policySchema = z.object({ mode: z.enum(['remediate', 'notify']).default('remediate'), names: z.array(z.string()) });
  type P = z.infer<typeof policySchema>;
  const g: Guardrail<P, ResourceRef, Thing, { enabled: true }, { api: string; description: string }> = {
    name: 'things',
    title: 'Things stay enabled',
    resourceType: TYPE,
    runbook: 'runbooks/things.md',
    policySchema,
    loggingOffDrift: ['exists', 'enabled'],
    iamActions: ['test:GetThing'],
    unscopedActions: [{ actions: ['test:GetThing'], why: 'a test read' }],
    cloudTrailEvents: [],
    refsFromCloudTrail: () => ({ refs: [] }),
    refFromResourceId: (id, scope) =>
      scope.policy.names.includes(id)
        ? { refs: [{ type: TYPE, id, arn: null, region: scope.region }] }
        : { ignore: `thing ${id} is not governed by the policy` },
    listRefs: async (scope) => {
      if (opts.listError) throw opts.listError;
      return { refs: scope.policy.names.map((id) => ({ type: TYPE, id, arn: null, region: scope.region })) };
    },
    desired: () => ({ enabled: true }),
    observe: async (ref) => {
      const t = world.get(ref.id) ?? { exists: false, enabled: false, tags: {} };
      if (t instanceof Error) throw t;
      return t;
    },
    tagsOf: (s) => s.tags,
    skipReason: (ref, s) => (s.owner && s.owner !== ACCOUNT ? `thing ${ref.id} belongs to ${s.owner}` : null),
    diff: (s) => (s.exists && s.enabled ? [] : [{ property: s.exists ? 'enabled' : 'exists', observed: false, desired: true }]),
    plan: () => [],
    apply: async () => {},
  };
  return g;
}

function ruleEvent(invoking: Record<string, unknown>, token = 'token-1') {
  return {
    version: '1.0',
    invokingEvent: JSON.stringify(invoking),
    ruleParameters: '{}',
    resultToken: token,
    eventLeftScope: false,
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`,
    configRuleArn: `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-abc123`,
    configRuleName: 'logwarden-things',
    configRuleId: 'config-rule-abc123',
    accountId: ACCOUNT,
  };
}
const periodic = (token = 'token-1') =>
  ruleEvent(
    { awsAccountId: ACCOUNT, notificationCreationTime: '2025-01-02T03:04:05.000Z', messageType: 'ScheduledNotification' },
    token,
  );
const change = (resourceId: string, resourceType = TYPE, status = 'OK') =>
  ruleEvent({
    configurationItem: {
      resourceType,
      resourceId,
      configurationItemCaptureTime: '2025-01-02T03:00:00.000Z',
      configurationItemStatus: status,
      awsAccountId: ACCOUNT,
      awsRegion: REGION,
    },
    notificationCreationTime: '2025-01-02T03:04:05.000Z',
    messageType: 'ConfigurationItemChangeNotification',
    recordVersion: '1.3',
  });

const config = mockClient(ConfigServiceClient);
const quiet = { info() {}, warn() {}, error() {}, debug() {} } as never;

function options(
  g: ReturnType<typeof fakeGuardrail>,
  names: string[],
  controller: Record<string, unknown> = {},
  exemptions: Record<string, unknown>[] = [],
) {
  const doc = { ...policyWith({ things: { names } }, { regions: [REGION], ...controller }), exemptions };
  return {
    guardrail: g,
    policy: parsePolicy(doc, [g], 'policy', { now: new Date('2025-01-02T04:00:00.000Z') }),
    account: ACCOUNT,
    region: REGION,
    clients: new AwsClients({ credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 }),
    logger: quiet,
    now: () => new Date('2025-01-02T04:00:00.000Z'),
  };
}

beforeEach(() => {
  config.reset();
  config.on(PutEvaluationsCommand).resolves({ FailedEvaluations: [] });
});

describe('Config rule evaluator', () => {
  it('periodic: compliant, non-compliant and missing resources, reported with the result token', async () => {
    const world = new Map<string, Thing | Error>([
      ['good', { exists: true, enabled: true, tags: {} }],
      ['off', { exists: true, enabled: false, tags: {} }],
    ]);
    const evaluations = await handleConfigRuleEvent(periodic(), options(fakeGuardrail(world), ['good', 'off', 'gone']));
    expect(evaluations.map((e) => [e.ComplianceResourceId, e.ComplianceType])).toEqual([
      ['good', 'COMPLIANT'],
      ['off', 'NON_COMPLIANT'],
      ['gone', 'NON_COMPLIANT'],
    ]);
    expect(evaluations[1]?.Annotation).toContain('enabled');
    const calls = config.commandCalls(PutEvaluationsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({ ResultToken: 'token-1' });
    expect(calls[0]?.args[0].input.Evaluations?.[0]).toMatchObject({
      ComplianceResourceType: TYPE,
      OrderingTimestamp: new Date('2025-01-02T03:04:05.000Z'),
    });
  });

  it('policy-exempt and skipped (another owner) resources are NOT_APPLICABLE; expired or tag-only exemptions are evaluated', async () => {
    const world = new Map<string, Thing | Error>([
      ['exempt', { exists: true, enabled: false, tags: {} }],
      ['expired', { exists: true, enabled: false, tags: {} }],
      ['tagged', { exists: true, enabled: false, tags: { 'logwarden:exempt': 'INC-8' } }],
      ['foreign', { exists: true, enabled: false, tags: {}, owner: '999999999999' }],
    ]);
    const exemptions = [
      { guardrail: 'things', resource: 'exempt', reason: 'migration', ticket: 'INC-7', expires: '2025-02-01' },
      { guardrail: 'things', resource: 'expired', reason: 'old', ticket: 'INC-6', expires: '2024-12-31' },
    ];
    const evaluations = await evaluationsFor(
      { kind: 'periodic', resultToken: 't', orderingTimestamp: new Date() },
      options(fakeGuardrail(world), ['exempt', 'expired', 'tagged', 'foreign'], {}, exemptions),
    );
    expect(evaluations.map((e) => [e.ComplianceResourceId, e.ComplianceType, e.Annotation])).toEqual([
      ['exempt', 'NOT_APPLICABLE', 'exempt: migration (ticket INC-7; until 2025-02-01)'],
      ['expired', 'NON_COMPLIANT', 'differs from the logwarden policy: enabled'],
      ['tagged', 'NON_COMPLIANT', 'differs from the logwarden policy: enabled'],
      ['foreign', 'NOT_APPLICABLE', 'thing foreign belongs to 999999999999'],
    ]);
  });

  it('fails closed: a resource that cannot be observed is NON_COMPLIANT, never COMPLIANT', async () => {
    const denied = Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' });
    const world = new Map<string, Thing | Error>([['locked', denied]]);
    const [evaluation] = await evaluationsFor(
      { kind: 'periodic', resultToken: 't', orderingTimestamp: new Date() },
      options(fakeGuardrail(world), ['locked']),
    );
    expect(evaluation).toMatchObject({ ComplianceType: 'NON_COMPLIANT', ComplianceResourceId: 'locked' });
    expect(evaluation?.Annotation).toContain('AccessDeniedException');
  });

  it('fails closed when the resources cannot be listed: the account is NON_COMPLIANT', async () => {
    const g = fakeGuardrail(new Map(), { listError: Object.assign(new Error('slow down'), { name: 'ThrottlingException' }) });
    const evaluations = await handleConfigRuleEvent(periodic(), options(g, ['a']));
    expect(evaluations).toEqual([
      expect.objectContaining({
        ComplianceResourceType: 'AWS::::Account',
        ComplianceResourceId: ACCOUNT,
        ComplianceType: 'NON_COMPLIANT',
      }),
    ]);
  });

  it('configuration change: evaluates that resource only; ungoverned or other types are NOT_APPLICABLE', async () => {
    const world = new Map<string, Thing | Error>([['off', { exists: true, enabled: false, tags: {} }]]);
    const o = options(fakeGuardrail(world), ['off']);
    expect(await handleConfigRuleEvent(change('off'), o)).toEqual([
      expect.objectContaining({
        ComplianceResourceId: 'off',
        ComplianceType: 'NON_COMPLIANT',
        OrderingTimestamp: new Date('2025-01-02T03:00:00.000Z'),
      }),
    ]);
    expect(await handleConfigRuleEvent(change('other'), o)).toEqual([
      expect.objectContaining({ ComplianceResourceId: 'other', ComplianceType: 'NOT_APPLICABLE' }),
    ]);
    expect(await handleConfigRuleEvent(change('x', 'AWS::S3::Bucket'), o)).toEqual([
      expect.objectContaining({ ComplianceResourceType: 'AWS::S3::Bucket', ComplianceType: 'NOT_APPLICABLE' }),
    ]);
  });

  it('an oversized change notification is handled like a change', () => {
    const event = ruleEvent({
      configurationItemSummary: { resourceType: TYPE, resourceId: 'big', configurationItemCaptureTime: '2025-01-01T00:00:00Z' },
      messageType: 'OversizedConfigurationItemChangeNotification',
    });
    expect(parseRuleEvent(event, new Date())).toMatchObject({ kind: 'change', resourceId: 'big', resourceType: TYPE });
  });

  it('excluded accounts, ungoverned regions and a disabled guardrail are NOT_APPLICABLE', async () => {
    const g = fakeGuardrail(new Map());
    const request = { kind: 'periodic' as const, resultToken: 't', orderingTimestamp: new Date() };
    const excluded = await evaluationsFor(request, options(g, ['a'], { excludeAccounts: [ACCOUNT] }));
    expect(excluded[0]).toMatchObject({ ComplianceResourceType: 'AWS::::Account', ComplianceType: 'NOT_APPLICABLE' });
    const elsewhere = await evaluationsFor(request, { ...options(g, ['a']), region: 'us-west-2' });
    expect(elsewhere[0]?.Annotation).toContain('us-west-2 is not governed');
    const o = options(g, ['a']);
    const disabled = await evaluationsFor(request, { ...o, policy: { ...o.policy, guardrails: {} } });
    expect(disabled[0]?.Annotation).toContain('not enabled');
  });

  it('reports in batches of at most 100 evaluations, all with the result token', async () => {
    const names = Array.from({ length: 250 }, (_, i) => `t${i}`);
    const world = new Map<string, Thing | Error>(names.map((n) => [n, { exists: true, enabled: true, tags: {} }]));
    await handleConfigRuleEvent(periodic('tok-250'), options(fakeGuardrail(world), names));
    const calls = config.commandCalls(PutEvaluationsCommand);
    expect(calls.map((c) => c.args[0].input.Evaluations?.length)).toEqual([100, 100, 50]);
    expect(calls.every((c) => c.args[0].input.ResultToken === 'tok-250')).toBe(true);
  });

  it('throws when Config refuses evaluations, so the invocation shows the error', async () => {
    config
      .on(PutEvaluationsCommand)
      .resolves({ FailedEvaluations: [{ ComplianceResourceType: TYPE, ComplianceResourceId: 'a' } as never] });
    const world = new Map<string, Thing | Error>([['a', { exists: true, enabled: true, tags: {} }]]);
    await expect(handleConfigRuleEvent(periodic(), options(fakeGuardrail(world), ['a']))).rejects.toBeInstanceOf(
      EvaluationDeliveryError,
    );
  });

  it('annotations are cut to what Config keeps', async () => {
    const huge = Object.assign(new Error('x'.repeat(1000)), { name: 'InternalError' });
    const [evaluation] = await evaluationsFor(
      { kind: 'periodic', resultToken: 't', orderingTimestamp: new Date() },
      options(fakeGuardrail(new Map([['a', huge]])), ['a']),
    );
    expect(evaluation?.Annotation?.length).toBe(MAX_ANNOTATION_CHARS);
  });

  it('rejects what is not a Config rule invocation', () => {
    expect(() => parseRuleEvent({ detail: {} }, new Date())).toThrow(ConfigRuleEventError);
    expect(() => parseRuleEvent({ invokingEvent: '{"messageType":"Other"}', resultToken: 't' }, new Date())).toThrow(
      ConfigRuleEventError,
    );
  });

  it('finds the guardrail among a module’s exports (the generic entry)', () => {
    const g = fakeGuardrail(new Map());
    expect(findGuardrail({ other: 1, things: g }, 'things')).toBe(g);
    expect(() => findGuardrail({ other: 1 }, 'things')).toThrow(/exports no guardrail/);
  });
});
