import {
  Aws,
  type Duration,
  type aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type FunctionKind, functionRoleName, ROLE_PATH } from '../controllers/core/identity.js';
import type { Bundle } from './bundle.js';
import { Group } from './group.js';
import { acknowledge, acknowledgeFindings } from './nag.js';
import type { Grant } from './permissions.js';

/** What the controllers call on their state table: read, conditional write, lease release. */
export const STATE_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'] as const;
/** The one inline policy of every function role: no other inline policy, no managed policy. */
export const ROLE_POLICY_NAME = 'Logwarden';

/** The resources a function's role statements name besides its grants (ARNs, or CDK tokens, or placeholders). */
export interface RoleStatementResources {
  logGroupArn: string;
  auditBusArn?: string;
  auditSigningKeyArn?: string;
  stateTableArn?: string;
  deadLetterQueueArn?: string;
}

/**
 * Every statement of a function's role, in order: its grants, its own log group, the audit bus, the
 * state table, the dead-letter queue. Each has a Sid, so the integrity check can name what was
 * added or removed. Pure: the member stack calls it with CDK tokens, the manifest with placeholders.
 */
export function roleStatements(grants: readonly Grant[], r: RoleStatementResources): Grant[] {
  const out: Grant[] = grants.map((g) => ({ ...g, actions: [...g.actions], resources: [...g.resources] }));
  out.push({ sid: 'OwnLogGroup', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [r.logGroupArn] });
  if (r.auditBusArn) out.push({ sid: 'PublishAuditRecords', actions: ['events:PutEvents'], resources: [r.auditBusArn] });
  if (r.auditSigningKeyArn) out.push({ sid: 'SignAuditRecords', actions: ['kms:Sign'], resources: [r.auditSigningKeyArn] });
  if (r.stateTableArn) out.push({ sid: 'ControllerState', actions: [...STATE_TABLE_ACTIONS], resources: [r.stateTableArn] });
  if (r.deadLetterQueueArn) out.push({ sid: 'DeadLetterQueue', actions: ['sqs:SendMessage'], resources: [r.deadLetterQueueArn] });
  return out;
}

/** One deployed function, for tests and the size report. */
export interface DeployedFunction {
  /** The guardrail it serves, or `heartbeat`. */
  guardrail: string;
  kind: FunctionKind;
  functionName: string;
  fn: lambda.Function;
  role: iam.Role;
  bundle: Bundle;
  grants: Grant[];
}

export interface LogwardenFunctionProps {
  kind: FunctionKind;
  guardrail: string;
  functionName: string;
  description: string;
  /** The code, built before the construct (see `bundleList`). */
  bundle: Bundle;
  /** What the code calls, from the guardrail's declarations. The function's own log group is added. */
  grants: Grant[];
  timeout: Duration;
  memorySize: number;
  logRetentionDays: number;
  /** The central audit bus, when the function publishes audit records. */
  auditBusArn?: string;
  /** The key that signs its audit records (policy `audit.signingKey`), when one is configured. */
  auditSigningKeyArn?: string;
  /** The controllers' state table, when the function keeps flapping history and leases there. */
  stateTable?: dynamodb.ITable;
  retryAttempts: number;
  maxEventAge: Duration;
  deadLetterQueue?: sqs.IQueue;
}

/**
 * One logwarden function: its log group, a role with a fixed name (`functionRoleName`) on the
 * `/logwarden/` path with exactly the granted
 * statements (no managed policy), and the function from its bundle (nodejs22.x, arm64, JSON logs).
 * Its resources are named after `id` (the function's name), as they were before this construct.
 */
export class LogwardenFunction extends Group implements DeployedFunction {
  readonly guardrail: string;
  readonly kind: FunctionKind;
  readonly functionName: string;
  readonly bundle: Bundle;
  readonly grants: Grant[];
  readonly role: iam.Role;
  readonly fn: lambda.Function;

