import {
  Aws,
  aws_cloudwatch as cloudwatch,
  aws_config as config,
  Duration,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  type StackProps,
  aws_s3 as s3,
  aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { configRuleName } from '../controllers/core/config-rule.js';
import type { AnyGuardrail } from '../controllers/core/types.js';
import { HEARTBEAT_RULE_NAME } from '../controllers/heartbeat/index.js';
import { type Bundle, Bundler, type FunctionKind } from './bundle.js';
import { type Deployment, ROLE_PATH } from './config.js';
import { acknowledge, acknowledgeFindings } from './nag.js';
import { alarmStatePattern, cloudTrailPatterns, configCompliancePattern, toCdkPattern } from './patterns.js';
import { controllerGrants, evaluatorGrants, type Grant } from './permissions.js';

/** The controllers' state table (flapping history, leases), one per account and region. */
export const STATE_TABLE_NAME = 'logwarden-state';
/** What the controllers call on it: read, conditional write, lease release. */
export const STATE_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'] as const;

export interface MemberStackProps extends StackProps {
  deployment: Deployment;
  /** Shared by the stacks of one app so that each bundle is built once. */
  bundler?: Bundler;
}

/** One deployed function, for tests and the size report. */
export interface DeployedFunction {
  guardrail: string;
  kind: FunctionKind;
  functionName: string;
  fn: lambda.Function;
  role: iam.Role;
  bundle: Bundle;
  grants: Grant[];
}

/**
 * The access-log target bucket's name: the bucket-logging guardrail's `logBucket` template when that
 * guardrail is enabled (so the bucket the guardrail points buckets at is the one created here), else
 * `logwarden-access-logs-{account}-{region}`. Placeholders become `${AWS::AccountId}`/`${AWS::Region}`.
 */
export function accessLogBucketName(policy: Deployment['policy']): string {
  const section = policy.guardrails['bucket-logging'] as { logBucket?: { template?: string; prefix?: string } } | undefined;
  const template = section?.logBucket?.template ?? '{prefix}-{account}-{region}';
  const prefix = section?.logBucket?.prefix ?? 'logwarden-access-logs';
  return template.replace(/\{(prefix|account|region)\}/g, (_, name: string) =>
    name === 'prefix' ? prefix : name === 'account' ? Aws.ACCOUNT_ID : Aws.REGION,
  );
}

/**
 * logwarden in one account and region: per enabled guardrail a controller function (its role built
 * from the guardrail's declared actions), a DLQ with an alarm, the CloudTrail, Config compliance and
 * sweep rules, and a Config custom rule with its read-only evaluator; a heartbeat; the region's
 * S3 access-log target bucket and the flow-log destination.
 */
export class MemberStack extends Stack {
  readonly functions: DeployedFunction[] = [];
  readonly rules: { name: string; guardrail: string; purpose: 'cloudtrail' | 'compliance' | 'sweep' | 'heartbeat' | 'alarms' }[] =
    [];
  private readonly d: Deployment;
  private readonly bundler: Bundler;
  /** Per-resource state of the controllers: flapping history and leases (controllers/core/flapping.ts, lease.ts). */
  readonly stateTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, props);
    this.d = props.deployment;
    this.bundler = props.bundler ?? new Bundler();
    const member = this.d.config.member;
    const ownRolePrefix = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${ROLE_PATH}`;

    this.stateTable = this.stateTableResource();
    for (const g of this.d.guardrails) this.guardrail(g, ownRolePrefix);

    // Heartbeat: one audit record per account and region on a schedule.
    const hb = this.fn('heartbeat', undefined, 'logwarden-heartbeat', [], Duration.seconds(30), undefined);
    this.rule(HEARTBEAT_RULE_NAME, 'heartbeat', 'heartbeat', {
      schedule: events.Schedule.expression(member.heartbeatSchedule),
      targets: [new targets.LambdaFunction(hb.fn, { retryAttempts: 2, maxEventAge: Duration.minutes(15) })],
    });

    // DLQ alarms of this deployment reach the central bus (and its alerts topic).
    const forwarder = new iam.Role(this, 'AlarmForwarderRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'EventBridge: forwards logwarden alarm state changes to the central audit bus',
      inlinePolicies: {
        PutToCentralBus: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.d.bus.arn] })],
        }),
      },
    });
    this.rule('logwarden-alarms-to-central', '-', 'alarms', {
      eventPattern: toCdkPattern(alarmStatePattern()),
      targets: [new targets.EventBus(events.EventBus.fromEventBusArn(this, 'CentralBus', this.d.bus.arn), { role: forwarder })],
    });

    if (member.accessLogBucket.enabled) this.accessLogBucket(member.accessLogBucket.expireAfterDays);
    if (member.flowLogs.destination === 'cloud-watch-logs') this.flowLogDestination(member.flowLogs.retentionDays);
  }

  /** Ephemeral state: every item carries a TTL (`expiresAt`); losing it only resets flap counts and leases. */
  private stateTableResource() {
    const table = new dynamodb.Table(this, 'State', {
      tableName: STATE_TABLE_NAME,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      table,
      'AwsSolutions-DDB3',
      'Ephemeral controller state with a TTL of at most the flapping window (flap counts, 30 s leases): nothing to recover to a point in time.',
    );
    return table;
  }

  private guardrail(g: AnyGuardrail, ownRolePrefix: string) {
    const policy = this.d.policy;
    const section = policy.guardrails[g.name];
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

    const controller = this.fn(
      'controller',
      g,
      `logwarden-${g.name}`,
      controllerGrants(g, section, Aws.ACCOUNT_ID),
      Duration.minutes(5),
      dlq,
    );
    const target = () =>
      new targets.LambdaFunction(controller.fn, {
        deadLetterQueue: dlq,
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      });

    cloudTrailPatterns(g, ownRolePrefix).forEach((pattern, i) => {
      this.rule(`logwarden-${g.name}-cloudtrail${i === 0 ? '' : `-${i + 1}`}`, g.name, 'cloudtrail', {
        description: `logwarden ${g.name}: CloudTrail API calls that may weaken logging`,
        eventPattern: toCdkPattern(pattern),
        targets: [target()],
      });
    });
    const ruleName = configRuleName(g.name);
    this.rule(`logwarden-${g.name}-compliance`, g.name, 'compliance', {
      description: `logwarden ${g.name}: its Config rule found a non-compliant resource`,
      eventPattern: toCdkPattern(configCompliancePattern(ruleName)),
      targets: [target()],
    });
    this.rule(`logwarden-sweep-${g.name}`, g.name, 'sweep', {
      description: `logwarden ${g.name}: periodic sweep of every governed resource`,
      schedule: events.Schedule.expression(policy.controller.sweepSchedule),
      targets: [target()],
    });

    // The Config rule: the same detection code, read-only, reported with PutEvaluations.
    const evaluator = this.fn('config-rule', g, `logwarden-${g.name}-config-rule`, evaluatorGrants(g), Duration.minutes(5), dlq);
    evaluator.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ReportEvaluations', actions: ['config:PutEvaluations'], resources: ['*'] }),
    );
    acknowledge(
      evaluator.role,
      'AwsSolutions-IAM5',
      'config:PutEvaluations supports no resource-level permissions; the result token ties it to the invoking rule.',
      'Resource::*',
    );
    // L1 on purpose: the L2 CustomRule attaches AWSConfigRulesExecutionRole (broad reads) to the evaluator's role.
    const invoke = new lambda.CfnPermission(this, `${g.name}-ConfigRuleInvoke`, {
      action: 'lambda:InvokeFunction',
      functionName: evaluator.fn.functionArn,
      principal: 'config.amazonaws.com',
      sourceAccount: Aws.ACCOUNT_ID,
    });
    const rule = new config.CfnConfigRule(this, `${g.name}-ConfigRule`, {
      configRuleName: ruleName,
      description: `logwarden ${g.name}: ${g.title} (exempt resources are NOT_APPLICABLE; see ${g.runbook})`,
      source: {
        owner: 'CUSTOM_LAMBDA',
        sourceIdentifier: evaluator.fn.functionArn,
        sourceDetails: [
          { eventSource: 'aws.config', messageType: 'ConfigurationItemChangeNotification' },
          { eventSource: 'aws.config', messageType: 'OversizedConfigurationItemChangeNotification' },
          {
            eventSource: 'aws.config',
            messageType: 'ScheduledNotification',
            maximumExecutionFrequency: this.d.config.member.configRuleFrequency,
          },
        ],
      },
      scope: { complianceResourceTypes: [g.resourceType] },
    });
    rule.node.addDependency(invoke);
  }

  private rule(name: string, guardrail: string, purpose: MemberStack['rules'][number]['purpose'], props: events.RuleProps) {
    this.rules.push({ name, guardrail, purpose });
    return new events.Rule(this, `Rule-${name}`, { ruleName: name, ...props });
  }

  private fn(
    kind: FunctionKind,
    g: AnyGuardrail | undefined,
    functionName: string,
    grants: Grant[],
    timeout: Duration,
    dlq: sqs.IQueue | undefined,
  ): DeployedFunction {
    const id = functionName;
    const logGroup = new logs.LogGroup(this, `${id}-Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: this.d.config.member.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const statements = grants.map((gr) => new iam.PolicyStatement({ sid: gr.sid, actions: gr.actions, resources: gr.resources }));
    statements.push(
      new iam.PolicyStatement({
        sid: 'OwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    if (kind !== 'config-rule') {
      statements.push(
        new iam.PolicyStatement({ sid: 'PublishAuditRecords', actions: ['events:PutEvents'], resources: [this.d.bus.arn] }),
      );
    }
    if (kind === 'controller') {
      statements.push(
        new iam.PolicyStatement({
          sid: 'ControllerState',
          actions: [...STATE_TABLE_ACTIONS],
          resources: [this.stateTable.tableArn],
        }),
      );
    }
    const role = new iam.Role(this, `${id}-Role`, {
      path: ROLE_PATH,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `logwarden ${functionName}: exactly the actions the code calls`,
      inlinePolicies: { Logwarden: new iam.PolicyDocument({ statements }) },
    });
    // Scoped resources that still hold a wildcard (any detector, any region) are the guardrail's own choice.
    const wildcards = grants
      .filter((gr) => gr.sid.startsWith('GuardrailScoped'))
      .flatMap((gr) => gr.resources)
      .filter((r) => r !== '*' && r.includes('*'));
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      'Scoped statement declared by the guardrail (scopedPermissions): the account is narrowed to this one; the remaining wildcard names resources created at run time (a new detector, a service-linked role).',
      [...new Set(wildcards)].map((r) => `Resource::${r.split(Aws.ACCOUNT_ID).join('<AWS::AccountId>')}`),
    );
    if (grants.some((gr) => gr.resources.includes('*'))) {
      acknowledge(
        role,
        'AwsSolutions-IAM5',
        'Exact actions only (no action wildcards). Which trails, VPCs, buckets and detectors are governed is decided at run time by the policy and the triggering event, so the declared actions are granted on *; per-resource permissions (iam:PassRole) come from the guardrail as scoped statements.',
        'Resource::*',
      );
    }
    const b = this.bundler.bundle(
      g ? { kind: kind as 'controller' | 'config-rule', guardrail: g.name } : { kind: 'heartbeat' },
      this.d.policyJson,
    );
    const fn = new lambda.Function(this, id, {
      functionName,
      description: g ? `logwarden ${g.name} ${kind}` : 'logwarden heartbeat',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(b.dir),
      memorySize: kind === 'heartbeat' ? 128 : 256,
      timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        LOGWARDEN_ACCOUNT_ID: Aws.ACCOUNT_ID,
        ...(kind === 'controller' ? { LOGWARDEN_STATE_TABLE: this.stateTable.tableName } : {}),
      },
      retryAttempts: kind === 'controller' ? this.d.config.member.retryAttempts : 0,
      maxEventAge: Duration.minutes(this.d.config.member.maxEventAgeMinutes),
      deadLetterQueue: dlq,
    });
    acknowledge(
      fn,
      'AwsSolutions-L1',
      'Pinned to nodejs22.x on purpose: the bundles are built for and tested on Node 22; a runtime upgrade is a reviewed change, not a drift.',
    );
    const deployed: DeployedFunction = { guardrail: g?.name ?? 'heartbeat', kind, functionName, fn, role, bundle: b, grants };
    this.functions.push(deployed);
    return deployed;
  }

  /** The region's S3 server access-log target bucket. */
  private accessLogBucket(expireAfterDays: number) {
    const bucket = new s3.Bucket(this, 'AccessLogTarget', {
      bucketName: accessLogBucketName(this.d.policy),
      // Access-log targets cannot use SSE-KMS default encryption nor Object Lock default retention.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(expireAfterDays),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'S3ServerAccessLogsFromThisAccount',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('*')],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    acknowledge(
      bucket,
      'AwsSolutions-S1',
      'This is the access-log target bucket itself; logging it into itself would loop and another bucket would only move the problem.',
    );
    return bucket;
  }

  /** A log group and delivery role for VPC flow logs (when they go to CloudWatch Logs). */
  private flowLogDestination(retentionDays: number) {
    const group = new logs.LogGroup(this, 'FlowLogs', {
      logGroupName: '/logwarden/vpc-flow-logs',
      retention: retentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new iam.Role(this, 'FlowLogsDeliveryRole', {
      roleName: `logwarden-flow-logs-${Aws.REGION}`,
      description: 'VPC Flow Logs delivery into the logwarden flow-log group',
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:vpc-flow-log/*` },
        },
      }),
      inlinePolicies: {
        Deliver: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
              resources: [group.logGroupArn],
            }),
          ],
        }),
      },
    });
  }
}
