/**
 * Bundle sizes of the guardrails' controller functions, built exactly as the infrastructure builds them
 * (infra/bundle.ts: esbuild, ESM, node22, minified, AWS SDK clients inside). Used by the bundle-size
 * test (budgets in bench/budgets.json) and by `npm run bench`.
 *
 *   npx tsx bench/bundle-size.ts        → JSON {guardrail: {bytes, gzipBytes, dir}} on stdout
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Registry, registry } from '../controllers/companions.js';
import { bundle, bundleList } from '../infra/bundle.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BundleFigures {
  bytes: number;
  gzipBytes: number;
  /** Directory with index.mjs and policy.json (a valid policy for this guardrail). */
  dir: string;
}

/** The example policy, as bundled next to every function. */
export function examplePolicyJson(): string {
  return readFileSync(join(ROOT, 'examples', 'logwarden.policy.json'), 'utf8');
}

/** The guardrails whose controller bundles are measured: the controllers of the registry's bundle list. */
export function controllerTargets(reg: Registry = registry) {
  return bundleList(reg).flatMap((t) => (t.kind === 'controller' ? [t] : []));
}

/** Bundle every registered guardrail's controller. */
export function bundleSizes(reg: Registry = registry): Record<string, BundleFigures> {
  const policy = examplePolicyJson();
  const out: Record<string, BundleFigures> = {};
  for (const t of controllerTargets(reg)) {
    const b = bundle(t, policy, reg);
    out[t.guardrail] = { bytes: b.bytes, gzipBytes: b.gzipBytes, dir: b.dir };
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${JSON.stringify(bundleSizes(), null, 2)}\n`);
}
