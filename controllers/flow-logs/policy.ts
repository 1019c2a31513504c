import { z } from 'zod';
import { modeSchema } from '../core/policy.js';

/**
 * The placeholders a destination may hold (#17 item 3): one policy is bundled into every account, so
 * the member stack's per-account log group and delivery role are named by template and filled in per
 * deployment at run time (`resolveDestination`).
 */
const PLACEHOLDERS = ['account', 'region', 'partition'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
/** Where a template is filled in: the deployment's account, region and partition. */
export type Where = Record<Placeholder, string>;

/** Sample values: a template is checked as the ARN it becomes. */
const SAMPLE: Where = { account: '123456789012', region: 'eu-west-1', partition: 'aws' };

/** Fill the placeholders of one template. Pure. */
export function fillTemplate(template: string, where: Where): string {
  return template.replace(/\{(account|region|partition)\}/g, (_m, p: Placeholder) => where[p]);
}

/** `aws`, `aws-cn` or `aws-us-gov`, from the region's name. Pure. */
export function partitionOf(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}

/**
 * A string that may hold `allowed` placeholders and, once they are filled with sample values,
 * matches `pattern`. Any other `{...}` is refused with the list of the allowed ones.
 */
function template(pattern: RegExp, message: string, allowed: readonly Placeholder[]) {
  const hint = allowed.map((p) => `{${p}}`).join(', ');
  return z
    .string()
    .max(1600)
    .superRefine((s, ctx) => {
      const unknown = [...s.matchAll(/\{([^}]*)\}/g)]
        .map((m) => m[1] as string)
        .filter((p) => !allowed.includes(p as Placeholder));
      if (unknown.length > 0) {
        const list = [...new Set(unknown)].map((p) => `{${p}}`).join(', ');
        ctx.addIssue({ code: 'custom', message: `unknown placeholder(s) ${list}; only ${hint} may be used here` });
      } else if (!pattern.test(fillTemplate(s, SAMPLE))) {
        ctx.addIssue({ code: 'custom', message: `${message} (placeholders: ${hint})` });
      }
    });
}

/**
 * An S3 bucket ARN (no key): `arn:aws:s3:::central-flow-logs`. The bucket is the log archive's, one
 * for the whole organization, so only `{partition}` may be a placeholder: a per-account bucket would
 * live in the account whose admin we do not trust (docs/decisions.md, #17 item 3).
 */
const bucketArn = template(
  /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  'must be an S3 bucket ARN such as arn:aws:s3:::central-flow-logs',
  ['partition'],
);

/** A folder inside the bucket. AWS refuses `AWSLogs` as the prefix and a leading slash. */
const prefix = template(/^[A-Za-z0-9!_.*'()/-]{1,200}$/, "must be an S3 key prefix (letters, digits, ! _ . * ' ( ) / -)", [
  'account',
  'region',
])
  .refine((p) => !p.startsWith('/') && !p.endsWith('/'), 'must not start or end with /')
  .refine((p) => p !== 'AWSLogs' && !p.startsWith('AWSLogs/'), 'AWS reserves the AWSLogs prefix');

const s3Destination = z
  .object({
    type: z.literal('s3'),
    /** The bucket ARN, typically the central log-archive bucket (infra/log-archive-stack.ts). */
    bucketArn,
    /** Optional folder, `{account}`/`{region}` allowed; the flow log's LogDestination becomes `<bucketArn>/<prefix>`. */
    prefix: prefix.optional(),
  })
  .strict();

const cloudWatchLogsDestination = z
  .object({
    type: z.literal('cloud-watch-logs'),
    /**
     * The log group ARN, without the trailing `:*`. With `{account}`/`{region}`/`{partition}`, the
     * member stack's group: `arn:{partition}:logs:{region}:{account}:log-group:/logwarden/vpc-flow-logs`.
     */
    logGroupArn: template(
      /^arn:aws[a-z-]*:logs:[a-z]{2}(-[a-z]+)+-\d:\d{12}:log-group:[\w./#-]{1,512}$/,
      'must be a log group ARN without the trailing :*',
      PLACEHOLDERS,
    ),
    /**
     * The role EC2 assumes to deliver to the log group; it must be in the flow log's account. With
     * placeholders, the member stack's role: `arn:{partition}:iam::{account}:role/logwarden-flow-logs-{region}`.
     * logwarden passes it: iam:PassRole on it only.
     */
    deliveryRoleArn: template(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN', PLACEHOLDERS),
  })
  .strict();

const destinationSchema = z.discriminatedUnion('type', [s3Destination, cloudWatchLogsDestination]);
export type FlowLogsDestination = z.infer<typeof destinationSchema>;

/** The destination with its placeholders filled in for one deployment. Pure. */
export function resolveDestination(d: FlowLogsDestination, where: Where): FlowLogsDestination {
  if (d.type === 's3') {
    const bucket = fillTemplate(d.bucketArn, where);
    return d.prefix === undefined
      ? { type: 's3', bucketArn: bucket }
      : { type: 's3', bucketArn: bucket, prefix: fillTemplate(d.prefix, where) };
  }
  return {
    type: 'cloud-watch-logs',
    logGroupArn: fillTemplate(d.logGroupArn, where),
    deliveryRoleArn: fillTemplate(d.deliveryRoleArn, where),
  };
}

/** The account and region of a deployment, with the partition their region is in. Pure. */
export const whereOf = (scope: { account: string; region: string }): Where => ({
  account: scope.account,
  region: scope.region,
  partition: partitionOf(scope.region),
});

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

/**
 * The delivery role as the controller's iam:PassRole grant names it, at synth time: the account is
 * `*` (the infrastructure narrows it to the deploying account), the region `*` (IAM roles are
 * global; the grant covers the role of every region of the same account) and the partition `*`
 * (an account id belongs to one partition). A literal ARN stays as it is. Pure.
 */
export function deliveryRoleGrant(roleArnTemplate: string): string {
  return fillTemplate(roleArnTemplate, { account: '*', region: '*', partition: '*' });
}
