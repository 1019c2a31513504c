import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PolicyError } from './errors.js';
import { DEFAULT_MAX_EXEMPTION_DAYS, exemptionSchema, expiryOf, type PolicyExemption } from './exemptions.js';
import type { AnyGuardrail } from './types.js';

/** Shared fields of every guardrail section. */
export const modeSchema = z.enum(['remediate', 'notify']).default('remediate');

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1');

/**
 * A role ARN logwarden acts as. `*` is allowed as the account (one policy names the role in every
 * account) and as the last character (a prefix: `arn:aws:iam::*:role/logwarden/*` is every role on
 * the `/logwarden/` path, which is where the infrastructure puts the controllers' roles).
 */
const ownRoleArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::(\d{12}|\*):role\/[\w+=,.@/-]+\*?$/,
    'must be an IAM role ARN (account may be *, and it may end in *)',
  );

const controllerSettingsSchema = z
  .object({
    /** Regions this deployment governs. Events from other regions are ignored. */
    regions: z.array(region).min(1),
    /** logwarden's own roles: calls made by them are never acted on (no feedback loops). */
    ownRoleArns: z.array(ownRoleArn).min(1),
    /** Accounts never governed (e.g. a break-glass sandbox). */
    excludeAccounts: z.array(accountId).default([]),
    /** Scheduled sweep, as an EventBridge schedule expression. */
    sweepSchedule: z
      .string()
      .regex(/^(rate\(.+\)|cron\(.+\))$/, 'must be rate(...) or cron(...)')
      .default('rate(1 hour)'),
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
  if (!result.success) {
    const issues = result.error.issues.map((i) => {
      const keys = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
      return `${pathOf(i.path)}: ${i.message}${keys}`;
    });
    throw new PolicyError(`invalid ${source}: ${issues.join('; ')}`, issues);
  }
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

/** Is `arn` (a role ARN, path included) one of logwarden's own roles? */
export function isOwnRole(arn: string, patterns: readonly string[]): boolean {
  const m = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(.+)$/.exec(arn);
  if (!m) return false;
  return patterns.some((p) => {
    const pm = /^arn:(aws[a-z-]*):iam::(\d{12}|\*):role\/(.+)$/.exec(p);
    if (!pm || pm[1] !== m[1] || (pm[2] !== '*' && pm[2] !== m[2])) return false;
    const role = pm[3] as string;
    return role.endsWith('*') ? (m[3] as string).startsWith(role.slice(0, -1)) : role === m[3];
  });
}
