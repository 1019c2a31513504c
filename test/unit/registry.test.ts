/**
 * A guardrail is one folder plus one registry line: with the fixture guardrail `example-logs`
 * (test/fixtures/guardrails/example-logs) added to a registry and nothing else edited, it is in the
 * demo list, the fuzz fixtures, the fault and duplicate suites, the budget check, the docs index and
 * the example-policy check; and each of those names it when its part is missing. Its scenario on the
 * emulator is in test/integration/registry-fixture.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { budgetProblems, readBudgets } from '../../bench/budgets.js';
import { DemoMissingError, loadDemos } from '../../cli/demo/load.js';
import { registry } from '../../controllers/companions.js';
import { guardrails } from '../../controllers/registry.js';
import { missingGuardrailDocs, ROOT, renderGuardrailIndex } from '../../scripts/docs.js';
import { exampleLogs } from '../fixtures/guardrails/example-logs/index.js';
import { guardrailsWithoutSection } from '../helpers/examples.js';
import { EXAMPLE_LOGS_FOLDER, FIXTURE_DOCS_ROOT, fixtureRegistry } from '../helpers/fixture-registry.js';
import { demoCodeInLambda } from '../helpers/lambda-inputs.js';
import { demoSuites, fuzzFixtures, sampleProblems } from '../reliability/support.js';

const NAMES = [...guardrails.map((g) => g.name), 'example-logs'];

describe('a guardrail added with one registry line', () => {
  it('is in the demo list, in registry order, with its own demo', async () => {
    const demos = await loadDemos(fixtureRegistry);
    expect(demos.map((d) => d.guardrail.name)).toEqual(NAMES);
    expect(demos.at(-1)?.guardrail).toBe(exampleLogs);
    expect(demos.at(-1)?.scenarios.map((s) => s.title)).toEqual([
      'CloudWatch Logs: DeleteRetentionPolicy on a governed log group',
    ]);
  });

  it('is in the fault and duplicate suites', async () => {
    const suites = await demoSuites(fixtureRegistry);
    expect(suites.map(([name]) => name)).toEqual(NAMES);
    expect(suites.at(-1)?.[1].guardrail).toBe(exampleLogs);
  });

  it('is in the fuzz fixtures: its CloudTrail samples, own-role echo, failed call, Config and sweep events', () => {
    const fixtures = fuzzFixtures(fixtureRegistry.guardrails) as { source: string; detail: Record<string, unknown> }[];
    const logs = fixtures.filter((e) => e.source === 'aws.logs');
    expect(logs.map((e) => e.detail.eventName)).toEqual([
      'DeleteRetentionPolicy',
      'PutRetentionPolicy',
      'DeleteRetentionPolicy',
      'DeleteRetentionPolicy',
    ]);
    expect(logs[0]?.detail.requestParameters).toEqual({ logGroupName: '/app/payments' });
    expect(logs[1]?.detail.requestParameters).toEqual({ logGroupName: '/app/payments', retentionInDays: 1 });
    expect(logs[3]?.detail.errorCode).toBe('AccessDenied');
    expect(fixtures.filter((e) => e.detail.resourceType === 'AWS::Logs::LogGroup')).toHaveLength(1);
    expect(fixtures.filter((e) => JSON.stringify(e).includes('rule/logwarden-sweep-example-logs'))).toHaveLength(1);
    expect(fixtures.length).toBeGreaterThan(fuzzFixtures(guardrails).length);
  });

  it('its samples resolve to its governed log group; a sample naming another group is reported', async () => {
    const demos = await loadDemos(fixtureRegistry);
    expect(await sampleProblems(demos)).toEqual([]);
    const demo = demos.at(-1) as (typeof demos)[number];
    const [entry] = exampleLogs.cloudTrailEvents;
    const stray = { ...exampleLogs, cloudTrailEvents: [{ ...entry, sample: { requestParameters: { logGroupName: '/other' } } }] };
    const problems = await sampleProblems([{ ...demo, guardrail: stray as typeof exampleLogs }]);
    expect(problems).toEqual([
      'example-logs DeleteRetentionPolicy: the sample is ignored (log group not governed)',
      'example-logs PutRetentionPolicy: the sample is ignored (log group not governed)',
    ]);
  });

  it('needs a gzip budget: the check names it when missing and passes when supplied', () => {
    const budgets = readBudgets();
    expect(budgetProblems(registry, budgets)).toEqual([]);
    expect(budgetProblems(fixtureRegistry, budgets)).toEqual([
      'guardrail example-logs has no gzip budget in bench/budgets.json (gzipBytes.example-logs)',
    ]);
    const supplied = { gzipBytes: { ...budgets.gzipBytes, 'example-logs': 60_000 } };
    expect(budgetProblems(fixtureRegistry, supplied)).toEqual([]);
  });

  it('is in the docs index, with its resource type, events, runbook and configuration page', () => {
    const index = renderGuardrailIndex(fixtureRegistry);
    const row = index.split('\n').find((line) => line.startsWith('| `example-logs` |'));
    expect(row).toBe(
      '| `example-logs` | Example: log groups keep their retention | `AWS::Logs::LogGroup` | `aws.logs`: `DeleteRetentionPolicy`, `PutRetentionPolicy` | [runbooks/example-logs.md](../runbooks/example-logs.md) | [docs/config/example-logs.md](config/example-logs.md) |',
    );
    expect(index.startsWith(renderGuardrailIndex(registry).split('\n').slice(0, -1).join('\n'))).toBe(true);
  });

  it('needs a runbook and a configuration page: the check names each missing one', () => {
    expect(missingGuardrailDocs(fixtureRegistry)).toEqual([
      'guardrail example-logs: runbook runbooks/example-logs.md is missing',
      'guardrail example-logs: configuration page docs/config/example-logs.md is missing',
    ]);
    expect(missingGuardrailDocs(fixtureRegistry, [ROOT, FIXTURE_DOCS_ROOT])).toEqual([]);
  });

  it('needs a section in the example policy: the check names it', () => {
    const file = join(ROOT, 'examples', 'logwarden.policy.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(guardrailsWithoutSection(fixtureRegistry, doc, 'logwarden.policy.json')).toEqual([
      'guardrail example-logs has no section in logwarden.policy.json (guardrails.example-logs)',
    ]);
  });

  it('keeps its demo out of its Lambda code (index.ts never imports demo.ts or the CLI)', () => {
    expect(demoCodeInLambda(fixtureRegistry)).toEqual([]);
    const leaky = { guardrails: [exampleLogs], folder: () => join(EXAMPLE_LOGS_FOLDER, '..', 'index-imports-demo') };
    expect(demoCodeInLambda(leaky)).toEqual([
      'guardrail example-logs: its index.ts pulls in cli/events.ts',
      'guardrail example-logs: its index.ts pulls in test/fixtures/guardrails/example-logs/demo.ts',
    ]);
  });
});

describe('loading the demos names the guardrail whose demo is unusable', () => {
  const only = (folder: string, guardrail = exampleLogs) => ({ guardrails: [guardrail], folder: () => folder });

  it('no demo.ts in its folder', async () => {
    const load = loadDemos(only(join(EXAMPLE_LOGS_FOLDER, '..')));
    await expect(load).rejects.toBeInstanceOf(DemoMissingError);
    await expect(load).rejects.toThrow(/^guardrail example-logs: no demo\.ts in /);
  });

  it('demo.ts without a `demo` export', async () => {
    await expect(loadDemos(only(join(EXAMPLE_LOGS_FOLDER, '..', 'no-demo-export')))).rejects.toThrow(
      'guardrail example-logs: demo.ts does not export `demo`',
    );
  });

  it('a demo of another guardrail object than the registered one', async () => {
    const copy = { ...exampleLogs };
    await expect(loadDemos(only(EXAMPLE_LOGS_FOLDER, copy))).rejects.toMatchObject({
      guardrail: 'example-logs',
      message: expect.stringContaining('`demo.guardrail` is not the registered guardrail'),
    });
  });
});
