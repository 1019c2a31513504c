import { Aws, aws_iam as iam, aws_logs as logs, RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { z } from 'zod';
import { retentionDaysSchema } from '../../infra/config.js';
import { Group } from '../../infra/group.js';
import { guardrailInfra } from '../../infra/guardrail-infra.js';
import type { FlowLogsPolicy } from './policy.js';

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

/** The flow-logs guardrail's infrastructure: the CloudWatch Logs destination, when the config asks for it. */
export const infra = guardrailInfra<FlowLogsPolicy, FlowLogsConfig>({
  config: { key: 'flowLogs', schema: flowLogsConfigSchema },
  deploy(scope, { config }) {
    if (config.destination === 'cloud-watch-logs') {
      new FlowLogDestination(scope, 'FlowLogDestination', { retentionDays: config.retentionDays });
    }
  },
});
