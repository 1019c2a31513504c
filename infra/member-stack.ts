import {
  Aws,
  Duration,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  aws_logs as logs,
  RemovalPolicy,
  type StackProps,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { alarmForwarderRoleName, ROLE_PATH } from '../controllers/core/identity.js';
import { ownRoleArnsIn } from '../controllers/core/policy.js';
import { CANARY_LOG_GROUP, CANARY_RULE_NAME } from '../controllers/heartbeat/canary.js';
import { HEARTBEAT_RULE_NAME } from '../controllers/heartbeat/index.js';
import type { DeploymentManifest, ManifestPlace } from '../controllers/integrity/manifest.js';
import { type Bundle, Bundler } from './bundle.js';
import type { Deployment } from './config.js';
import { type DeployedFunction, LogwardenFunction } from './function.js';
import { Group, GroupedStack } from './group.js';
import { type DeployedRule, GuardrailDeployment, namedRule } from './guardrail-deployment.js';
import {
  ALARMS_RULE_NAME,
  buildMemberCode,
  canaryGrant,
  heartbeatGrants,
  ownedBucketPolicies,
  STATE_TABLE_NAME,
} from './manifest.js';
import { acknowledge, acknowledgeFindings } from './nag.js';
import { alarmStatePattern, canaryPattern, toCdkPattern } from './patterns.js';
import type { Grant } from './permissions.js';

export { type DeployedFunction, STATE_TABLE_ACTIONS } from './function.js';
export type { DeployedRule } from './guardrail-deployment.js';
export { STATE_TABLE_NAME } from './manifest.js';

/** The deploying account, region and partition as CDK tokens. */
const HERE: ManifestPlace = { account: Aws.ACCOUNT_ID, region: Aws.REGION, partition: Aws.PARTITION };

export interface MemberStackProps extends StackProps {
  deployment: Deployment;
  /** Shared by the stacks of one app so that each bundle is built once. */
  bundler?: Bundler;
}

/**
 * logwarden in one account and region: a `GuardrailDeployment` per enabled guardrail (with what its
 * folder's `infra.ts` adds, such as the S3 access-log target bucket), the heartbeat, the controllers'
 * state table and the forwarding of alarms to the central bus.
 */
export class MemberStack extends GroupedStack {
  readonly guardrails: GuardrailDeployment[];
  readonly functions: DeployedFunction[];
  readonly rules: DeployedRule[];
  /** Per-resource state of the controllers: flapping history and leases (controllers/core/flapping.ts, lease.ts). */
  readonly stateTable: dynamodb.Table;
  /** What this deployment declares about its own wiring (with placeholders), as the heartbeat's bundle carries it. */
  readonly manifest: DeploymentManifest;

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, props);
    const d = props.deployment;
    const memberCode = buildMemberCode(props.bundler ?? new Bundler(d.registry), d);
    const code = memberCode.bundle;
    this.manifest = memberCode.manifest;
    this.stateTable = new StateTable(this, 'StateTable').table;
    // This stack's region only: other regions' controllers act on (and are logged in) their own region. A
    // shorter list only lets more events through to the controller, whose filter knows every region.
    const ownRoleArns = ownRoleArnsIn(d.policy.controller, Aws.ACCOUNT_ID, [Aws.REGION]);
    this.guardrails = d.guardrails.map(
      (g) =>
        new GuardrailDeployment(this, g.name, {
          guardrail: g,
          deployment: d,
          code: {
            controller: code({ kind: 'controller', guardrail: g.name }),
            evaluator: code({ kind: 'config-rule', guardrail: g.name }),
          },
          stateTable: this.stateTable,
          ownRoleArns,
          hook: d.hooks.get(g.name),
        }),
    );
    const heartbeat = new Heartbeat(this, 'Heartbeat', {
      deployment: d,
      bundle: code({ kind: 'heartbeat' }),
      stateTable: this.stateTable,
    });
    const forwarding = new AlarmForwarding(this, 'AlarmForwarding', { centralBusArn: d.bus.arn });
    this.functions = [...this.guardrails.flatMap((x) => [x.controller, x.evaluator]), heartbeat.function];
    this.rules = [...this.guardrails.flatMap((x) => x.rules), heartbeat.rule, heartbeat.canaryRule, forwarding.rule];
  }
}

/** The controllers' state table. Ephemeral: every item carries a TTL (`expiresAt`); losing it only resets flap counts and leases. */
class StateTable extends Group {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'State', {
      tableName: STATE_TABLE_NAME,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.table,
      'AwsSolutions-DDB3',
      'Ephemeral controller state with a TTL of at most the flapping window (flap counts, 30 s leases): nothing to recover to a point in time.',
    );
  }
}

interface HeartbeatProps {
  deployment: Deployment;
  bundle: Bundle;
  /** Where the event path canary keeps its state. */
  stateTable: dynamodb.ITable;
}

