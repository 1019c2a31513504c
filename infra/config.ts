import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { type Registry, registry } from '../controllers/companions.js';
import { LogwardenError } from '../controllers/core/errors.js';
import { type FunctionKind, functionRoleName, ownRoleArnTemplate, partitionOf } from '../controllers/core/identity.js';
import { type Policy, parsePolicy } from '../controllers/core/policy.js';
import type { AnyGuardrail } from '../controllers/core/types.js';
import { EXPECTED_SOURCES } from '../controllers/monitor/settings.js';
import { type AnyGuardrailInfra, loadGuardrailInfra } from './guardrail-infra.js';
import { heartbeatMonitorIssues } from './heartbeat-monitor.js';

/** IAM's limit on a role name. */
const MAX_ROLE_NAME = 64;
/** Root of the repository (infra/..). */
export const ROOT = join(import.meta.dirname, '..');

export class DeploymentConfigError extends LogwardenError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = []) {
    super('InvalidDeploymentConfig', message);
    this.issues = issues;
  }
}

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1');
/** CloudWatch Logs accepts only these retention periods. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
export const retentionDaysSchema = z
  .number()
  .int()
  .refine((d) => RETENTION_DAYS.includes(d), `must be one of ${RETENTION_DAYS.join(', ')}`);

const organizationTargetId = z
  .string()
  .regex(/^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/, 'must be an OU id (ou-...) or the root id (r-...)');
const roleArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::(\d{12}|\*):role\/[\w+=,.@/*-]{1,512}$/,
    'must be an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME)',
  );
const SCP_OFF = { enabled: false, targetIds: [], breakGlassRoleArns: [], protectLogging: true, denyUngovernedRegions: false };

/** The preventive SCP (infra/scp.ts), created in the management account and attached to `targetIds`. */
const scpSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** The root (r-...) or OUs (ou-...) it is attached to; attach to a test OU first (docs/deployment.md). */
    targetIds: z.array(organizationTargetId).default([]),
    /** Roles that may still change logwarden and the logging it governs, e.g. an incident-response role. */
    breakGlassRoleArns: z.array(roleArn).default([]),
    /** Also deny turning off the governed trails, GuardDuty detectors and flow logs. */
    protectLogging: z.boolean().default(true),
    /**
     * A second SCP, `logwarden-region-guard`: deny regional actions outside the governed regions
     * (`controller.regions`), where no controller watches. Off by default: it blocks whole regions.
     */
    denyUngovernedRegions: z.boolean().default(false),
  })
  .strict()
  .superRefine((scp, ctx) => {
    if (scp.enabled && scp.targetIds.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['targetIds'],
        message: 'must name at least one OU or the root when scp.enabled is true',
      });
    }
  })
  .default(SCP_OFF);

