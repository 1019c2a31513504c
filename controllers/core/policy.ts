import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PolicyError } from './errors.js';
import { DEFAULT_MAX_EXEMPTION_DAYS, exemptionSchema, expiryOf, type PolicyExemption } from './exemptions.js';
import type { AnyGuardrail } from './types.js';

/** Shared fields of every guardrail section. */
export const modeSchema = z.enum(['remediate', 'notify']).default('remediate');

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1');

/** An EventBridge schedule expression. */
const scheduleSchema = z.string().regex(/^(rate\(.+\)|cron\(.+\))$/, 'must be rate(...) or cron(...)');

/** Placeholders of an own-role ARN: the governed account, and each governed region. */
const ACCOUNT_PLACEHOLDER = '{account}';
const REGION_PLACEHOLDER = '{region}';
const EXACT_ROLE_ARN = /^arn:aws[a-z-]*:iam::\{account\}:role\/[\w+=,.@/-]+$/;

/**
 * One of logwarden's roles, exactly: `arn:aws:iam::{account}:role/logwarden/<name>`. The account is
 * always `{account}`, filled at run time with the account being governed, because anything an
 * account's admin can create (a role on the same path, a longer name, the same name elsewhere) must
 * not pass for logwarden. `{region}` may appear in the path or name; it is expanded over
 * `controller.regions` into a finite list. No `*`, no prefixes.
 */
const ownRoleArn = z
  .string()
  .refine((s) => !s.includes('*'), 'must name one exact role: wildcards (*) are not allowed; use {account} and {region}')
  .refine(
    // A wildcard is reported once, by the check above.
    (s) => s.includes('*') || EXACT_ROLE_ARN.test(s.split(REGION_PLACEHOLDER).join('eu-west-1')),
    'must be arn:aws:iam::{account}:role/<path/name>, where only {region} may stand for a governed region',
  );

const controllerSettingsSchema = z
  .object({
    /** Regions this deployment governs. Events from other regions are ignored. */
    regions: z.array(region).min(1),
    /** logwarden's own roles, exactly (see `ownRoleArn`): calls made by them are never acted on (no feedback loops). */
    ownRoleArns: z.array(ownRoleArn).min(1),
    /** Accounts never governed (e.g. a break-glass sandbox). */
    excludeAccounts: z.array(accountId).default([]),
    /** Scheduled sweep of the guardrails that declare no default of their own (see `sweepScheduleOf`). */
    sweepSchedule: scheduleSchema.default('rate(1 hour)'),
    /** Per-guardrail sweep schedules, by guardrail name: they win over every default. */
    sweepSchedules: z.record(z.string(), scheduleSchema).default({}),
    /** Resources handled in parallel within one invocation. */
    concurrency: z.number().int().min(1).max(64).default(8),
    /** Flapping: past `maxRemediations` in `windowMinutes`, stop re-applying and escalate. */
    flapping: z
      .object({
        maxRemediations: z.number().int().min(1).max(1000).default(5),
        windowMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60)
          .default(60),
      })
      .strict()
      .default({ maxRemediations: 5, windowMinutes: 60 }),
    /** The longest an exemption may run, counted from when the policy is loaded. */
    maxExemptionDays: z.number().int().min(1).max(366).default(DEFAULT_MAX_EXEMPTION_DAYS),
    /**
     * The heartbeat's event path canary (#13 item 5): its CloudTrail event must come back through
     * EventBridge within this many minutes of the write, else a `failed` record.
     */
    canaryWithinMinutes: z.number().int().min(1).max(1440).default(15),
  })
  .strict();

const auditSettingsSchema = z
  .object({
    /** The audit event bus: a name (same account) or an ARN (the central bus in another account). */
    eventBus: z
      .string()
      .regex(
        /^([\w.\-/]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]+)$/,
        'must be an event bus name or ARN',
      ),
    /**
     * What a sweep publishes: `summary` (one record per guardrail and region for the compliant
     * resources, every other result in full) or `all` (one record per resource).
     */
    sweepRecords: z.enum(['summary', 'all']).default('summary'),
    /**
     * The KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs audit records: its key ARN, in the central
     * account (the central stack's output `AuditSigningKeyArn`). Unset: records are published unsigned.
     */
    signingKey: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, 'must be a KMS key ARN')
      .optional(),
  })
  .strict();

interface SchemaOptions {
  /** False in a Lambda bundle, which knows only its own guardrail: other sections and names pass. */
  onlyThese?: boolean;
  /** When the policy is loaded: exemptions may end at most `controller.maxExemptionDays` after it. */
  now?: Date;
}

