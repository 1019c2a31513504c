import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { LogwardenError } from '../controllers/core/errors.js';
import { ROOT } from './config.js';

/** The three kinds of function logwarden deploys. */
export type FunctionKind = 'controller' | 'config-rule' | 'heartbeat';

export interface Bundle {
  /** Directory holding `index.mjs` and `policy.json`: the function's code asset. */
  dir: string;
  /** Size of `index.mjs`, raw and gzipped. */
  bytes: number;
  gzipBytes: number;
}

export class BundlingError extends LogwardenError {
  constructor(message: string) {
    super('BundlingFailed', message);
  }
}

/**
 * The entry module of a function. Each guardrail gets its own bundles: the controller's entry is the
 * guardrail's `handler.ts`; the Config rule's entry is generic (it imports the guardrail's
 * `index.ts` and wraps it with `createConfigRuleHandler`), so no per-guardrail file is needed.
 */
export function entrySource(kind: FunctionKind, guardrail?: string): string {
  if (kind === 'heartbeat') return `export { handler } from './controllers/heartbeat/handler.ts';\n`;
  if (!guardrail || !/^[a-z0-9-]+$/.test(guardrail)) throw new BundlingError(`bad guardrail name ${guardrail}`);
  const dir = join(ROOT, 'controllers', guardrail);
  if (kind === 'controller') {
    if (!existsSync(join(dir, 'handler.ts'))) throw new BundlingError(`controllers/${guardrail}/handler.ts does not exist`);
    return `export { handler } from './controllers/${guardrail}/handler.ts';\n`;
  }
  if (!existsSync(join(dir, 'index.ts'))) throw new BundlingError(`controllers/${guardrail}/index.ts does not exist`);
  return [
    `import * as definition from './controllers/${guardrail}/index.ts';`,
    `import { createConfigRuleHandler, findGuardrail } from './controllers/core/config-rule.ts';`,
    `export const handler = createConfigRuleHandler(findGuardrail(definition, ${JSON.stringify(guardrail)}));`,
    '',
  ].join('\n');
}

const cache = new Map<string, Bundle>();

/**
 * Bundle one function with esbuild, locally (no Docker): ESM for nodejs22.x on arm64, minified,
 * everything (AWS SDK v3 modular clients included) inside, so the code does not depend on the
 * SDK version of the runtime. The policy document is written next to the code as `policy.json`.
 */
export function bundle(kind: FunctionKind, guardrail: string | undefined, policyJson: string): Bundle {
  const contents = entrySource(kind, guardrail);
  const result = buildSync({
    stdin: { contents, resolveDir: ROOT, sourcefile: `logwarden-${kind}-${guardrail ?? 'all'}.ts`, loader: 'ts' },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    treeShaking: true,
    legalComments: 'none',
    mainFields: ['module', 'main'],
    // Some CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    write: false,
    logLevel: 'silent',
    outfile: 'index.mjs',
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new BundlingError(`esbuild produced no output for ${kind} ${guardrail ?? ''}`);
  const key = createHash('sha256').update(code).update(policyJson).digest('hex').slice(0, 20);
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = join(tmpdir(), 'logwarden-bundles', `${kind}-${guardrail ?? 'heartbeat'}-${key}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.mjs'), code);
  writeFileSync(join(dir, 'policy.json'), policyJson);
  const out: Bundle = { dir, bytes: code.byteLength, gzipBytes: gzipSync(code).byteLength };
  cache.set(key, out);
  return out;
}

/** Read back a bundle's code (tests). */
export function bundleCode(b: Bundle): string {
  return readFileSync(join(b.dir, 'index.mjs'), 'utf8');
}