/** The deployment config without the sections that guardrails' infra hooks own (see `deploymentConfigSchemaFor`). */
const deploymentConfigSchema = z
  .object({
    /** The policy document, relative to the repository root. It is bundled into every function. */
    policyFile: z.string().min(1),
    /** The organization (aws:PrincipalOrgID) allowed to publish to the audit bus and read the assets. */
    organizationId: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id such as o-a1b2c3d4e5'),
    /** The organization's management account: service-managed StackSets skip it, so it gets the member stack directly. */
    managementAccount: accountId,
    /** The account that owns the StackSet: the management account or a delegated administrator. */
    adminAccount: accountId,
    /** Where the rollout (StackSet) stack lives. */
    homeRegion: region,
    /** `SELF` from the management account, `DELEGATED_ADMIN` from a delegated administrator. */
    callAs: z.enum(['SELF', 'DELEGATED_ADMIN']).default('SELF'),
    central: z
      .object({
        account: accountId,
        region,
        /** Object Lock (COMPLIANCE) retention of the audit archive, in days. */
        archiveRetentionDays: z.number().int().min(1).max(36500).default(365),
        logRetentionDays: retentionDaysSchema.default(365),
        streamRetentionHours: z.number().int().min(24).max(8760).default(24),
        /** Optional e-mail subscription of the alarm topic. */
        alarmEmail: z.string().email().optional(),
        /**
         * The central heartbeat monitor (infra/heartbeat-monitor.ts). `expectedFrom`: where the accounts and
         * regions that must beat come from, `stackset` (the StackSet's instances) or `organizations` (ACTIVE
         * accounts × rollout regions, minus the policy's controller.excludeAccounts); default `stackset`
         * when the central account owns the StackSet, else `organizations`.
         */
        heartbeatMonitor: z
          .object({ expectedFrom: z.enum(EXPECTED_SOURCES).optional() })
          .strict()
          .default({}),
        /** Create the AWS Config organization aggregator (needs the central account to be Config's delegated admin). */
        aggregator: z.boolean().default(true),
      })
      .strict(),
    member: z
      .object({
        logRetentionDays: retentionDaysSchema.default(365),
        /** At least hourly: the central heartbeat monitor reports a deployment silent for two periods. */
        heartbeatSchedule: z
          .string()
          .regex(/^rate\((1 hour|\d{1,2} minutes?)\)$/, 'must be rate(N minutes) or rate(1 hour)')
          .default('rate(15 minutes)'),
        configRuleFrequency: z
          .enum(['One_Hour', 'Three_Hours', 'Six_Hours', 'Twelve_Hours', 'TwentyFour_Hours'])
          .default('TwentyFour_Hours'),
        /** Lambda async retries (0-2) and maximum event age. */
        retryAttempts: z.number().int().min(0).max(2).default(2),
        maxEventAgeMinutes: z.number().int().min(1).max(360).default(360),
      })
      .strict(),
    rollout: z
      .object({
        organizationalUnitIds: z.array(z.string().regex(/^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/)).min(1),
        regions: z.array(region).min(1),
        regionConcurrency: z.enum(['PARALLEL', 'SEQUENTIAL']).default('PARALLEL'),
        failureTolerancePercentage: z.number().int().min(0).max(100).default(10),
        maxConcurrentPercentage: z.number().int().min(1).max(100).default(25),
      })
      .strict(),
    scp: scpSchema,
    /**
     * Optional: the log-archive stack (infra/log-archive-stack.ts) creates the organization's central
     * flow-log bucket, with the bucket policy for log delivery from the organization (#17 item 3).
     */
    logArchive: z
      .object({
        account: accountId,
        /** Default: the central region. */
        region: region.optional(),
        /** The bucket's name; the flow-logs policy's S3 `bucketArn` must name it. */
        flowLogsBucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
        /** How long flow logs are kept (current objects), in days. */
        retentionDays: z.number().int().min(1).max(36500).default(365),
      })
      .strict()
      .optional(),
  })
  .strict();

export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;

/** One enabled guardrail's infra hook and its section of the deployment config, parsed. */
export interface HookWithConfig {
  hook: AnyGuardrailInfra;
  config: unknown;
}

export interface Deployment {
  config: DeploymentConfig;
  policy: Policy;
  /** The policy document exactly as bundled into the functions. */
  policyJson: string;
  /** The guardrails the app knows and where their folders are (for bundles and infra hooks). */
  registry: Registry;
  /** Guardrails of the registry that the policy enables: each gets its function, rules and Config rule. */
  guardrails: readonly AnyGuardrail[];
  /** The infra hooks (`infra.ts`) of the enabled guardrails, by name. */
  hooks: ReadonlyMap<string, HookWithConfig>;
  /** The central audit bus, from the policy. */
  bus: { name: string; account: string; region: string; arn: string };
}

/**
 * The deployment config's schema with the `member` sections the hooks own, e.g. `member.flowLogs`
 * (flow-logs/infra.ts). A key may belong to one hook only, and not to the core settings.
 */
function deploymentConfigSchemaFor(hooks: ReadonlyMap<string, AnyGuardrailInfra>) {
  const member = deploymentConfigSchema.shape.member;
  const sections: Record<string, z.ZodType> = {};
  for (const [name, hook] of hooks) {
    if (!hook.config) continue;
    const { key, schema } = hook.config;
    if (key in member.shape || key in sections) {
      throw new DeploymentConfigError(`${name}/infra.ts claims member.${key}, which is already taken`);
    }
    sections[key] = schema;
  }
  return deploymentConfigSchema.extend({ member: member.extend(sections) });
}

function parseConfig(raw: unknown, hooks: ReadonlyMap<string, AnyGuardrailInfra>): DeploymentConfig {
  const parsed = deploymentConfigSchemaFor(hooks).safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new DeploymentConfigError(`invalid logwarden deployment config: ${issues.join('; ')}`, issues);
  }
  return parsed.data as DeploymentConfig;
}

function readPolicy(config: DeploymentConfig, reg: Registry, root: string): { policy: Policy; policyJson: string } {
  const file = isAbsolute(config.policyFile) ? config.policyFile : join(root, config.policyFile);
  let policyJson: string;
  try {
    policyJson = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new DeploymentConfigError(`cannot read the policy file ${file}: ${(cause as Error).message}`);
  }
  // Strict: the deployment knows every guardrail, so an unknown section is a typo.
  return { policy: parsePolicy(JSON.parse(policyJson), reg.guardrails, `policy file ${config.policyFile}`), policyJson };
}

