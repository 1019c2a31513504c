import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../controllers/companions.js';
import { handleOriginEvent } from '../../controllers/origin-check/index.js';
import { Bundler } from '../../infra/bundle.js';
import { CentralStack } from '../../infra/central-stack.js';
import { loadDeployment } from '../../infra/config.js';
import { OriginCheck, originCheckStatements } from '../../infra/origin-check.js';
import { exampleConfig } from '../../infra/testing.js';
import { actionsOf, statementsOf } from '../helpers/iam.js';
import { dimensionsOf, matchesFilter, UnsupportedFilterPatternError } from '../helpers/metric-filter.js';
import { evaluate } from '../helpers/policy-eval.js';
import { envelopeOf, record } from '../helpers/records.js';

const MEMBER = '100000000001';
const VICTIM = '100000000002';

let stack: CentralStack;
let template: Template;
let json: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

beforeAll(async () => {
  const deployment = await loadDeployment(exampleConfig(), registry);
  const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
  stack = new CentralStack(app, 'Central', {
    deployment,
    bundler: new Bundler(registry),
    env: { account: deployment.config.central.account, region: deployment.config.central.region },
  });
  template = Template.fromStack(stack);
  json = template.toJSON() as typeof json;
}, 120_000);

const ofType = (type: string) => Object.values(json.Resources).filter((r) => r.Type === type);
const logicalIdOf = (ref: unknown) => (ref as { Ref: string }).Ref;

interface Filter {
  pattern: string;
  metricName: string;
  dimensions: Record<string, string>;
  logGroup: string;
}

/** The synthesized metric filters, with their log group's name. */
function metricFilters(): Filter[] {
  return ofType('AWS::Logs::MetricFilter').map((r) => {
    const [t] = r.Properties.MetricTransformations as {
      MetricName: string;
      Dimensions?: { Key: string; Value: string }[];
    }[];
    const group = json.Resources[logicalIdOf(r.Properties.LogGroupName)];
    return {
      pattern: r.Properties.FilterPattern as string,
      metricName: t?.MetricName as string,
      dimensions: Object.fromEntries((t?.Dimensions ?? []).map((d) => [d.Key, d.Value])),
      logGroup: group?.Properties.LogGroupName as string,
    };
  });
}

/** What the metric filters publish for one verdict line: `metric` or `metric{dimension=value}`, sorted. */
function published(line: string): string[] {
  return metricFilters()
    .filter((f) => matchesFilter(f.pattern, line))
    .map((f) => {
      const dims = dimensionsOf(f.dimensions, line);
      if (dims === null) return `${f.metricName}: no datapoint`;
      const text = Object.entries(dims).map(([k, v]) => `${k}=${v}`);
      return text.length === 0 ? f.metricName : `${f.metricName}{${text.join(',')}}`;
    })
    .sort();
}

const lineOf = (event: unknown) => {
  const lines: string[] = [];
  handleOriginEvent(event, (l) => lines.push(l));
  return lines[0] as string;
};

describe('the envelope is kept in every sink (#13 item 2)', () => {
  it('the audit rule sends the whole event to the stream, the log group and the origin check: no input transformer', () => {
    const [rule] = ofType('AWS::Events::Rule').filter((r) => r.Properties.Name === 'logwarden-audit-records');
    const targets = rule?.Properties.Targets as Record<string, unknown>[];
    expect(targets).toHaveLength(3);
    for (const t of targets) {
      expect(Object.keys(t).filter((k) => ['Input', 'InputPath', 'InputTransformer'].includes(k))).toEqual([]);
    }
    // Partitioned by the envelope's account; the archive is the stream's records as they are.
    expect(targets).toContainEqual(expect.objectContaining({ KinesisParameters: { PartitionKeyPath: '$.account' } }));
    const firehoses = ofType('AWS::KinesisFirehose::DeliveryStream');
    expect(firehoses).toHaveLength(1);
    type Destination = { ProcessingConfiguration: { Processors: { Type: string }[] } };
    const destination = firehoses[0]?.Properties.ExtendedS3DestinationConfiguration as Destination;
    const processors = destination.ProcessingConfiguration.Processors;
    expect(processors.map((p) => p.Type)).toEqual(['AppendDelimiterToRecord']);
  });

  it('the origin check is the rule’s Lambda target, with its own retained, encrypted log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'logwarden-origin-check',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }),
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: '/logwarden/origin-check', KmsKeyId: Match.anyValue() },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'logwarden-audit-records',
      Targets: Match.arrayWith([
        Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 } }),
      ]),
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      Action: 'lambda:InvokeFunction',
    });
  });
});

