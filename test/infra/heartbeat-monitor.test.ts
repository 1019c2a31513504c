import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../controllers/companions.js';
import { MONITOR_IAM_ACTIONS } from '../../controllers/monitor/aws.js';
import { Bundler } from '../../infra/bundle.js';
import { CentralStack } from '../../infra/central-stack.js';
import { type Deployment, DeploymentConfigError, loadDeployment } from '../../infra/config.js';
import {
  HeartbeatMonitor,
  type MonitorResources,
  monitorSettings,
  monitorStatements,
  type StatementJson,
} from '../../infra/heartbeat-monitor.js';
import { exampleConfig } from '../../infra/testing.js';
import { actionsOf, statementsOf } from '../helpers/iam.js';
import { evaluate, type PolicyDocument, type RequestContext } from '../helpers/policy-eval.js';

const CENTRAL = '222222222222';
const ADMIN = '111111111111';
const TABLE = `arn:aws:dynamodb:us-east-1:${CENTRAL}:table/logwarden-heartbeats`;
const BUS = `arn:aws:events:us-east-1:${CENTRAL}:event-bus/logwarden-audit`;
const RESOURCES: MonitorResources = {
  tableArn: TABLE,
  busArn: BUS,
  logGroupArn: `arn:aws:logs:us-east-1:${CENTRAL}:log-group:/aws/lambda/logwarden-heartbeat-monitor`,
  stackSetArn: `arn:aws:cloudformation:us-east-1:${ADMIN}:stackset/logwarden-member:*`,
};

let deployment: Deployment;
let stack: CentralStack;
let template: Template;

/** A central stack of the example deployment, alone (its monitor bundle is the only one built). */
function centralStackOf(d: Deployment): CentralStack {
  // The app's feature flag (infra/app.ts): access logs by bucket policy.
  const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
  return new CentralStack(app, 'Central', {
    deployment: d,
    bundler: new Bundler(registry),
    env: { account: d.config.central.account, region: d.config.central.region },
  });
}

beforeAll(async () => {
  deployment = await loadDeployment(exampleConfig(), registry);
  stack = centralStackOf(deployment);
  template = Template.fromStack(stack);
}, 120_000);

