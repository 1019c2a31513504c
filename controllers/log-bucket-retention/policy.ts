import { z } from 'zod';
import { modeSchema } from '../core/policy.js';

/** Placeholders a log bucket name may use. */
const PLACEHOLDERS = ['account', 'region'] as const;
/** Values used to check that a name template gives a valid bucket name in any account and region. */
const SAMPLE = { account: '123456789012', region: 'ap-southeast-2' };
/** General purpose bucket names: 3-63 lowercase letters, digits, dots and hyphens. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const placeholdersOf = (template: string) => [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] as string);

/** The bucket name of a template in one account and region. Pure. */
export function bucketNameOf(template: string, account: string, region: string): string {
  return template.replaceAll('{account}', account).replaceAll('{region}', region);
}

/** Who may change the bucket's settings: logwarden (its stack created it) or the member account's team. */
const OWNERS = ['logwarden', 'member'] as const;
export type Owner = (typeof OWNERS)[number];

const logBucketSchema = z
  .object({
    /**
     * The bucket's name in each account and region, with `{account}` (required: bucket names are
     * global, a name without it would be one bucket in one account) and optionally `{region}`.
     */
    name: z
      .string()
      .min(3)
      .max(100)
      .superRefine((name, ctx) => {
        const used = placeholdersOf(name);
        const unknown = used.filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
        if (unknown.length > 0) {
          const list = unknown.map((p) => `{${p}}`).join(', ');
          ctx.addIssue({ code: 'custom', message: `unknown placeholder(s) ${list}; use {account} and {region}` });
          return;
        }
        if (!used.includes('account')) {
          ctx.addIssue({ code: 'custom', message: "must contain {account}: a log bucket is the member account's own" });
        }
        const sample = bucketNameOf(name, SAMPLE.account, SAMPLE.region);
        if (!BUCKET_NAME.test(sample)) {
          ctx.addIssue({
            code: 'custom',
            message: `does not give a valid bucket name (e.g. "${sample}": 3-63 lowercase letters, digits, dots, hyphens; no wildcards)`,
          });
        }
      }),
    /**
     * `logwarden`: logwarden's stack created it; drift is restored. `member`: the account's team owns
     * it (a delivery bucket of their own); drift is reported, never written.
     */
    owner: z.enum(OWNERS),
  })
  .strict();
export type LogBucketSpec = z.infer<typeof logBucketSchema>;

export const logBucketRetentionPolicySchema = z
  .object({
    mode: modeSchema,
    /** The log buckets in the member accounts (name templates), each with its owner. */
    buckets: z
      .array(logBucketSchema)
      .min(1, 'must list at least one log bucket')
      .max(20)
      .superRefine((list, ctx) => {
        list.forEach((b, i) => {
          if (list.findIndex((x) => x.name === b.name) !== i) {
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate log bucket ${b.name}` });
          }
        });
      }),
    /** No lifecycle rule may expire or transition current objects younger than this (days). */
    minimumRetentionDays: z.number().int().min(1).max(36_500).default(365),
  })
  .strict();

export type LogBucketRetentionPolicy = z.infer<typeof logBucketRetentionPolicySchema>;