  constructor(scope: Construct, id: string, props: LogwardenFunctionProps) {
    super(scope, id);
    this.guardrail = props.guardrail;
    this.kind = props.kind;
    this.functionName = props.functionName;
    this.bundle = props.bundle;
    this.grants = props.grants;
    const logGroup = new logs.LogGroup(this, `${id}-Logs`, {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = this.roleFor(id, props, logGroup);
    this.fn = new lambda.Function(this, id, {
      functionName: props.functionName,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      // The zip as is (no re-zipping by CDK), so its hash is the bundle's `codeSha256`.
      code: lambda.Code.fromAsset(props.bundle.zipFile),
      memorySize: props.memorySize,
      timeout: props.timeout,
      // Every statement is in the role's one inline policy (the dead-letter queue's too): no DefaultPolicy.
      role: this.role.withoutPolicyUpdates(),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        LOGWARDEN_ACCOUNT_ID: Aws.ACCOUNT_ID,
        ...(props.stateTable ? { LOGWARDEN_STATE_TABLE: props.stateTable.tableName } : {}),
      },
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      deadLetterQueue: props.deadLetterQueue,
    });
    acknowledge(
      this.fn,
      'AwsSolutions-L1',
      'Pinned to nodejs22.x on purpose: the bundles are built for and tested on Node 22; a runtime upgrade is a reviewed change, not a drift.',
    );
  }

  /** The grants, the own log group, the audit bus, the state table and the DLQ: one inline policy, nothing else. */
  private roleFor(id: string, props: LogwardenFunctionProps, logGroup: logs.ILogGroup): iam.Role {
    const statements = roleStatements(props.grants, {
      logGroupArn: logGroup.logGroupArn,
      auditBusArn: props.auditBusArn,
      auditSigningKeyArn: props.auditSigningKeyArn,
      stateTableArn: props.stateTable?.tableArn,
      deadLetterQueueArn: props.deadLetterQueue?.queueArn,
    }).map((s) => new iam.PolicyStatement({ sid: s.sid, actions: s.actions, resources: s.resources, conditions: s.conditions }));
    const role = new iam.Role(this, `${id}-Role`, {
      // A fixed name, so that the policy and the rules can name logwarden's roles exactly (config.ts).
      roleName: functionRoleName(props.kind, props.guardrail, Aws.REGION),
      path: ROLE_PATH,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `logwarden ${props.functionName}: exactly the actions the code calls`,
      inlinePolicies: { [ROLE_POLICY_NAME]: new iam.PolicyDocument({ statements }) },
    });
    acknowledgeWildcards(role, props.grants);
    return role;
  }
}

/** The cdk-nag acknowledgements of the resource wildcards a role's grants hold, each with its reason. */
function acknowledgeWildcards(role: iam.Role, grants: readonly Grant[]): void {
  // Scoped resources that still hold a wildcard (any detector, any region) are the guardrail's own choice.
  const wildcards = grants
    .filter((gr) => gr.sid.startsWith('GuardrailScoped'))
    .flatMap((gr) => gr.resources)
    .filter((r) => r !== '*' && r.includes('*'));
  acknowledgeFindings(
    role,
    'AwsSolutions-IAM5',
    'Scoped statement declared by the guardrail (scopedPermissions): the account is narrowed to this one; the remaining wildcard names resources created at run time (a new detector, a service-linked role) or every resource of a kind the guardrail governs (any VPC, any data bucket of the account).',
    [...new Set(wildcards)].map(
      (r) => `Resource::${r.split(Aws.ACCOUNT_ID).join('<AWS::AccountId>').split(Aws.PARTITION).join('<AWS::Partition>')}`,
    ),
  );
  // The guardrail's declared actions only; other `*` grants (PutEvaluations, the health check) are acknowledged where they are made.
  if (grants.some((gr) => gr.sid.startsWith('Guardrail') && gr.resources.includes('*'))) {
    acknowledge(
      role,
      'AwsSolutions-IAM5',
      'Exact actions only (no action wildcards). Only the declared actions the guardrail justifies in writing (unscopedActions: reads, and writes without resource-level permissions) are on *; every other write is a scoped statement on the resources the policy names (#17).',
      'Resource::*',
    );
  }
}