describe('the heartbeat monitor in the central stack', () => {
  it('has its table keyed by account and region, its function with its settings, and both triggers', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'logwarden-heartbeats',
      KeySchema: [
        { AttributeName: 'account', KeyType: 'HASH' },
        { AttributeName: 'region', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'logwarden-heartbeat-monitor',
      Runtime: 'nodejs22.x',
      Environment: { Variables: Match.objectLike({ LOGWARDEN_HEARTBEAT_MONITOR: JSON.stringify(monitorSettings(deployment)) }) },
    });
    expect(monitorSettings(deployment)).toMatchObject({
      expectedFrom: 'organizations',
      heartbeatMinutes: 15,
      regions: ['us-east-1', 'eu-west-1'],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'logwarden-heartbeats',
      EventBusName: Match.anyValue(),
      EventPattern: {
        source: ['logwarden'],
        'detail-type': ['logwarden audit record'],
        detail: { guardrail: ['heartbeat'], trigger: { eventName: ['Heartbeat'] } },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'logwarden-heartbeat-check',
      ScheduleExpression: 'rate(15 minutes)',
    });
  });

  it('alarms on ≥ 1 missing heartbeat over two periods, missing data breaching, to the alerts topic; the fixed count is gone', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'logwarden-missing-heartbeats',
      Namespace: 'logwarden',
      MetricName: 'MissingHeartbeats',
      Statistic: 'Maximum',
      Period: 1800,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [Match.anyValue()],
    });
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmName: 'logwarden-silent-deployments' }, 0);
    template.resourcePropertiesCountIs('AWS::Logs::MetricFilter', { FilterPattern: '{ $.detail.guardrail = "heartbeat" }' }, 0);
  });

  it('the dashboard keys the last heartbeat on the envelope’s account and lists the missing ones', () => {
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('stats max(@timestamp) as lastHeartbeat by account, detail.region');
    expect(body).not.toContain('by detail.account, detail.region');
    expect(body).toContain('detail.trigger.eventName = \\\\\\"HeartbeatCheck\\\\\\"');
  });

  it('the role holds exactly the statements that are evaluated below', () => {
    const monitor = stack.node.findAll().find((c): c is HeartbeatMonitor => c instanceof HeartbeatMonitor);
    if (!monitor) throw new Error('no heartbeat monitor');
    const synthesized = statementsOf(template, stack, monitor.role);
    expect(actionsOf(synthesized)).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        ...MONITOR_IAM_ACTIONS.table,
        ...MONITOR_IAM_ACTIONS.organizations,
        ...MONITOR_IAM_ACTIONS.publish,
        ...MONITOR_IAM_ACTIONS.metric,
      ].sort(),
    );
    const rendered = monitorStatements('organizations', {
      tableArn: monitor.table.tableArn,
      busArn: stack.bus.eventBusArn,
      logGroupArn: monitor.logGroup.logGroupArn,
      stackSetArn: 'not used with Organizations',
    });
    // CloudFormation's JSON writes a one-element list as its element.
    const one = (v: unknown) => (Array.isArray(v) && v.length === 1 ? v[0] : v);
    const normalised = (stack.resolve(rendered) as StatementJson[]).map((st) => ({
      ...st,
      Action: one(st.Action),
      Resource: one(st.Resource),
    }));
    expect(synthesized).toEqual(normalised);
  });

  it('cdk-nag finds nothing unacknowledged in the central stack', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId)}`)).toEqual([]);
  });
});

describe('least privilege of the monitor’s role, by evaluation', () => {
  const doc = (source: 'stackset' | 'organizations'): PolicyDocument => ({
    Version: '2012-10-17',
    Statement: monitorStatements(source, RESOURCES),
  });
  const req = (action: string, resource: string, context: RequestContext['context'] = {}): RequestContext => ({
    action,
    resource,
    context,
  });
  const stackSet = (name: string, region = 'us-east-1', account = ADMIN) =>
    `arn:aws:cloudformation:${region}:${account}:stackset/${name}:0a1b2c3d-0000-1111-2222-333344445555`;

  it.each([
    ['its table: PutItem', req('dynamodb:PutItem', TABLE), 'allowed'],
    ['its table: Scan', req('dynamodb:Scan', TABLE), 'allowed'],
    ['its table: DeleteItem', req('dynamodb:DeleteItem', TABLE), 'implicit-deny'],
    ['the state table of a member', req('dynamodb:PutItem', TABLE.replace('heartbeats', 'state')), 'implicit-deny'],
    ['PutEvents on the audit bus', req('events:PutEvents', BUS), 'allowed'],
    ['PutEvents on another bus', req('events:PutEvents', BUS.replace('logwarden-audit', 'default')), 'implicit-deny'],
    ['metric in logwarden', req('cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'logwarden' }), 'allowed'],
    ['metric in another namespace', req('cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'AWS/EC2' }), 'implicit-deny'],
    ['metric without a namespace', req('cloudwatch:PutMetricData', '*'), 'implicit-deny'],
    ['ListAccounts', req('organizations:ListAccounts', '*'), 'allowed'],
    ['ListStackInstances', req('cloudformation:ListStackInstances', stackSet('logwarden-member')), 'implicit-deny'],
    ['DescribeAccount', req('organizations:DescribeAccount', '*'), 'implicit-deny'],
  ] as const)('Organizations source — %s: %s', (_name, request, decision) => {
    expect(evaluate([doc('organizations')], request)).toBe(decision);
  });

  it.each([
    ['ListStackInstances of logwarden-member', req('cloudformation:ListStackInstances', stackSet('logwarden-member')), 'allowed'],
    ['of another StackSet', req('cloudformation:ListStackInstances', stackSet('payroll')), 'implicit-deny'],
    ['in another region', req('cloudformation:ListStackInstances', stackSet('logwarden-member', 'eu-west-1')), 'implicit-deny'],
    ['DeleteStackInstances', req('cloudformation:DeleteStackInstances', stackSet('logwarden-member')), 'implicit-deny'],
    ['ListAccounts', req('organizations:ListAccounts', '*'), 'implicit-deny'],
  ] as const)('StackSet source — %s: %s', (_name, request, decision) => {
    expect(evaluate([doc('stackset')], request)).toBe(decision);
  });
});

describe('the monitor’s deployment config', () => {
  const withCentral = (central: Record<string, unknown>, top: Record<string, unknown> = {}) => {
    const cfg = exampleConfig();
    return { ...cfg, ...top, central: { ...(cfg.central as object), ...central } };
  };

  it('defaults to the StackSet only when the central account owns it', async () => {
    const own = await loadDeployment(withCentral({ heartbeatMonitor: {} }, { adminAccount: CENTRAL }), registry);
    expect(monitorSettings(own).expectedFrom).toBe('stackset');
    expect(monitorSettings(own).stackSet).toEqual({ name: 'logwarden-member', region: 'us-east-1', callAs: 'SELF' });
    const other = await loadDeployment(withCentral({ heartbeatMonitor: {} }), registry);
    expect(monitorSettings(other).expectedFrom).toBe('organizations');
  });

  it('refuses a StackSet source the central account cannot list, an unknown source and the old fixed count, naming the field', async () => {
    await expect(loadDeployment(withCentral({ heartbeatMonitor: { expectedFrom: 'stackset' } }), registry)).rejects.toThrow(
      /central\.heartbeatMonitor\.expectedFrom: stackset needs the central account 222222222222 to list the StackSet logwarden-member/,
    );
    await expect(
      loadDeployment(withCentral({ heartbeatMonitor: { expectedFrom: 'stackset' } }, { callAs: 'DELEGATED_ADMIN' }), registry),
    ).resolves.toBeDefined();
    await expect(loadDeployment(withCentral({ heartbeatMonitor: { expectedFrom: 'guess' } }), registry)).rejects.toThrow(
      /central\.heartbeatMonitor\.expectedFrom/,
    );
    const old = loadDeployment(withCentral({ expectedDeployments: 20 }), registry);
    await expect(old).rejects.toThrow(DeploymentConfigError);
    await expect(loadDeployment(withCentral({ expectedDeployments: 20 }), registry)).rejects.toThrow(/expectedDeployments/);
  });
});
