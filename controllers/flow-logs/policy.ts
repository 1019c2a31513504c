import { z } from 'zod';
import { modeSchema } from '../core/policy.js';

/** An S3 bucket ARN (no key): `arn:aws:s3:::central-flow-logs`. */
const bucketArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'must be an S3 bucket ARN such as arn:aws:s3:::central-flow-logs',
  );

/** A folder inside the bucket. AWS refuses `AWSLogs` as the prefix and a leading slash. */
const prefix = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9!_.*'()/-]+$/, "must be an S3 key prefix (letters, digits, ! _ . * ' ( ) / -)")
  .refine((p) => !p.startsWith('/') && !p.endsWith('/'), 'must not start or end with /')
  .refine((p) => p !== 'AWSLogs' && !p.startsWith('AWSLogs/'), 'AWS reserves the AWSLogs prefix');

const s3Destination = z
  .object({
    type: z.literal('s3'),
    /** The bucket ARN, typically the central log-archive bucket. */
    bucketArn,
    /** Optional folder; the flow log's LogDestination becomes `<bucketArn>/<prefix>`. */
    prefix: prefix.optional(),
  })
  .strict();

const cloudWatchLogsDestination = z
  .object({
    type: z.literal('cloud-watch-logs'),
    /** The log group ARN, without the trailing `:*`. */
    logGroupArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[\w./#-]{1,512}$/,
        'must be a log group ARN without the trailing :*',
      ),
    /** The role EC2 assumes to deliver to the log group (logwarden passes it: iam:PassRole on it only). */
    deliveryRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN'),
  })
  .strict();

const destinationSchema = z.discriminatedUnion('type', [s3Destination, cloudWatchLogsDestination]);

export const flowLogsPolicySchema = z
  .object({
    mode: modeSchema,
    /** Which traffic the flow log must capture. */
    trafficType: z.enum(['ALL', 'ACCEPT', 'REJECT']).default('ALL'),
    /** Where the flow log must deliver. */
    destination: destinationSchema,
    /** Custom record format (`${version} ${vpc-id} ...`). Absent: any format is accepted and AWS's default is used. */
    logFormat: z
      .string()
      .min(1)
      .max(4000)
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the AWS flow-log format really is ${field}.
      .regex(/^(\$\{[a-z0-9-]+\}\s*)+$/, 'must be a list of ${field} names separated by spaces')
      .optional(),
    /** Maximum aggregation interval in seconds. Absent: any interval is accepted and AWS's default (600) is used. */
    maxAggregationInterval: z.union([z.literal(60), z.literal(600)]).optional(),
  })
  .strict();

export type FlowLogsPolicy = z.infer<typeof flowLogsPolicySchema>;