describe('metrics, dashboard and alarms key on the envelope’s account', () => {
  it('nothing in the central stack counts or groups by detail.account', () => {
    expect(JSON.stringify(json)).not.toContain('detail.account');
  });

  it('the counting filters read the origin check’s admitted lines: a total and one per envelope account', () => {
    const counts = metricFilters().filter((f) => f.metricName !== 'OriginMismatch');
    const names = ['Escalations', 'Exemptions', 'Failures', 'Remediations'];
    expect(counts.map((f) => f.metricName).sort()).toEqual(names.flatMap((n) => [n, n]));
    for (const f of counts) {
      expect(f.logGroup).toBe('/logwarden/origin-check');
      expect(f.pattern).toMatch(/^\{ \(\$\.verdict = "admitted"\) && \(\$\.outcome = "[a-z]+"\) \}$/);
    }
    for (const n of names) {
      expect(counts.filter((f) => f.metricName === n).map((f) => f.dimensions)).toEqual(
        expect.arrayContaining([{}, { account: '$.account' }]),
      );
    }
  });

  it('an honest record is counted under the envelope account', () => {
    const line = lineOf(envelopeOf(record({ account: MEMBER, outcome: 'failed' })));
    expect(published(line)).toEqual(['Failures', `Failures{account=${MEMBER}}`]);
  });

  it('a forged record (detail.account ≠ envelope account) is not counted and raises OriginMismatch', () => {
    const line = lineOf(envelopeOf(record({ account: VICTIM, outcome: 'failed' }), MEMBER));
    expect(published(line)).toEqual(['OriginMismatch']);
    // Kept in the quarantine line as it came, both accounts named.
    expect(JSON.parse(line)).toMatchObject({ claimedAccount: VICTIM, account: MEMBER, event: { detail: { account: VICTIM } } });
  });

  it('a record whose envelope has no account is quarantined too (fail closed)', () => {
    const line = lineOf({ ...envelopeOf(record({ account: MEMBER, outcome: 'remediated' })), account: undefined });
    expect(published(line)).toEqual(['OriginMismatch']);
  });

  it('the Lambda platform lines and the audit log group’s events match no count', () => {
    expect(published('{"time":"2026-11-30T12:00:00Z","type":"platform.start","record":{"requestId":"r"}}')).toEqual([]);
    expect(published(JSON.stringify(envelopeOf(record({ outcome: 'failed' }))))).toEqual([]);
    expect(published('not json')).toEqual([]);
  });

  it('the matcher refuses syntax it does not know rather than guess', () => {
    expect(() => matchesFilter('{ $.a = "x" || $.b = "y" }', '{}')).toThrow(UnsupportedFilterPatternError);
    expect(() => matchesFilter('{ $.a = "x*" }', '{}')).toThrow(UnsupportedFilterPatternError);
    expect(() => matchesFilter('"failed"', '{}')).toThrow(UnsupportedFilterPatternError);
    expect(matchesFilter('{ $.a.b != "x" }', '{"a":{"b":"y"}}')).toBe(true);
    expect(matchesFilter('{ $.a.b != "x" }', '{"a":{}}')).toBe(false);
  });

  it('alarms read the totals (never disabled by the number of accounts) and page on any quarantined record', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'logwarden-remediation-failures',
      Namespace: 'logwarden',
      MetricName: 'Failures',
      Statistic: 'Sum',
      Dimensions: Match.absent(),
      Threshold: 1,
      AlarmActions: [Match.anyValue()],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'logwarden-origin-mismatch',
      Namespace: 'logwarden',
      MetricName: 'OriginMismatch',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [Match.anyValue()],
      AlarmDescription: Match.stringLikeRegexp('runbooks/origin\\.md'),
    });
  });

  it('the dashboard counts admitted records by account and lists the quarantined ones', () => {
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('stats count(*) as records by guardrail, outcome, account');
    expect(body).toMatch(/SELECT SUM\(Failures\) FROM SCHEMA\(\\+"logwarden\\+", account\) GROUP BY account/);
    const logs = stack.getLogicalId(
      (stack.node.findAll().find((c) => c instanceof OriginCheck) as OriginCheck).logGroup.node.defaultChild as CfnLogGroup,
    );
    // The counts and the quarantine read the origin check's log group.
    expect(body.split(`"SOURCE '",{"Ref":"${logs}"}`)).toHaveLength(4);
    expect(body).toContain('fields @timestamp, reason, account, claimedAccount');
    expect(body).toContain('OriginMismatchAlarm');
  });
});

describe('the origin check’s role', () => {
  it('holds exactly its log-writing statement', () => {
    const check = stack.node.findAll().find((c): c is OriginCheck => c instanceof OriginCheck);
    if (!check) throw new Error('no origin check');
    const synthesized = statementsOf(template, stack, check.role);
    expect(actionsOf(synthesized)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it.each([
    ['PutLogEvents to its group', 'logs:PutLogEvents', '/logwarden/origin-check', 'allowed'],
    ['PutLogEvents to the audit group', 'logs:PutLogEvents', '/logwarden/audit', 'implicit-deny'],
    ['DeleteLogGroup of its group', 'logs:DeleteLogGroup', '/logwarden/origin-check', 'implicit-deny'],
    ['PutEvents', 'events:PutEvents', '/logwarden/origin-check', 'implicit-deny'],
  ] as const)('by evaluation — %s: %s', (_name, action, group, decision) => {
    const arn = (g: string) => `arn:aws:logs:us-east-1:222222222222:log-group:${g}:*`;
    const doc = { Version: '2012-10-17', Statement: originCheckStatements(arn('/logwarden/origin-check')) };
    expect(evaluate([doc], { action, resource: arn(group), context: {} })).toBe(decision);
  });

  it('cdk-nag finds nothing unacknowledged in the central stack', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId)}`)).toEqual([]);
  });
});
