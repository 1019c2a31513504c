import { z } from 'zod';
import { modeSchema } from '../core/policy.js';

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1');

/** `{account}` and `{region}` stand for the governed account and region (one policy for the whole fleet). */
const TEMPLATE_HINT = 'only {account} and {region} may stand for the governed account and region';

/** The role AWS Config assumes to read resources; `{account}` is the governed account. */
const roleArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::(\d{12}|\{account\}):role\/[\w+=,.@/-]{1,512}$/,
    'must be one IAM role ARN (no wildcards) such as arn:aws:iam::{account}:role/aws-config-recorder',
  );

/** A bucket name, possibly with `{account}` / `{region}` (checked as a bucket name once filled in). */
const bucketName = z
  .string()
  .min(3)
  .max(63)
  .refine(
    (s) =>
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s.replaceAll('{account}', '123456789012').replaceAll('{region}', 'eu-west-1')),
    `must be an S3 bucket name; ${TEMPLATE_HINT}`,
  );

/** AWS refuses an empty prefix and one containing `AWSLogs`. */
const keyPrefix = z
  .string()
  .min(1)
  .max(200)
  .refine((p) => !p.includes('AWSLogs'), 'AWS Config refuses a prefix containing AWSLogs')
  .refine((p) => !p.startsWith('/') && !p.endsWith('/'), 'must not start or end with /');

const snsTopicArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:sns:([a-z0-9-]+|\{region\}):(\d{12}|\{account\}):[\w-]{1,256}$/,
    `must be an SNS topic ARN; ${TEMPLATE_HINT}`,
  );

const DELIVERY_FREQUENCIES = ['One_Hour', 'Three_Hours', 'Six_Hours', 'Twelve_Hours', 'TwentyFour_Hours'] as const;

/** A resource type as Config names it (`AWS::EC2::Instance`). */
const resourceType = z
  .string()
  .regex(/^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$/, 'must be a resource type such as AWS::EC2::Instance');

const deliveryChannelSchema = z
  .object({
    /** The bucket Config delivers configuration history and snapshots to, usually the central log archive. */
    bucketName,
    /** Folder inside the bucket. Absent: not governed (any prefix, or none, is accepted). */
    keyPrefix: keyPrefix.optional(),
    /** Topic Config notifies. Absent: not governed. */
    snsTopicArn: snsTopicArn.optional(),
    /** How often Config delivers snapshots. Absent: not governed. */
    deliveryFrequency: z.enum(DELIVERY_FREQUENCIES).optional(),
  })
  .strict();

export const configRecorderPolicySchema = z
  .object({
    mode: modeSchema,
    /** Regions where a recorder must record. Absent: every region the controller governs. */
    regions: z.array(region).min(1).optional(),
    /** Name of a recorder logwarden creates. A region's existing customer-managed recorder is adopted whatever its name. */
    recorderName: z
      .string()
      .regex(/^[\w.-]{1,256}$/, 'must be a recorder name (letters, digits, _ . -)')
      .refine(
        (n) => !n.startsWith('AWSConfigurationRecorderFor'),
        'AWSConfigurationRecorderFor* names are service-linked recorders',
      )
      .default('default'),
    roleArn,
    /** Record every supported resource type (the default). False: record `resourceTypes` only. */
    allSupported: z.boolean().default(true),
    /** The resource types to record when `allSupported` is false. */
    resourceTypes: z.array(resourceType).min(1).max(500).optional(),
    /**
     * The one region that records the global IAM resource types. Other regions must not record them
     * (each region would record the same IAM changes again). Absent: global types are not governed.
     */
    globalResourceTypesRegion: region.optional(),
    deliveryChannel: deliveryChannelSchema,
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.allSupported && p.resourceTypes) {
      ctx.addIssue({
        code: 'custom',
        path: ['resourceTypes'],
        message: 'set allSupported to false to record a list of resource types (allSupported records every type)',
      });
    }
    if (!p.allSupported && !p.resourceTypes) {
      ctx.addIssue({ code: 'custom', path: ['resourceTypes'], message: 'required when allSupported is false' });
    }
    if (p.resourceTypes && new Set(p.resourceTypes).size !== p.resourceTypes.length) {
      ctx.addIssue({ code: 'custom', path: ['resourceTypes'], message: 'duplicate resource type' });
    }
    if (p.regions && new Set(p.regions).size !== p.regions.length) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: 'duplicate region' });
    }
  });

export type ConfigRecorderPolicy = z.infer<typeof configRecorderPolicySchema>;
