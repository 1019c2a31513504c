/**
 * A guardrail is one folder and one registry line: the fixture guardrail `example-logs`, kept outside
 * `controllers/`, is added to a registry and enabled by a fixture policy, and nothing else is edited.
 * It must then be bundled (really, with esbuild) and deployed like the real guardrails.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { sweepEvent } from '../../cli/events.js';
import { controllersFolder, type Registry, registry } from '../../controllers/companions.js';
import { buildApp, type LogwardenApp } from '../../infra/app.js';
import { bundle, bundleList, entrySource } from '../../infra/bundle.js';
import { ROOT } from '../../infra/config.js';
import type { LogwardenFunction } from '../../infra/function.js';
import { STATE_TABLE_ACTIONS } from '../../infra/member-stack.js';
import { exampleConfig, readTemplate } from '../../infra/testing.js';
import { exampleLogs } from '../fixtures/guardrails/example-logs/index.js';
import { invokeBundle } from '../helpers/bundled-handler.js';
import { ACCOUNT, createAuditBus, REGION, useEmulator } from '../helpers/emulator.js';
import { actionsOf, statementsOf } from '../helpers/iam.js';
import { policyWith } from '../helpers/policy.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'guardrails', 'example-logs');
const withFixture: Registry = {
  guardrails: [...registry.guardrails, exampleLogs],
  folder: (name) => (name === exampleLogs.name ? FIXTURE : controllersFolder(name)),
};
/** Enables only the fixture guardrail (in the example deployment's accounts and regions). */
const FIXTURE_POLICY = 'test/fixtures/policies/example-logs.json';
/** What every function's role holds besides what its guardrail declares. */
const OWN_LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

const emu = useEmulator();
let built: LogwardenApp;
let member: Template;

beforeAll(async () => {
  built = await buildApp({
    outdir: mkdtempSync(join(tmpdir(), 'logwarden-registry-')),
    config: { ...exampleConfig(), policyFile: FIXTURE_POLICY },
    registry: withFixture,
    nag: false,
  });
  // The StackSet template (the member stack) is synthesized while the app is built.
  member = Template.fromJSON(readTemplate(built.templateFile));
}, 240_000);

function deployed(kind: 'controller' | 'config-rule'): LogwardenFunction {
  const f = built.template.guardrails.find((x) => x.guardrail.name === exampleLogs.name);
  if (!f) throw new Error('example-logs is not deployed');
  return kind === 'controller' ? f.controller : f.evaluator;
}
const arnOf = (f: LogwardenFunction) => ({
  'Fn::GetAtt': [Stack.of(f).getLogicalId(f.fn.node.defaultChild as CfnFunction), 'Arn'],
});

