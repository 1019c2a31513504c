import { z } from 'zod';
import { modeSchema } from '../core/policy.js';

/** Placeholders a destination ARN may hold: the governed account and region, filled at run time. */
export const ACCOUNT_PLACEHOLDER = '{account}';
export const REGION_PLACEHOLDER = '{region}';

/** The ARN with sample values in the placeholders, so one regex checks templates and plain ARNs alike. */
const filled = (arn: string) => arn.split(ACCOUNT_PLACEHOLDER).join('123456789012').split(REGION_PLACEHOLDER).join('eu-west-1');

/** A destination ARN (a template allowed): checked after the placeholders are filled. */
function arnTemplate(pattern: RegExp, message: string) {
  return z
    .string()
    .max(600)
    .refine((s) => !/\{(?!account\}|region\})[^}]*\}/.test(s), 'unknown placeholder; use {account} and {region}')
    .refine((s) => pattern.test(filled(s)), message);
}

const s3Destination = z
  .object({
    type: z.literal('s3'),
    /** The bucket ARN, optionally with a folder: `arn:aws:s3:::central-dns-logs[/prefix]`. */
    bucketArn: arnTemplate(
      /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9!_.*'()/-]{1,200})?$/,
      'must be an S3 bucket ARN such as arn:aws:s3:::central-dns-logs (optionally /prefix)',
    ),
  })
  .strict();

const cloudWatchLogsDestination = z
  .object({
    type: z.literal('cloud-watch-logs'),
    /** The log group ARN, without the trailing `:*`. */
    logGroupArn: arnTemplate(
      /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[\w./#-]{1,512}$/,
      'must be a log group ARN without the trailing :*',
    ),
  })
  .strict();

const firehoseDestination = z
  .object({
    type: z.literal('firehose'),
    /** The Kinesis Data Firehose delivery stream ARN. */
    deliveryStreamArn: arnTemplate(
      /^arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream\/[A-Za-z0-9_.-]{1,64}$/,
      'must be a Firehose delivery stream ARN (arn:aws:firehose:<region>:<account>:deliverystream/<name>)',
    ),
  })
  .strict();

const destinationSchema = z.discriminatedUnion('type', [s3Destination, cloudWatchLogsDestination, firehoseDestination]);

export const resolverQueryLogsPolicySchema = z
  .object({
    mode: modeSchema,
    /** Where every VPC's DNS queries must be logged. */
    destination: destinationSchema,
    /** Name of the query logging configuration logwarden creates (Resolver names: letters, digits, -, _ and spaces). */
    configName: z
      .string()
      .min(1)
      .max(64)
      .regex(/^(?!\d+$)[A-Za-z0-9_ -]+$/, 'must be 1-64 letters, digits, -, _ or spaces (not only digits)')
      .default('logwarden-query-logs'),
  })
  .strict();

export type ResolverQueryLogsPolicy = z.infer<typeof resolverQueryLogsPolicySchema>;
