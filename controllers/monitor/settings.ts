import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/** The environment variable that carries the monitor's settings (JSON), written by infra/heartbeat-monitor.ts. */
export const MONITOR_SETTINGS_VARIABLE = 'LOGWARDEN_HEARTBEAT_MONITOR';

/**
 * Where the set of deployments that must beat comes from: the StackSet's instances (exact, follows
 * auto-deployment; needs the central account to see the StackSet) or Organizations' ACTIVE accounts
 * × the rollout regions, minus the policy's `controller.excludeAccounts`.
 */
export const EXPECTED_SOURCES = ['stackset', 'organizations'] as const;
export type ExpectedSource = (typeof EXPECTED_SOURCES)[number];

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1');

const monitorSettingsSchema = z
  .object({
    /** The central table of last beats (`logwarden-heartbeats`). */
    table: z.string().min(3).max(255),
    expectedFrom: z.enum(EXPECTED_SOURCES),
    /** The rollout regions: every expected account beats in each of them. */
    regions: z.array(region).min(1),
    /** Minutes between two beats of one deployment; a deployment is missing after two periods. */
    heartbeatMinutes: z.number().int().min(1).max(60),
    /** The StackSet and where to list it (its home region, `deployment.callAs`). */
    stackSet: z.object({ name: z.string().min(1), region, callAs: z.enum(['SELF', 'DELEGATED_ADMIN']) }).strict(),
    /** StackSets never deploy to the management account: its member stacks are deployed directly, so it beats too. */
    managementAccount: accountId,
  })
  .strict();
export type MonitorSettings = z.infer<typeof monitorSettingsSchema>;

/** Parse the settings at start-up. Throws {@link ConfigError} naming the first bad field. */
export function parseMonitorSettings(raw: string | undefined): MonitorSettings {
  if (!raw) throw new ConfigError(MONITOR_SETTINGS_VARIABLE, 'is not set');
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (cause) {
    throw new ConfigError(MONITOR_SETTINGS_VARIABLE, `is not JSON: ${(cause as Error).message}`);
  }
  const parsed = monitorSettingsSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  throw new ConfigError([MONITOR_SETTINGS_VARIABLE, ...issue.path.map(String)].join('.'), `${issue.message}${keys}`);
}