const BUS_ARN = /^arn:aws[a-z-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/;

/**
 * The policy must name exactly the controllers' roles (`arn:<partition>:iam::{account}:role/logwarden/
 * logwarden-<guardrail>-controller-{region}`): a missing one makes logwarden react to its own calls, an
 * extra one trusts a role logwarden does not create, which an account's admin could. Only the
 * controllers write; the evaluators and the heartbeat cannot make a call the rules watch, so they are
 * not trusted either. Every role name must also fit IAM's limit in every rollout region.
 */
function ownRoleIssues(config: DeploymentConfig, policy: Policy, guardrails: readonly AnyGuardrail[]): string[] {
  const issues: string[] = [];
  // Compared without the partition: the policy names it, the check is about which roles.
  const rolePart = (arn: string) => arn.replace(/^arn:[^:]+:/, '');
  const expected = guardrails.map((g) => ownRoleArnTemplate(g.name));
  const named = policy.controller.ownRoleArns.map(rolePart);
  for (const arn of expected.filter((a) => !named.includes(rolePart(a)))) {
    issues.push(`controller.ownRoleArns must name ${arn}, or logwarden reacts to its own calls`);
  }
  for (const arn of policy.controller.ownRoleArns.filter((a) => !expected.map(rolePart).includes(rolePart(a)))) {
    issues.push(`controller.ownRoleArns names ${arn}, which is not one of the controllers' roles (its calls would be trusted)`);
  }
  const kinds: FunctionKind[] = ['controller', 'config-rule'];
  for (const region of config.rollout.regions) {
    const roleNames = guardrails.flatMap((g) => kinds.map((k) => functionRoleName(k, g.name, region)));
    for (const name of [...roleNames, functionRoleName('heartbeat', 'heartbeat', region)]) {
      if (name.length > MAX_ROLE_NAME) issues.push(`role name ${name} is longer than ${MAX_ROLE_NAME} characters`);
    }
  }
  return issues;
}

/** What would deploy a silently broken logwarden: a wrong bus, own roles not excluded, ungoverned regions. */
function inconsistencies(config: DeploymentConfig, policy: Policy, guardrails: readonly AnyGuardrail[]): string[] {
  const issues: string[] = [];
  const m = BUS_ARN.exec(policy.audit.eventBus);
  if (!m) {
    issues.push(
      `audit.eventBus must be the ARN of the central bus (arn:${partitionOf(config.central.region)}:events:${config.central.region}:${config.central.account}:event-bus/NAME)`,
    );
  } else if (m[1] !== config.central.region || m[2] !== config.central.account) {
    issues.push(
      `audit.eventBus ${policy.audit.eventBus} is not in the central account and region ${config.central.account}/${config.central.region}`,
    );
  }
  const key = policy.audit.signingKey?.split(':');
  if (key && (key[3] !== config.central.region || key[4] !== config.central.account)) {
    issues.push(
      `audit.signingKey ${policy.audit.signingKey} is not in the central account and region ${config.central.account}/${config.central.region}`,
    );
  }
  for (const r of config.rollout.regions) {
    if (!policy.controller.regions.includes(r)) issues.push(`rollout region ${r} is not in the policy's controller.regions`);
  }
  return [...issues, ...ownRoleIssues(config, policy, guardrails), ...heartbeatMonitorIssues(config)];
}

/**
 * Validate the deployment config and the policy together, with the infra hooks of the registry's
 * guardrails (they own sections of the config); every inconsistency is an error. Async because the
 * hooks are loaded from the guardrail folders.
 */
export async function loadDeployment(raw: unknown, reg: Registry = registry, root = ROOT): Promise<Deployment> {
  const allHooks = await loadGuardrailInfra(reg);
  const config = parseConfig(raw, allHooks);
  const { policy, policyJson } = readPolicy(config, reg, root);
  const guardrails = reg.guardrails.filter((g) => policy.guardrails[g.name] !== undefined);
  const issues = inconsistencies(config, policy, guardrails);
  if (issues.length > 0) throw new DeploymentConfigError(`inconsistent deployment: ${issues.join('; ')}`, issues);
  const hooks = new Map<string, HookWithConfig>();
  for (const g of guardrails) {
    const hook = allHooks.get(g.name);
    const section = hook?.config ? (config.member as Record<string, unknown>)[hook.config.key] : undefined;
    if (hook) hooks.set(g.name, { hook, config: section });
  }
  const [, busRegion, busAccount, busName] = BUS_ARN.exec(policy.audit.eventBus) as RegExpExecArray;
  return {
    config,
    policy,
    policyJson,
    registry: reg,
    guardrails,
    hooks,
    bus: { name: busName as string, account: busAccount as string, region: busRegion as string, arn: policy.audit.eventBus },
  };
}