/**
 * The heartbeat: one audit record per account and region on a schedule, so that a silenced deployment
 * shows; and the event path canary: an empty log group it tags each beat, and the rule that hands the
 * CloudTrail event of that write back to it.
 */
class Heartbeat extends Group {
  readonly function: LogwardenFunction;
  readonly rule: DeployedRule;
  readonly canaryRule: DeployedRule;

  constructor(scope: Construct, id: string, props: HeartbeatProps) {
    super(scope, id);
    const member = props.deployment.config.member;
    const buckets = ownedBucketPolicies(props.deployment, HERE).map((b) => b.bucket);
    const grants = [...heartbeatGrants(HERE, buckets), canaryGrant(HERE)];
    this.function = new LogwardenFunction(this, 'logwarden-heartbeat', {
      kind: 'heartbeat',
      guardrail: 'heartbeat',
      functionName: 'logwarden-heartbeat',
      description: 'logwarden heartbeat',
      bundle: props.bundle,
      grants,
      timeout: Duration.seconds(30),
      memorySize: 128,
      logRetentionDays: member.logRetentionDays,
      auditBusArn: props.deployment.bus.arn,
      auditSigningKeyArn: props.deployment.policy.audit.signingKey,
      stateTable: props.stateTable,
      retryAttempts: 0,
      maxEventAge: Duration.minutes(member.maxEventAgeMinutes),
    });
    acknowledgeHealthCheck(this.function.role, grants);
    this.rule = namedRule(
      this,
      HEARTBEAT_RULE_NAME,
      { guardrail: 'heartbeat', purpose: 'heartbeat' },
      {
        schedule: events.Schedule.expression(member.heartbeatSchedule),
        targets: [new targets.LambdaFunction(this.function.fn, { retryAttempts: 2, maxEventAge: Duration.minutes(15) })],
      },
    );
    // Never written to: no log events, nothing stored. Only its tag changes, each beat. The member
    // retention all the same, so the template linters hold it to the same rule as the other groups.
    new logs.LogGroup(this, 'CanaryLogGroup', {
      logGroupName: CANARY_LOG_GROUP,
      retention: member.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.canaryRule = namedRule(
      this,
      CANARY_RULE_NAME,
      { guardrail: 'heartbeat', purpose: 'canary' },
      {
        eventPattern: toCdkPattern(canaryPattern(HERE)),
        targets: [new targets.LambdaFunction(this.function.fn, { retryAttempts: 2, maxEventAge: Duration.minutes(15) })],
      },
    );
  }
}

/** The cdk-nag acknowledgements of the health check's wildcards: logwarden's own resources by name prefix, and `*`. */
function acknowledgeHealthCheck(role: iam.Role, grants: readonly Grant[]): void {
  const tokens = (r: string) =>
    r
      .split(Aws.ACCOUNT_ID)
      .join('<AWS::AccountId>')
      .split(Aws.REGION)
      .join('<AWS::Region>')
      .split(Aws.PARTITION)
      .join('<AWS::Partition>');
  const wildcards = grants.flatMap((g) => g.resources).filter((r) => r !== '*' && r.includes('*'));
  acknowledgeFindings(
    role,
    'AwsSolutions-IAM5',
    'Read-only health check of logwarden itself: its rules and functions are named logwarden-* and its roles are on /logwarden/ in this account and region; the prefix covers every guardrail without listing them.',
    [...new Set(wildcards)].map((r) => `Resource::${tokens(r)}`),
  );
  if (grants.some((g) => g.resources.includes('*'))) {
    acknowledge(
      role,
      'AwsSolutions-IAM5',
      'config:DescribeConfigRules has no resource-level permissions (and a Config rule ARN holds a generated id, not its name).',
      'Resource::*',
    );
  }
}

interface AlarmForwardingProps {
  centralBusArn: string;
}

/** This deployment's alarm state changes (the DLQ alarms) to the central bus, where they reach the alerts topic. */
class AlarmForwarding extends Group {
  readonly rule: DeployedRule;

  constructor(scope: Construct, id: string, props: AlarmForwardingProps) {
    super(scope, id);
    const role = new iam.Role(this, 'AlarmForwarderRole', {
      // A fixed name: the central bus policy admits exactly this role (infra/bus-policy.ts).
      roleName: alarmForwarderRoleName(Aws.REGION),
      path: ROLE_PATH,
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'EventBridge: forwards logwarden alarm state changes to the central audit bus',
      inlinePolicies: {
        PutToCentralBus: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [props.centralBusArn] })],
        }),
      },
    });
    const bus = events.EventBus.fromEventBusArn(this, 'CentralBus', props.centralBusArn);
    this.rule = namedRule(
      this,
      ALARMS_RULE_NAME,
      { guardrail: '-', purpose: 'alarms' },
      { eventPattern: toCdkPattern(alarmStatePattern()), targets: [new targets.EventBus(bus, { role })] },
    );
  }
}
