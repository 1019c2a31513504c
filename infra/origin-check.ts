import {
  Aws,
  Duration,
  type aws_events as events,
  aws_iam as iam,
  type aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ROLE_PATH } from '../controllers/core/identity.js';
import { ORIGIN_CHECK_FUNCTION_NAME, ORIGIN_CHECK_LOG_GROUP } from '../controllers/origin-check/index.js';
import type { Bundle } from './bundle.js';
import { Group } from './group.js';
import type { StatementJson } from './heartbeat-monitor.js';
import { acknowledge } from './nag.js';

/**
 * The origin check's role: it only writes its verdict lines to its own log group (the function
 * calls no AWS API). Pure; the ARN may be a CDK token.
 */
export function originCheckStatements(logGroupArn: string): StatementJson[] {
  return [
    { Sid: 'OwnLogGroup', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [logGroupArn] },
  ];
}

export interface OriginCheckProps {
  bundle: Bundle;
  /** The central rule of every audit record (infra/audit-pipeline.ts `AuditFeed`): the function becomes one of its targets. */
  auditRule: events.Rule;
  key: kms.IKey;
  logRetentionDays: number;
}

/**
 * The central origin check (#13 item 2): a target of the audit rule next to the stream and the audit
 * log group. For every record it compares `detail.account` with the envelope's `account` and writes
 * one verdict line to `/logwarden/origin-check`; the counting metric filters read the `admitted`
 * lines only, the `OriginMismatch` filter the `quarantined` ones (infra/audit-alarms.ts).
 */
export class OriginCheck extends Group {
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
  readonly fn: lambda.Function;

  constructor(scope: Construct, id: string, props: OriginCheckProps) {
    super(scope, id);
    // Retained: the quarantined lines are evidence (each holds the whole forged event).
    this.logGroup = new logs.LogGroup(this, 'OriginCheckLogs', {
      logGroupName: ORIGIN_CHECK_LOG_GROUP,
      retention: props.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'OriginCheckRole', {
      roleName: `${ORIGIN_CHECK_FUNCTION_NAME}-${Aws.REGION}`,
      path: ROLE_PATH,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `logwarden ${ORIGIN_CHECK_FUNCTION_NAME}: writes its verdict lines, nothing else`,
      inlinePolicies: {
        Logwarden: iam.PolicyDocument.fromJson({
          Version: '2012-10-17',
          Statement: originCheckStatements(this.logGroup.logGroupArn),
        }),
      },
    });
    this.fn = this.checkFunction(props.bundle, this.role);
    // The function never throws; retries only cover throttling, for as long as EventBridge allows.
    props.auditRule.addTarget(new targets.LambdaFunction(this.fn, { retryAttempts: 185, maxEventAge: Duration.hours(24) }));
  }

  private checkFunction(bundle: Bundle, role: iam.IRole): lambda.Function {
    const fn = new lambda.Function(this, ORIGIN_CHECK_FUNCTION_NAME, {
      functionName: ORIGIN_CHECK_FUNCTION_NAME,
      description: 'logwarden: counts an audit record only when its account is the one EventBridge says sent it',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundle.dir),
      memorySize: 128,
      timeout: Duration.seconds(10),
      role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
    });
    acknowledge(
      fn,
      'AwsSolutions-L1',
      'Pinned to nodejs22.x on purpose: the bundles are built for and tested on Node 22; a runtime upgrade is a reviewed change, not a drift.',
    );
    return fn;
  }
}
