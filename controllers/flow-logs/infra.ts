import { Aws, aws_iam as iam, aws_logs as logs, RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { z } from 'zod';
import { DeploymentConfigError, retentionDaysSchema } from '../../infra/config.js';
import { Group } from '../../infra/group.js';
import { guardrailInfra } from '../../infra/guardrail-infra.js';
import { type FlowLogsPolicy, resolveDestination, type Where } from './policy.js';

/** `member.flowLogs` of the deployment config: what the member stack creates for flow-log delivery. */
export const flowLogsConfigSchema = z
  .discriminatedUnion('destination', [
    /** A log group and delivery role per account and region (created by the member stack). */
    z.object({ destination: z.literal('cloud-watch-logs'), retentionDays: retentionDaysSchema.default(365) }).strict(),
    /** A central bucket (the log archive's); the member stack creates nothing. */
    z
      .object({
        destination: z.literal('s3'),
        bucketArn: z.string().regex(/^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}(\/.*)?$/, 'must be an S3 bucket ARN'),
      })
      .strict(),
    z.object({ destination: z.literal('none') }).strict(),
  ])
  .default({ destination: 'cloud-watch-logs', retentionDays: 365 });
export type FlowLogsConfig = z.infer<typeof flowLogsConfigSchema>;

/** The log group every VPC of the account and region delivers to, when flow logs go to CloudWatch Logs. */
export const FLOW_LOG_GROUP = '/logwarden/vpc-flow-logs';

export interface FlowLogDestinationProps {
  retentionDays: number;
}

/** A log group and the role VPC Flow Logs assumes to deliver into it (only for this account's flow logs). */
export class FlowLogDestination extends Group {
  readonly logGroup: logs.LogGroup;
  readonly deliveryRole: iam.Role;

  constructor(scope: Construct, id: string, props: FlowLogDestinationProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'FlowLogs', {
      logGroupName: FLOW_LOG_GROUP,
      retention: props.retentionDays as logs.RetentionDays,
      // It holds logs: deleting the stack must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.deliveryRole = new iam.Role(this, 'FlowLogsDeliveryRole', {
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
              resources: [this.logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
  }
}

/** What the member stack creates, as ARNs of the deploying account and region (CDK tokens). */
export interface CreatedDestination {
  logGroupArn: string;
  deliveryRoleArn: string;
}

/** The ARNs of a created destination, from the names its resources are given. */
export function createdArns(d: FlowLogDestination): CreatedDestination {
  const group = (d.logGroup.node.defaultChild as logs.CfnLogGroup).logGroupName as string;
  const role = (d.deliveryRole.node.defaultChild as iam.CfnRole).roleName as string;
  return {
    logGroupArn: `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:${group}`,
    deliveryRoleArn: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${role}`,
  };
}

/** The deploying account and region: the pseudo parameters, whatever stack (StackSet or direct) deploys. */
const DEPLOYING: Where = { account: Aws.ACCOUNT_ID, region: Aws.REGION, partition: Aws.PARTITION };

/** Tokens back to placeholders, for messages. */
const readable = (s: string) =>
  s.split(Aws.ACCOUNT_ID).join('{account}').split(Aws.REGION).join('{region}').split(Aws.PARTITION).join('{partition}');
/**
 * The partition is not cross-checked: a literal `aws` is right in the commercial partition, and
 * `{partition}` is resolved at run time.
 */
const withoutPartition = (arn: string) => arn.replace(/^arn:[^:]*:/, 'arn:');

/**
 * What the policy's destination resolves to in the deploying account and region, against what the
 * member stack creates (or is told of) there. One message per field that differs; empty when they
 * agree. Pure (the ARNs hold CDK tokens).
 */
export function destinationMismatches(
  policy: FlowLogsPolicy,
  config: FlowLogsConfig,
  created: CreatedDestination | null,
): string[] {
  const d = resolveDestination(policy.destination, DEPLOYING);
  const field = 'guardrails.flow-logs.destination';
  // `none`: the destination is someone else's. A CloudWatch Logs destination (the default) with an S3
  // policy only leaves the member stack's group unused.
  if (config.destination === 'none' || (config.destination === 'cloud-watch-logs' && d.type === 's3')) return [];
  if (d.type !== config.destination) {
    return [
      `${field}.type is ${d.type} but member.flowLogs.destination is ${config.destination}: the member stack creates no log group or role for the policy to name`,
    ];
  }
  const out: string[] = [];
  const check = (name: string, resolved: string, expected: string, owner: string) => {
    if (withoutPartition(resolved) !== withoutPartition(expected)) {
      out.push(
        `${field}.${name} resolves to ${readable(resolved)} in each account and region, but ${owner} ${readable(expected)}`,
      );
    }
  };
  if (d.type === 'cloud-watch-logs' && created) {
    check('logGroupArn', d.logGroupArn, created.logGroupArn, 'the member stack creates');
    check('deliveryRoleArn', d.deliveryRoleArn, created.deliveryRoleArn, 'the member stack creates');
  }
  if (d.type === 's3' && config.destination === 's3') {
    check('bucketArn', d.bucketArn, config.bucketArn.split('/')[0] as string, 'member.flowLogs.bucketArn is');
  }
  return out;
}

/**
 * The flow-logs guardrail's infrastructure: the CloudWatch Logs destination, when the config asks
 * for it, cross-checked at synth with the policy's destination (#17 item 3): a mismatch would make
 * every account's flow logs fail delivery, so it fails synth instead, naming the field.
 */
export const infra = guardrailInfra<FlowLogsPolicy, FlowLogsConfig>({
  config: { key: 'flowLogs', schema: flowLogsConfigSchema },
  deploy(scope, { config, policy }) {
    deployFlowLogDestination(scope, config, policy);
  },
});

/** Create what `config` asks for and check it against the policy; throws DeploymentConfigError on a mismatch. */
export function deployFlowLogDestination(scope: Construct, config: FlowLogsConfig, policy: FlowLogsPolicy): void {
  const created =
    config.destination === 'cloud-watch-logs'
      ? createdArns(new FlowLogDestination(scope, 'FlowLogDestination', { retentionDays: config.retentionDays }))
      : null;
  const issues = destinationMismatches(policy, config, created);
  if (issues.length > 0) throw new DeploymentConfigError(`inconsistent flow-log destination: ${issues.join('; ')}`, issues);
}
