/**
 * Bundle sizes of the guardrails' Lambda handlers, built exactly as the infrastructure builds them
 * (infra/bundle.ts: esbuild, ESM, node22, minified, AWS SDK clients inside). Used by the bundle-size
 * test (budgets in bench/budgets.json) and by `npm run bench`.
 *
 *   npx tsx bench/bundle-size.ts        → JSON {guardrail: {bytes, gzipBytes, dir}} on stdout
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guardrails } from '../controllers/registry.js';
import { bundle } from '../infra/bundle.js';

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

/** Bundle every registered guardrail's controller handler. */
export function bundleSizes(): Record<string, BundleFigures> {
  const policy = examplePolicyJson();
  const out: Record<string, BundleFigures> = {};
  for (const g of guardrails) {
    const b = bundle('controller', g.name, policy);
    out[g.name] = { bytes: b.bytes, gzipBytes: b.gzipBytes, dir: b.dir };
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${JSON.stringify(bundleSizes(), null, 2)}\n`);
}
