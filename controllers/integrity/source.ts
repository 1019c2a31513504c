import { partitionOf } from './events.js';
import type { DeploymentManifest } from './manifest.js';
import { loadManifest, resolveManifest } from './manifest.js';
import type { IntegrityPolicy } from './policy.js';

let deployed: DeploymentManifest | undefined;

/**
 * The manifest to compare with: the policy's `manifest` (CLI, demo, tests), else `deployment.json`
 * next to the code, read once per Lambda container (its first invocation). A missing or invalid file
 * throws a ConfigError, so the sweep or event fails naming it: never a silent pass.
 */
export function manifestFor(
  policy: Pick<IntegrityPolicy, 'manifest'>,
  where: { account: string; region: string },
): DeploymentManifest {
  if (policy.manifest) return resolveManifest(policy.manifest, { ...where, partition: partitionOf(where.region) });
  deployed ??= loadManifest();
  const manifest = deployed;
  return resolveManifest(manifest, { ...where, partition: partitionOf(where.region) });
}
