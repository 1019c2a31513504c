import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { type Registry, registry } from '../controllers/companions.js';
import { LogwardenError } from '../controllers/core/errors.js';
import { ROOT } from './config.js';

/** One function's code: a guardrail's controller or Config rule evaluator, the heartbeat, or the central heartbeat monitor. */
export type BundleTarget = { kind: 'controller' | 'config-rule'; guardrail: string } | { kind: StandaloneKind };

/** The functions that are not a guardrail's, each with its own Lambda entry. */
const STANDALONE = {
  heartbeat: join('controllers', 'heartbeat', 'handler.ts'),
  'heartbeat-monitor': join('controllers', 'monitor', 'handler.ts'),
} as const;
type StandaloneKind = keyof typeof STANDALONE;

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

/** The functions every guardrail gets, each from its own bundle. */
const GUARDRAIL_KINDS = ['controller', 'config-rule'] as const;

/** Every bundle the registry's guardrails need, in registry order, then the heartbeat's. Pure. */
export function bundleList(reg: Pick<Registry, 'guardrails'>): BundleTarget[] {
  const perGuardrail = reg.guardrails.flatMap((g) => GUARDRAIL_KINDS.map((kind) => ({ kind, guardrail: g.name })));
  return [...perGuardrail, { kind: 'heartbeat' }];
}

/** `controller-cloudtrail`, `config-rule-cloudtrail`, `heartbeat`: the target's name in bundle directories. */
export function bundleName(target: BundleTarget): string {
  return 'guardrail' in target ? `${target.kind}-${target.guardrail}` : target.kind;
}

const CORE = join(ROOT, 'controllers', 'core');
/** The Lambda factory of each guardrail function kind, in `controllers/core/`. */
const FACTORY = {
  controller: { module: 'lambda.ts', name: 'createLambdaHandler' },
  'config-rule': { module: 'config-rule.ts', name: 'createConfigRuleHandler' },
} as const;

/**
 * The entry module of a function, generated: it imports the guardrail's `index.ts` from the folder the
 * registry gives, finds the definition by name (whatever the export is called) and wraps it with the
 * kind's factory. So a guardrail folder needs no per-function file, and a folder outside
 * `controllers/` (a test fixture) bundles the same way.
 */
export function entrySource(target: BundleTarget, reg: Registry = registry): string {
  if (!('guardrail' in target)) return `export { handler } from ${JSON.stringify(join(ROOT, STANDALONE[target.kind]))};\n`;
  if (!reg.guardrails.some((g) => g.name === target.guardrail)) {
    throw new BundlingError(`${target.guardrail} is not a guardrail of the registry`);
  }
  const index = join(reg.folder(target.guardrail), 'index.ts');
  if (!existsSync(index)) throw new BundlingError(`${index} does not exist`);
  const factory = FACTORY[target.kind];
  return [
    `import * as definition from ${JSON.stringify(index)};`,
    `import { findGuardrail } from ${JSON.stringify(join(CORE, 'bootstrap.ts'))};`,
    `import { ${factory.name} } from ${JSON.stringify(join(CORE, factory.module))};`,
    `export const handler = ${factory.name}(findGuardrail(definition, ${JSON.stringify(target.guardrail)}));`,
    '',
  ].join('\n');
}

/**
 * Compile one function with esbuild, locally (no Docker): ESM for nodejs22.x on arm64, minified,
 * everything (AWS SDK v3 modular clients included) inside, so the code does not depend on the SDK
 * version of the runtime.
 */
function compile(target: BundleTarget, reg: Registry): Uint8Array {
  const result = buildSync({
    stdin: {
      contents: entrySource(target, reg),
      resolveDir: ROOT,
      sourcefile: `logwarden-${bundleName(target)}.ts`,
      loader: 'ts',
    },
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
  if (!code) throw new BundlingError(`esbuild produced no output for ${bundleName(target)}`);
  return code;
}

/**
 * Write the code and the policy document (`policy.json`, next to the code) into a directory named by
 * their hash. The directory is filled aside and renamed into place, so a concurrent build of the same
 * content (another test process) never sees it half written.
 */
function writeBundle(target: BundleTarget, code: Uint8Array, policyJson: string): Bundle {
  const key = createHash('sha256').update(code).update(policyJson).digest('hex').slice(0, 20);
  const dir = join(tmpdir(), 'logwarden-bundles', `${bundleName(target)}-${key}`);
  if (!existsSync(dir)) {
    const staging = `${dir}.${randomUUID()}`;
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'index.mjs'), code);
    writeFileSync(join(staging, 'policy.json'), policyJson);
    try {
      renameSync(staging, dir);
    } catch (cause) {
      // Another process renamed the same content into place first.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(dir)) throw new BundlingError(`cannot write ${dir}: ${(cause as Error).message}`);
    }
  }
  return { dir, bytes: code.byteLength, gzipBytes: gzipSync(code).byteLength };
}

/** Bundle one function of the registry, with the policy document next to its code. */
export function bundle(target: BundleTarget, policyJson: string, reg: Registry = registry): Bundle {
  return writeBundle(target, compile(target, reg), policyJson);
}

/**
 * The bundles of one app build: each target is compiled once however many stacks deploy it (the
 * StackSet template and each management-account stack), as esbuild takes about a second a bundle.
 * The memo lives as long as the app build that owns this object, not the process.
 */
export class Bundler {
  readonly registry: Registry;
  readonly #code = new Map<string, Uint8Array>();

  constructor(reg: Registry = registry) {
    this.registry = reg;
  }

  bundle(target: BundleTarget, policyJson: string): Bundle {
    const name = bundleName(target);
    let code = this.#code.get(name);
    if (!code) {
      code = compile(target, this.registry);
      this.#code.set(name, code);
    }
    return writeBundle(target, code, policyJson);
  }
}
