import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/**
 * What one member deployment (an account and region) declared about logwarden's own wiring: its
 * rules, functions, roles, state table, Config rules and the statements it owns in bucket policies.
 * The infrastructure writes it at synth time (`infra/manifest.ts`) next to the integrity controller's
 * and the heartbeat's code, as `deployment.json`; they compare the real wiring with it.
 *
 * One StackSet template serves every account and region, so the manifest holds placeholders
 * `{account}`, `{region}` and `{partition}` wherever the template holds the pseudo parameters;
 * `resolveManifest` fills them for the account and region being checked.
 */
export const MANIFEST_FILE = 'deployment.json';

const ruleSchema = z.object({
  name: z.string().min(1),
  /** The rule's event pattern as JSON (compared after parsing, so key order does not matter), or null for a schedule. */
  eventPattern: z.record(z.string(), z.unknown()).nullable(),
  scheduleExpression: z.string().nullable(),
  /** Every target the rule must have, by target id and ARN (a function ARN). */
  targets: z.array(z.object({ id: z.string().min(1), arn: z.string().min(1) })),
});

const functionSchema = z.object({
  name: z.string().min(1),
  /** The name of the role it runs as (on `/logwarden/`). */
  roleName: z.string().min(1),
  /**
   * The deployment package's SHA-256, base64, as Lambda reports `CodeSha256`. Null for a function
   * whose own package holds this manifest (a hash cannot be inside what it hashes): that function's
   * code is not checked by hash; the SCP is its protection.
   */
  codeSha256: z.string().min(1).nullable(),
});

const roleSchema = z.object({
  name: z.string().min(1),
  path: z.string().min(1),
  /** The names of its inline policies, exactly: no other inline policy, no managed policy, no boundary. */
  inlinePolicyNames: z.array(z.string().min(1)),
  /** The `Sid`s of the statements of those inline policies, per policy name. */
  statementSids: z.record(z.string(), z.array(z.string())),
});

const bucketPolicySchema = z.object({
  bucket: z.string().min(1),
  /** The statements logwarden owns in that bucket's policy (with placeholders), compared by `Sid`. */
  statements: z.array(z.record(z.string(), z.unknown())),
});

export const manifestSchema = z.object({
  schemaVersion: z.literal(1),
  rules: z.array(ruleSchema),
  functions: z.array(functionSchema),
  roles: z.array(roleSchema),
  stateTable: z.string().min(1),
  configRules: z.array(z.string().min(1)),
  bucketPolicies: z.array(bucketPolicySchema).default([]),
});

export type DeploymentManifest = z.infer<typeof manifestSchema>;
export type ManifestRule = z.infer<typeof ruleSchema>;
export type ManifestFunction = z.infer<typeof functionSchema>;
export type ManifestRole = z.infer<typeof roleSchema>;
export type ManifestBucketPolicy = z.infer<typeof bucketPolicySchema>;

/** Where a manifest is resolved: the values of its placeholders. */
export interface ManifestPlace {
  account: string;
  region: string;
  partition: string;
}

const PLACEHOLDERS = { account: '{account}', region: '{region}', partition: '{partition}' } as const;

function fill(value: unknown, place: ManifestPlace): unknown {
  if (typeof value === 'string') {
    return value
      .split(PLACEHOLDERS.account)
      .join(place.account)
      .split(PLACEHOLDERS.region)
      .join(place.region)
      .split(PLACEHOLDERS.partition)
      .join(place.partition);
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, place));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [fill(k, place) as string, fill(v, place)]));
  }
  return value;
}

/** The manifest with its placeholders filled for one account and region. Pure. */
export function resolveManifest(manifest: DeploymentManifest, place: ManifestPlace): DeploymentManifest {
  return fill(manifest, place) as DeploymentManifest;
}

/** Validate a manifest document; an invalid one is a start-up error naming the field. */
export function parseManifest(json: unknown, source: string): DeploymentManifest {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${source}:${issue?.path.join('.') ?? ''}`, issue?.message ?? 'is not a deployment manifest');
  }
  return parsed.data;
}

/** Read `deployment.json` next to the code (or `LOGWARDEN_MANIFEST_FILE`), at cold start. */
export function loadManifest(): DeploymentManifest {
  const file = process.env.LOGWARDEN_MANIFEST_FILE ?? join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), MANIFEST_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError(MANIFEST_FILE, `cannot be read from ${file}: ${(cause as Error).message}`);
  }
  return parseManifest(json, MANIFEST_FILE);
}
