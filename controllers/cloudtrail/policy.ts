import { z } from 'zod';
import { modeSchema } from '../core/policy.js';

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1');
const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

const basicSelector = z
  .object({
    ReadWriteType: z.enum(['ReadOnly', 'WriteOnly', 'All']).default('All'),
    IncludeManagementEvents: z.boolean().default(true),
    DataResources: z.array(z.object({ Type: z.string(), Values: z.array(z.string()) }).strict()).default([]),
    ExcludeManagementEventSources: z.array(z.string()).default([]),
  })
  .strict();

const fieldSelector = z
  .object({
    Field: z.string().min(1),
    Equals: z.array(z.string()).optional(),
    StartsWith: z.array(z.string()).optional(),
    EndsWith: z.array(z.string()).optional(),
    NotEquals: z.array(z.string()).optional(),
    NotStartsWith: z.array(z.string()).optional(),
    NotEndsWith: z.array(z.string()).optional(),
  })
  .strict();

const advancedSelector = z.object({ Name: z.string().optional(), FieldSelectors: z.array(fieldSelector).min(1) }).strict();

const trailPolicySchema = z
  .object({
    /** Trail name (not an ARN). */
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$/, 'must be a CloudTrail trail name (3-128 letters, digits, . _ -)'),
    /** The region the trail is created in; it is only ever changed there. */
    homeRegion: region,
    /** Accounts that own this trail. Absent: every governed account has it. */
    accounts: z.array(accountId).min(1).optional(),
    s3BucketName: z.string().min(3).max(63),
    s3KeyPrefix: z.string().max(200).optional(),
    /** KMS key ARN (CloudTrail reports the key ARN, so an alias could never be compared). */
    kmsKeyId: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, 'must be a KMS key ARN')
      .optional(),
    isMultiRegionTrail: z.boolean().default(true),
    enableLogFileValidation: z.boolean().default(true),
    includeGlobalServiceEvents: z.boolean().default(true),
    isOrganizationTrail: z.boolean().default(false),
    cloudWatchLogs: z
      .object({
        logGroupArn: z.string().regex(/^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:.+$/, 'must be a log group ARN'),
        roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN'),
      })
      .strict()
      .optional(),
    /** Basic event selectors. Default: all management events, read and write. */
    eventSelectors: z.array(basicSelector).min(1).max(5).optional(),
    /** Advanced event selectors (instead of basic ones). */
    advancedEventSelectors: z.array(advancedSelector).min(1).max(500).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.eventSelectors && t.advancedEventSelectors) {
      ctx.addIssue({
        code: 'custom',
        path: ['advancedEventSelectors'],
        message: 'use eventSelectors or advancedEventSelectors, not both',
      });
    }
    if (t.isOrganizationTrail && t.accounts?.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['accounts'],
        message:
          'an organization trail must name exactly one account: the management or delegated administrator account that owns it',
      });
    }
    if (t.isOrganizationTrail && !t.isMultiRegionTrail) {
      ctx.addIssue({ code: 'custom', path: ['isMultiRegionTrail'], message: 'an organization trail should be multi-region' });
    }
  });

export const cloudTrailPolicySchema = z
  .object({
    mode: modeSchema,
    trails: z.array(trailPolicySchema).min(1),
    /**
     * A logging trail whose last S3 delivery is older than this is reported (`delivery` drift).
     * CloudTrail delivers about every 5 minutes; 15 minutes is the smallest bound that does not flap.
     */
    deliveryStaleAfterMinutes: z.number().int().min(15).max(10_080).default(60),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.trails.forEach((t, i) => {
      if (seen.has(t.name))
        ctx.addIssue({ code: 'custom', path: ['trails', i, 'name'], message: `duplicate trail name ${t.name}` });
      seen.add(t.name);
    });
  });

export type TrailPolicy = z.infer<typeof trailPolicySchema>;
export type CloudTrailPolicy = z.infer<typeof cloudTrailPolicySchema>;
export type BasicSelector = z.infer<typeof basicSelector>;
export type AdvancedSelector = z.infer<typeof advancedSelector>;
