import { z } from 'zod';
import { modeSchema } from '../core/policy.js';

/** Sample values used to check that the bucket template gives a valid name whatever the account and region. */
const SAMPLE = { account: '123456789012', region: 'ap-southeast-2' };
const BUCKET_PLACEHOLDERS = ['account', 'region'] as const;

/** General purpose bucket names: 3-63 lowercase letters, digits, dots and hyphens. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `{name}` placeholders of a template. */
function placeholdersOf(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] as string);
}

/** Replace `{account}` and `{region}`. Unknown placeholders are left as they are (the schema rejects them). */
export function fillTemplate(template: string, values: { account: string; region: string }): string {
  return template.replace(/\{([a-z]+)\}/g, (all, name: string) => (values as Record<string, string>)[name] ?? all);
}

const bucketTemplateSchema = z
  .string()
  .min(3)
  .max(100)
  .superRefine((template, ctx) => {
    const unknown = placeholdersOf(template).filter((p) => !(BUCKET_PLACEHOLDERS as readonly string[]).includes(p));
    if (unknown.length > 0) {
      const names = unknown.map((p) => `{${p}}`).join(', ');
      ctx.addIssue({ code: 'custom', message: `unknown placeholder(s) ${names}; use {account}, {region}` });
      return;
    }
    if (!placeholdersOf(template).includes('region')) {
      ctx.addIssue({
        code: 'custom',
        message: "must contain {region}: Elastic Load Balancing only delivers logs to a bucket in the load balancer's region",
      });
    }
    const sample = fillTemplate(template, SAMPLE);
    if (!BUCKET_NAME.test(sample)) {
      ctx.addIssue({
        code: 'custom',
        message: `does not give a valid bucket name (e.g. "${sample}": 3-63 lowercase letters, digits, dots, hyphens)`,
      });
    }
  });

/** ELB refuses a prefix that starts or ends with `/` or holds `AWSLogs` (it adds `AWSLogs/<account>/` itself). */
const prefixSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/,
    'must be key segments separated by "/", not starting or ending with "/"',
  )
  .refine((p) => !p.includes('AWSLogs'), 'must not contain "AWSLogs" (Elastic Load Balancing adds AWSLogs/<account>/ itself)');

export const loadBalancerLogsPolicySchema = z
  .object({
    mode: modeSchema,
    /** The account's load-balancer log bucket in each region. Placeholders: {account}, {region}. */
    bucket: bucketTemplateSchema,
    /** Key prefix of the logs in the bucket; none when absent. */
    prefix: prefixSchema.optional(),
    /** Also keep Application Load Balancer connection logs on, to the same bucket and prefix. */
    connectionLogs: z.boolean().default(false),
    /** Which Network Load Balancers are governed: those with a TLS listener (the only ones with access logs), or none. */
    networkLoadBalancers: z.enum(['tls-listeners', 'none']).default('tls-listeners'),
  })
  .strict();

export type LoadBalancerLogsPolicy = z.infer<typeof loadBalancerLogsPolicySchema>;