describe('the fixture guardrail, added to a registry and enabled by a policy, and nothing else', () => {
  it('is in the registry’s bundle list, and the member stack deploys exactly the enabled part of that list', () => {
    const targets = bundleList(withFixture);
    expect(targets).toContainEqual({ kind: 'controller', guardrail: 'example-logs' });
    expect(targets).toContainEqual({ kind: 'config-rule', guardrail: 'example-logs' });
    expect(bundleList(registry)).not.toContainEqual({ kind: 'controller', guardrail: 'example-logs' });
    expect(built.deployment.guardrails.map((g) => g.name)).toEqual(['example-logs']);
    const functions = built.template.functions.map((f) =>
      f.kind === 'heartbeat' ? { kind: f.kind } : { kind: f.kind, guardrail: f.guardrail },
    );
    expect(functions).toEqual(bundleList({ guardrails: [exampleLogs] }));
  });

  it('is bundled by esbuild from its own folder, outside controllers/', () => {
    expect(entrySource({ kind: 'controller', guardrail: 'example-logs' }, withFixture)).toContain(
      JSON.stringify(join(FIXTURE, 'index.ts')),
    );
    for (const f of [deployed('controller'), deployed('config-rule')]) {
      const code = readFileSync(join(f.bundle.dir, 'index.mjs'), 'utf8');
      expect(code).toContain(exampleLogs.title);
      expect(f.bundle.gzipBytes).toBeGreaterThan(10_000);
    }
  });

  it('gets its controller function, whose role grants exactly its declared iamActions besides the shared infrastructure', () => {
    const controller = deployed('controller');
    member.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'logwarden-example-logs',
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
    });
    const statements = statementsOf(member, built.template, controller.role);
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    const shared = [...OWN_LOGS, ...STATE_TABLE_ACTIONS, 'events:PutEvents', 'sqs:SendMessage'];
    const declared = actionsOf(statements).filter((a) => !shared.includes(a));
    expect(declared).toEqual([...exampleLogs.iamActions].sort());
    // The justified read on `*`; the write only on the policy's log groups (#17).
    const guardrailStatement = statements.find((s) => s.Sid === 'GuardrailActions');
    expect(guardrailStatement && actionsOf([guardrailStatement])).toEqual(['logs:DescribeLogGroups']);
    const scoped = statements.find((s) => s.Sid === 'GuardrailScoped0');
    expect(scoped && actionsOf([scoped])).toEqual(['logs:PutRetentionPolicy']);
    expect(JSON.stringify(scoped?.Resource)).toContain(':log-group:');
  });

  it('gets its CloudTrail rule with its event names, its compliance and sweep rules, all to its controller', () => {
    const target = { Targets: [Match.objectLike({ Arn: arnOf(deployed('controller')) })] };
    member.hasResourceProperties('AWS::Events::Rule', {
      Name: 'logwarden-example-logs-cloudtrail',
      EventPattern: Match.objectLike({
        source: ['aws.logs'],
        detail: Match.objectLike({ eventName: ['DeleteRetentionPolicy', 'PutRetentionPolicy'] }),
      }),
      ...target,
    });
    member.hasResourceProperties('AWS::Events::Rule', {
      Name: 'logwarden-example-logs-compliance',
      EventPattern: Match.objectLike({ detail: Match.objectLike({ configRuleName: ['logwarden-example-logs'] }) }),
      ...target,
    });
    member.hasResourceProperties('AWS::Events::Rule', {
      Name: 'logwarden-sweep-example-logs',
      ScheduleExpression: 'rate(6 hours)',
      ...target,
    });
    expect(built.template.rules.filter((r) => r.guardrail === 'example-logs').map((r) => r.purpose)).toEqual([
      'cloudtrail',
      'compliance',
      'sweep',
    ]);
  });

  it('gets its Config rule for AWS::Logs::LogGroup, evaluated by a function that may only read', () => {
    const evaluator = deployed('config-rule');
    member.hasResourceProperties('AWS::Config::ConfigRule', {
      ConfigRuleName: 'logwarden-example-logs',
      Scope: { ComplianceResourceTypes: ['AWS::Logs::LogGroup'] },
      Source: Match.objectLike({ Owner: 'CUSTOM_LAMBDA', SourceIdentifier: arnOf(evaluator) }),
    });
    expect(actionsOf(statementsOf(member, built.template, evaluator.role))).toEqual(
      ['logs:DescribeLogGroups', ...OWN_LOGS, 'config:PutEvaluations', 'sqs:SendMessage'].sort(),
    );
  });

  it('its controller bundle runs as the Lambda would: a sweep restores a log group’s retention and publishes the record', async () => {
    const audit = await createAuditBus(emu.clients());
    const logs = emu.clients().get(CloudWatchLogsClient, REGION);
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/app/orders' }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/app/orders', retentionInDays: 7 }));
    const section = { mode: 'remediate', logGroups: ['/app/orders'], retentionDays: 30 };
    const b = bundle(
      { kind: 'controller', guardrail: 'example-logs' },
      JSON.stringify(policyWith({ 'example-logs': section })),
      withFixture,
    );
    await invokeBundle(b.dir, emu.endpoint, sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'example-logs' }));
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/app/orders' }));
    expect(groups.logGroups?.[0]?.retentionInDays).toBe(30);
    // The remediation in full, and the sweep's summary (nothing compliant to fold into it).
    expect((await audit.drain()).map((r) => [r.guardrail, r.resource.id, r.outcome, r.sweep?.checked])).toEqual([
      ['example-logs', '/app/orders', 'remediated', undefined],
      ['example-logs', `example-logs/${REGION}`, 'compliant', 1],
    ]);
  });
});

describe('infra/examples/policy.json', () => {
  const example = JSON.parse(readFileSync(join(ROOT, 'infra', 'examples', 'policy.json'), 'utf8')) as {
    guardrails: Record<string, unknown>;
  };
  const missingSections = (reg: Registry) => reg.guardrails.map((g) => g.name).filter((n) => !(n in example.guardrails));

  it('has a section for every registered guardrail', () => {
    const missing = missingSections(registry);
    expect(missing, `infra/examples/policy.json has no section for ${missing.join(', ')}`).toEqual([]);
  });

  it('the check names the guardrail a registry adds without an example section', () => {
    expect(missingSections(withFixture)).toEqual(['example-logs']);
  });
});
