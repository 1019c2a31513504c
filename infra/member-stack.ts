import {
  Aws,
  Duration,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  RemovalPolicy,
  type StackProps,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ownRoleArnsIn } from '../controllers/core/policy.js';
import { HEARTBEAT_RULE_NAME } from '../controllers/heartbeat/index.js';
import { type Bundle, Bundler, type BundleTarget, BundlingError, bundleList, bundleName } from './bundle.js';
import type { Deployment } from './config.js';
import { type DeployedFunction, LogwardenFunction } from './function.js';
import { Group, GroupedStack } from './group.js';
import { type DeployedRule, GuardrailDeployment, namedRule } from './guardrail-deployment.js';
import { acknowledge } from './nag.js';
import { alarmStatePattern, toCdkPattern } from './patterns.js';

export { type DeployedFunction, STATE_TABLE_ACTIONS } from './function.js';
export type { DeployedRule } from './guardrail-deployment.js';

/** The controllers' state table (flapping history, leases), one per account and region. */
export const STATE_TABLE_NAME = 'logwarden-state';

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

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, props);
    const d = props.deployment;
    const code = buildCode(props.bundler ?? new Bundler(d.registry), d);
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
    const heartbeat = new Heartbeat(this, 'Heartbeat', { deployment: d, bundle: code({ kind: 'heartbeat' }) });
    const forwarding = new AlarmForwarding(this, 'AlarmForwarding', { centralBusArn: d.bus.arn });
    this.functions = [...this.guardrails.flatMap((x) => [x.controller, x.evaluator]), heartbeat.function];
    this.rules = [...this.guardrails.flatMap((x) => x.rules), heartbeat.rule, forwarding.rule];
  }
}

/** Every function's code, built before any construct from the one list of what is deployed (`bundleList`). */
function buildCode(bundler: Bundler, d: Deployment): (target: BundleTarget) => Bundle {
  const built = new Map(bundleList({ guardrails: d.guardrails }).map((t) => [bundleName(t), bundler.bundle(t, d.policyJson)]));
  return (target) => {
    const b = built.get(bundleName(target));
    if (!b) throw new BundlingError(`${bundleName(target)} is not in the member stack's bundle list`);
    return b;
  };
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
}

/** The heartbeat: one audit record per account and region on a schedule, so that a silenced deployment shows. */
class Heartbeat extends Group {
  readonly function: LogwardenFunction;
  readonly rule: DeployedRule;

  constructor(scope: Construct, id: string, props: HeartbeatProps) {
    super(scope, id);
    const member = props.deployment.config.member;
    this.function = new LogwardenFunction(this, 'logwarden-heartbeat', {
      kind: 'heartbeat',
      guardrail: 'heartbeat',
      functionName: 'logwarden-heartbeat',
      description: 'logwarden heartbeat',
      bundle: props.bundle,
      grants: [],
      timeout: Duration.seconds(30),
      memorySize: 128,
      logRetentionDays: member.logRetentionDays,
      auditBusArn: props.deployment.bus.arn,
      auditSigningKeyArn: props.deployment.policy.audit.signingKey,
      retryAttempts: 0,
      maxEventAge: Duration.minutes(member.maxEventAgeMinutes),
    });
    this.rule = namedRule(
      this,
      HEARTBEAT_RULE_NAME,
      { guardrail: 'heartbeat', purpose: 'heartbeat' },
      {
        schedule: events.Schedule.expression(member.heartbeatSchedule),
        targets: [new targets.LambdaFunction(this.function.fn, { retryAttempts: 2, maxEventAge: Duration.minutes(15) })],
      },
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
      'logwarden-alarms-to-central',
      { guardrail: '-', purpose: 'alarms' },
      { eventPattern: toCdkPattern(alarmStatePattern()), targets: [new targets.EventBus(bus, { role })] },
    );
  }
}
