import {
  Aws,
  aws_cloudwatch as cloudwatch,
  aws_config as config,
  Duration,
  type aws_dynamodb as dynamodb,
  aws_events as events,
  aws_lambda as lambda,
  aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { configRuleName } from '../controllers/core/config-rule.js';
import { type Policy, sweepScheduleOf } from '../controllers/core/policy.js';
import type { AnyGuardrail } from '../controllers/core/types.js';
import type { Bundle } from './bundle.js';
import type { Deployment, HookWithConfig } from './config.js';
import { LogwardenFunction } from './function.js';
import { Group } from './group.js';
import { acknowledge } from './nag.js';
import { cloudTrailPatterns, configCompliancePattern, type EventPattern, toCdkPattern } from './patterns.js';
import { controllerGrants, evaluatorGrants, type Grant } from './permissions.js';

type RulePurpose = 'cloudtrail' | 'compliance' | 'sweep' | 'heartbeat' | 'canary' | 'alarms';

/** One rule a guardrail declares, before CDK: its name, trigger (pattern or schedule) and purpose. */
export interface RuleSpec {
  name: string;
  purpose: RulePurpose;
  description: string;
  eventPattern?: EventPattern;
  schedule?: string;
}

/**
 * The rules that trigger a guardrail's controller: one per CloudTrail event source, its Config rule's
 * compliance changes, the sweep. Pure: the member stack builds them, the manifest (manifest.ts)
 * declares them; `ownRoleArns` may hold CDK tokens or placeholders.
 */
export function guardrailRuleSpecs(g: AnyGuardrail, policy: Policy, ownRoleArns: readonly string[]): RuleSpec[] {
  const cloudTrail = cloudTrailPatterns(g, ownRoleArns).map(
    (pattern, i): RuleSpec => ({
      name: `logwarden-${g.name}-cloudtrail${i === 0 ? '' : `-${i + 1}`}`,
      purpose: 'cloudtrail',
      description: `logwarden ${g.name}: CloudTrail API calls that may weaken logging`,
      eventPattern: pattern,
    }),
  );
  return [
    ...cloudTrail,
    {
      name: `logwarden-${g.name}-compliance`,
      purpose: 'compliance',
      description: `logwarden ${g.name}: its Config rule found a non-compliant resource`,
      eventPattern: configCompliancePattern(configRuleName(g.name)),
    },
    {
      name: `logwarden-sweep-${g.name}`,
      purpose: 'sweep',
      description: `logwarden ${g.name}: periodic sweep of every governed resource`,
      schedule: sweepScheduleOf(policy, g),
    },
  ];
}

/** The Config rule evaluator's grants: the guardrail's reads and the report of its evaluations. Pure. */
export function evaluatorRoleGrants(g: AnyGuardrail): Grant[] {
  // config:PutEvaluations has no resource-level permissions; the result token ties it to the invoking rule.
  return [...evaluatorGrants(g), { sid: 'ReportEvaluations', actions: ['config:PutEvaluations'], resources: ['*'] }];
}

/** One EventBridge rule of a member stack, for tests. */
export interface DeployedRule {
  name: string;
  /** The guardrail it triggers, `heartbeat`, or `-` for none. */
  guardrail: string;
  purpose: RulePurpose;
  rule: events.Rule;
}

/** An EventBridge rule named `name`; its construct id is `Rule-<name>`, which its logical id comes from. */
export function namedRule(
  scope: Construct,
  name: string,
  owner: Pick<DeployedRule, 'guardrail' | 'purpose'>,
  props: events.RuleProps,
): DeployedRule {
  return { name, ...owner, rule: new events.Rule(scope, `Rule-${name}`, { ruleName: name, ...props }) };
}

export interface GuardrailDeploymentProps {
  guardrail: AnyGuardrail;
  deployment: Deployment;
  /** The controller's and the Config rule evaluator's code. */
  code: { controller: Bundle; evaluator: Bundle };
  stateTable: dynamodb.ITable;
  /** logwarden's own role ARNs in this account and region, exactly: CloudTrail calls by them are not delivered. */
  ownRoleArns: readonly string[];
  /** The guardrail's own infrastructure (its folder's `infra.ts`), if it has any. */
  hook?: HookWithConfig;
}

/**
 * One guardrail in one account and region: a dead-letter queue with its alarm, the controller function
 * (its role built from the guardrail's declared actions), the rules that trigger it (CloudTrail calls,
 * its Config rule's compliance changes, the sweep), and the Config custom rule with its read-only
 * evaluator; then what the guardrail's infra hook adds. Its resources keep the ids they had in the
 * member stack (they are named after the guardrail).
 */
export class GuardrailDeployment extends Group {
  readonly guardrail: AnyGuardrail;
  readonly dlq: sqs.Queue;
  readonly controller: LogwardenFunction;
  readonly evaluator: LogwardenFunction;
  readonly rules: DeployedRule[];
  readonly configRule: config.CfnConfigRule;

  constructor(scope: Construct, id: string, props: GuardrailDeploymentProps) {
    super(scope, id);
    const g = props.guardrail;
    const member = props.deployment.config.member;
    this.guardrail = g;
    this.dlq = this.deadLetterQueue();
    const common = {
      guardrail: g.name,
      timeout: Duration.minutes(5),
      memorySize: 256,
      logRetentionDays: member.logRetentionDays,
      maxEventAge: Duration.minutes(member.maxEventAgeMinutes),
      deadLetterQueue: this.dlq,
    };
    this.controller = new LogwardenFunction(this, `logwarden-${g.name}`, {
      ...common,
      kind: 'controller',
      functionName: `logwarden-${g.name}`,
      description: `logwarden ${g.name} controller`,
      bundle: props.code.controller,
      grants: controllerGrants(g, props.deployment.policy.guardrails[g.name], {
        account: Aws.ACCOUNT_ID,
        partition: Aws.PARTITION,
      }),
      auditBusArn: props.deployment.bus.arn,
      auditSigningKeyArn: props.deployment.policy.audit.signingKey,
      stateTable: props.stateTable,
      retryAttempts: member.retryAttempts,
    });
    this.rules = this.triggers(props);
    // The Config rule: the same detection code, read-only, reported with PutEvaluations.
    this.evaluator = new LogwardenFunction(this, `logwarden-${g.name}-config-rule`, {
      ...common,
      kind: 'config-rule',
      functionName: `logwarden-${g.name}-config-rule`,
      description: `logwarden ${g.name} config-rule`,
      bundle: props.code.evaluator,
      grants: evaluatorRoleGrants(g),
      retryAttempts: 0,
    });
    this.configRule = this.configRuleFor(member.configRuleFrequency);
    props.hook?.hook.deploy(this, {
      deployment: props.deployment,
      policy: props.deployment.policy.guardrails[g.name],
      member,
      config: props.hook.config,
    });
  }

  private deadLetterQueue(): sqs.Queue {
    const g = this.guardrail;
    const dlq = new sqs.Queue(this, `${g.name}-Dlq`, {
      queueName: `logwarden-${g.name}-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(dlq, 'AwsSolutions-SQS3', 'This queue is the dead-letter queue of the guardrail function and its rules.');
    new cloudwatch.Alarm(this, `${g.name}-DlqAlarm`, {
      alarmName: `logwarden-${g.name}-dlq`,
      alarmDescription: `logwarden ${g.name}: events that could not be handled after all retries (see ${g.runbook})`,
      metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return dlq;
  }

  /** The CloudTrail rules (one per event source), the compliance rule and the sweep, all to the controller. */
  private triggers(props: GuardrailDeploymentProps): DeployedRule[] {
    const g = this.guardrail;
    const target = () =>
      new targets.LambdaFunction(this.controller.fn, {
        deadLetterQueue: this.dlq,
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      });
    return guardrailRuleSpecs(g, props.deployment.policy, props.ownRoleArns).map((spec) =>
      namedRule(
        this,
        spec.name,
        { guardrail: g.name, purpose: spec.purpose },
        {
          description: spec.description,
          ...(spec.eventPattern ? { eventPattern: toCdkPattern(spec.eventPattern) } : {}),
          ...(spec.schedule ? { schedule: events.Schedule.expression(spec.schedule) } : {}),
          targets: [target()],
        },
      ),
    );
  }

  /** The AWS Config custom rule `logwarden-<guardrail>`, evaluated by the read-only evaluator. */
  private configRuleFor(frequency: string): config.CfnConfigRule {
    const g = this.guardrail;
    acknowledge(
      this.evaluator.role,
      'AwsSolutions-IAM5',
      'config:PutEvaluations supports no resource-level permissions; the result token ties it to the invoking rule.',
      'Resource::*',
    );
    // L1 on purpose: the L2 CustomRule attaches AWSConfigRulesExecutionRole (broad reads) to the evaluator's role.
    const invoke = new lambda.CfnPermission(this, `${g.name}-ConfigRuleInvoke`, {
      action: 'lambda:InvokeFunction',
      functionName: this.evaluator.fn.functionArn,
      principal: 'config.amazonaws.com',
      sourceAccount: Aws.ACCOUNT_ID,
    });
    const rule = new config.CfnConfigRule(this, `${g.name}-ConfigRule`, {
      configRuleName: configRuleName(g.name),
      description: `logwarden ${g.name}: ${g.title} (exempt resources are NOT_APPLICABLE; see ${g.runbook})`,
      source: {
        owner: 'CUSTOM_LAMBDA',
        sourceIdentifier: this.evaluator.fn.functionArn,
        sourceDetails: [
          { eventSource: 'aws.config', messageType: 'ConfigurationItemChangeNotification' },
          { eventSource: 'aws.config', messageType: 'OversizedConfigurationItemChangeNotification' },
          { eventSource: 'aws.config', messageType: 'ScheduledNotification', maximumExecutionFrequency: frequency },
        ],
      },
      scope: { complianceResourceTypes: [g.resourceType] },
    });
    rule.node.addDependency(invoke);
    return rule;
  }
}