/** Build the policy schema from the explicit list of guardrails. */
function policySchemaFor(guardrails: readonly AnyGuardrail[], options: SchemaOptions = {}) {
  const sections: Record<string, z.ZodTypeAny> = {};
  for (const g of guardrails) sections[g.name] = g.policySchema.optional();
  const sectionsSchema = z.object(sections);
  const known = new Set(guardrails.map((g) => g.name));
  const loadedAt = (options.now ?? new Date()).getTime();
  return z
    .object({
      version: z.literal(1),
      controller: controllerSettingsSchema,
      audit: auditSettingsSchema,
      // The CLI knows every guardrail and rejects unknown sections (typos); a Lambda bundle knows only its own.
      guardrails: options.onlyThese === false ? sectionsSchema.passthrough() : sectionsSchema.strict(),
      exemptions: z.array(exemptionSchema).default([]),
    })
    .strict()
    .superRefine((policy, ctx) => {
      const maxDays = policy.controller.maxExemptionDays;
      policy.exemptions.forEach((e, i) => {
        if (options.onlyThese !== false && !known.has(e.guardrail)) {
          ctx.addIssue({ code: 'custom', path: ['exemptions', i, 'guardrail'], message: `unknown guardrail "${e.guardrail}"` });
        }
        if (expiryOf(e.expires) > loadedAt + maxDays * 86_400_000) {
          const message = `more than controller.maxExemptionDays (${maxDays}) days after the policy was loaded`;
          ctx.addIssue({ code: 'custom', path: ['exemptions', i, 'expires'], message });
        }
      });
    });
}

/** An override for a guardrail the policy does not enable is a typo or a leftover: it would schedule nothing. */
function sweepOverrideIssues(policy: Policy): string[] {
  return Object.keys(policy.controller.sweepSchedules)
    .filter((name) => policy.guardrails[name] === undefined)
    .map((name) => `controller.sweepSchedules.${name}: no guardrail ${name} is enabled in this policy`);
}

export interface Policy {
  version: 1;
  controller: z.infer<typeof controllerSettingsSchema>;
  audit: z.infer<typeof auditSettingsSchema>;
  guardrails: Record<string, unknown>;
  exemptions: PolicyExemption[];
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** Validate a parsed policy document. Throws {@link PolicyError} naming every bad field. */
export function parsePolicy(
  doc: unknown,
  guardrails: readonly AnyGuardrail[],
  source = 'policy',
  options: SchemaOptions = {},
): Policy {
  const result = policySchemaFor(guardrails, options).safeParse(doc);
  const issues = result.success
    ? sweepOverrideIssues(result.data as Policy)
    : result.error.issues.map((i) => {
        const keys = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
        return `${pathOf(i.path)}: ${i.message}${keys}`;
      });
  if (issues.length > 0) throw new PolicyError(`invalid ${source}: ${issues.join('; ')}`, issues);
  return result.data as Policy;
}

/** Read and validate a policy file. Throws {@link PolicyError} on any problem. */
export function loadPolicyFile(file: string, guardrails: readonly AnyGuardrail[], options: SchemaOptions = {}): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new PolicyError(`cannot read policy file ${file}: ${(cause as Error).message}`, [], { cause });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new PolicyError(`policy file ${file} is not valid JSON: ${(cause as Error).message}`, [], { cause });
  }
  return parsePolicy(doc, guardrails, `policy file ${file}`, options);
}

/**
 * logwarden's own role ARNs in `account`, exactly: `{account}` filled in and `{region}` expanded over
 * `regions` (the governed regions unless given). Finite and without wildcards. Pure; `account` and
 * `regions` may be CDK tokens.
 */
export function ownRoleArnsIn(
  controller: Pick<Policy['controller'], 'ownRoleArns' | 'regions'>,
  account: string,
  regions: readonly string[] = controller.regions,
): string[] {
  const arns = new Set<string>();
  for (const template of controller.ownRoleArns) {
    const inAccount = template.split(ACCOUNT_PLACEHOLDER).join(account);
    if (!inAccount.includes(REGION_PLACEHOLDER)) arns.add(inAccount);
    else for (const r of regions) arns.add(inAccount.split(REGION_PLACEHOLDER).join(r));
  }
  return [...arns];
}

/**
 * The sweep schedule of a guardrail: the policy's override for it, else the guardrail's own default
 * (CloudTrail sweeps more often: a stopped trail is a blind spot), else `controller.sweepSchedule`. Pure.
 */
export function sweepScheduleOf(policy: Policy, guardrail: Pick<AnyGuardrail, 'name' | 'sweepSchedule'>): string {
  return policy.controller.sweepSchedules[guardrail.name] ?? guardrail.sweepSchedule ?? policy.controller.sweepSchedule;
}
