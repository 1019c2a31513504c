import { z } from 'zod';
import { modeSchema } from '../core/policy.js';

/** Sample values used to check that a template gives valid names whatever the account and region. */
const SAMPLE = { account: '123456789012', region: 'ap-southeast-2', bucket: 'example-bucket', prefix: 'logs' };

/** Placeholders each template may use. */
const LOG_BUCKET_PLACEHOLDERS = ['prefix', 'account', 'region'] as const;
const TARGET_PREFIX_PLACEHOLDERS = ['bucket', 'account', 'region'] as const;

/** `{name}` placeholders of a template. */
function placeholdersOf(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] as string);
}

/** Replace `{name}` placeholders. Unknown ones are left as they are (the schema rejects them). */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z]+)\}/g, (all, name: string) => values[name] ?? all);
}

/** General purpose bucket names: 3-63 lowercase letters, digits, dots and hyphens. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The S3 object key format of the delivered logs, as in `PutBucketLogging`'s `TargetObjectKeyFormat`. */
const keyFormatSchema = z.union([
  z
    .object({
      /** `[TargetPrefix][SourceAccountId]/[SourceRegion]/[SourceBucket]/[YYYY]/[MM]/[DD]/...`, dated by event or delivery time. */
      partitionedPrefix: z.object({ partitionDateSource: z.enum(['EventTime', 'DeliveryTime']).default('EventTime') }).strict(),
    })
    .strict(),
  z
    .object({
      /** `[TargetPrefix][YYYY]-[MM]-[DD]-[hh]-[mm]-[ss]-[UniqueString]`: the historical format. */
      simplePrefix: z.object({}).strict(),
    })
    .strict(),
]);
export type KeyFormat = z.infer<typeof keyFormatSchema>;

/** Placeholders of an `excludeBuckets` entry: each fills in one value, so an entry names one bucket per account and region. */
const EXCLUDE_PLACEHOLDERS = ['account', 'region'] as const;
/** Names S3 accepts, including legacy us-east-1 ones (uppercase, underscores, up to 255). */
export const ANY_BUCKET_NAME = /^[A-Za-z0-9._-]{3,255}$/;

/**
 * Why an `excludeBuckets` entry is refused, or null. Pure. A wildcard anywhere is refused: the adversary
 * is an admin of a governed account, who can create a bucket with any free name; `cdk-*`, or even
 * `cdk-assets-{account}-*`, would let them give a data bucket a matching name and escape access logging.
 */
export function excludeEntryProblem(entry: string): string | null {
  if (entry.includes('*')) {
    return `excludeBuckets entry "${entry.slice(0, 100)}" has a wildcard (*): anyone who can create a bucket in a governed account could name a data bucket to match it and escape access logging; list exact names, or anchor the name with {account} and {region} (e.g. cdk-hnb659fds-assets-{account}-{region})`;
  }
  const unknown = placeholdersOf(entry).filter((p) => !(EXCLUDE_PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    return `excludeBuckets entry "${entry.slice(0, 100)}": unknown placeholder(s) ${unknown.map((p) => `{${p}}`).join(', ')}; use {account}, {region}`;
  }
  const sample = fillTemplate(entry, SAMPLE);
  if (!ANY_BUCKET_NAME.test(sample)) {
    return `excludeBuckets entry "${entry.slice(0, 100)}" is not a bucket name (e.g. "${sample.slice(0, 100)}": 3-255 letters, digits, . _ - and the placeholders {account}, {region})`;
  }
  return null;
}

const logBucketSchema = z
  .object({
    /** Value of `{prefix}` in the template. */
    prefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{0,40}$/, 'must be lowercase letters, digits, dots and hyphens (at most 41)')
      .optional(),
    /** Name of the log bucket of an account and region. Must contain `{region}`: S3 only delivers within a region. */
    template: z.string().min(3).max(100).default('{prefix}-{account}-{region}'),
  })
  .strict()
  .superRefine((b, ctx) => {
    const used = placeholdersOf(b.template);
    const unknown = used.filter((p) => !(LOG_BUCKET_PLACEHOLDERS as readonly string[]).includes(p));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['template'],
        message: `unknown placeholder(s) ${unknown.map((p) => `{${p}}`).join(', ')}; use {prefix}, {account}, {region}`,
      });
      return;
    }
    if (!used.includes('region')) {
      ctx.addIssue({
        code: 'custom',
        path: ['template'],
        message: 'must contain {region}: S3 rejects a log bucket in another region (CrossLocationLoggingProhibited)',
      });
    }
    if (used.includes('prefix') && b.prefix === undefined) {
      ctx.addIssue({ code: 'custom', path: ['prefix'], message: 'the template uses {prefix}: set logBucket.prefix' });
      return;
    }
    const sample = fillTemplate(b.template, { ...SAMPLE, prefix: b.prefix ?? SAMPLE.prefix });
    if (!BUCKET_NAME.test(sample)) {
      ctx.addIssue({
        code: 'custom',
        path: ['template'],
        message: `does not give a valid bucket name (e.g. "${sample}": 3-63 lowercase letters, digits, dots, hyphens)`,
      });
    }
  });

export const bucketLoggingPolicySchema = z
  .object({
    mode: modeSchema,
    /** The account's log bucket in each region. The infrastructure creates it and lets logging.s3.amazonaws.com write. */
    logBucket: logBucketSchema,
    /** Key prefix of a bucket's logs in the log bucket. Placeholders: {bucket}, {account}, {region}. */
    targetPrefix: z
      .string()
      .max(512)
      .default('{bucket}/')
      .superRefine((t, ctx) => {
        const unknown = placeholdersOf(t).filter((p) => !(TARGET_PREFIX_PLACEHOLDERS as readonly string[]).includes(p));
        if (unknown.length > 0) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown placeholder(s) ${unknown.map((p) => `{${p}}`).join(', ')}; use {bucket}, {account}, {region}`,
          });
        }
      }),
    /** How log object keys are laid out. Default: partitioned by event time. */
    targetObjectKeyFormat: keyFormatSchema.default({ partitionedPrefix: { partitionDateSource: 'EventTime' } }),
    /**
     * Buckets left alone: exact names, or names with `{account}` and `{region}` filled with the bucket's
     * account and region (one name per account and region). No wildcard: see `excludeEntryProblem`.
     */
    excludeBuckets: z
      .array(
        z
          .string()
          .min(1)
          .max(255)
          .superRefine((entry, ctx) => {
            const problem = excludeEntryProblem(entry);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
      )
      .max(200)
      .default([]),
    sweep: z
      .object({
        /** `MaxBuckets` of each paginated `ListBuckets` call (1-10000). */
        pageSize: z.number().int().min(1).max(10_000).default(1000),
      })
      .strict()
      .default({ pageSize: 1000 }),
  })
  .strict();

export type BucketLoggingPolicy = z.infer<typeof bucketLoggingPolicySchema>;
