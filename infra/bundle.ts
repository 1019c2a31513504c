import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { type Zippable, zipSync } from 'fflate';
import { type Registry, registry } from '../controllers/companions.js';
import { LogwardenError } from '../controllers/core/errors.js';
import { MANIFEST_FILE } from '../controllers/integrity/manifest.js';
import { ROOT } from './config.js';

/** One function's code: a guardrail's controller or Config rule evaluator, the heartbeat, or a central function (the heartbeat monitor, the origin check). */
export type BundleTarget = { kind: 'controller' | 'config-rule'; guardrail: string } | { kind: StandaloneKind };

/** The functions that are not a guardrail's, each with its own Lambda entry. */
const STANDALONE = {
  heartbeat: join('controllers', 'heartbeat', 'handler.ts'),
  'heartbeat-monitor': join('controllers', 'monitor', 'handler.ts'),
  'origin-check': join('controllers', 'origin-check', 'handler.ts'),
} as const;
type StandaloneKind = keyof typeof STANDALONE;

export interface Bundle {
  /** Directory holding `index.mjs`, `policy.json` and maybe `deployment.json`, unpacked (for local runs). */
  dir: string;
  /** The same files as a deterministic zip: the function's code asset, uploaded as is. */
  zipFile: string;
  /** Base64 SHA-256 of the zip's bytes: what Lambda reports as the function's `CodeSha256`. */
  codeSha256: string;
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

/** The files of a bundle besides its code: `policy.json`, and `deployment.json` for the manifest holders. */
export interface BundleFiles {
  policyJson: string;
  /** The deployment manifest (infra/manifest.ts), only in the bundles that check logwarden's own wiring. */
  manifestJson?: string;
}

/**
 * The zip epoch (1980-01-01 00:00). Built from local-time parts because zip times are local times
 * (fflate reads the Date's local fields): so every time zone writes the same bytes.
 */
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** A regular file, rw-r--r-- (Unix, in the high 16 bits of the external attributes). */
const ZIP_FILE_ATTRS = 0o100644 * 0x10000;
const UNIX = 3;

/**
 * A deterministic zip of `files`: entries sorted by name, one fixed mtime, fixed Unix permissions and
 * compression level. The same files always give the same bytes, so the hash Lambda reports
 * (`CodeSha256`) is known at synth. Pure.
 */
export function deterministicZip(files: Readonly<Record<string, Uint8Array>>): Uint8Array {
  // fflate writes the entries in the object's key order (names such as `index.mjs` are never integer keys).
  const entries: Zippable = {};
  for (const name of Object.keys(files).sort()) {
    entries[name] = [files[name] as Uint8Array, { mtime: ZIP_MTIME, os: UNIX, attrs: ZIP_FILE_ATTRS, level: 6 }];
  }
  return zipSync(entries);
}

/** Base64 SHA-256 of a deployment package, as Lambda's `CodeSha256`. Pure. */
export function codeSha256Of(zip: Uint8Array): string {
  return createHash('sha256').update(zip).digest('base64');
}

/** The files of a bundle, by name in the package. */
function bundleFiles(code: Uint8Array, files: BundleFiles): Record<string, Uint8Array> {
  const text = (s: string) => new TextEncoder().encode(s);
  return {
    'index.mjs': code,
    'policy.json': text(files.policyJson),
    ...(files.manifestJson === undefined ? {} : { [MANIFEST_FILE]: text(files.manifestJson) }),
  };
}

/**
 * Write the bundle into a directory named by its zip's hash: `code/` (the files, unpacked) and
 * `code.zip`. The directory is filled aside and renamed into place, so a concurrent build of the same
 * content (another test process) never sees it half written.
 */
function writeBundle(target: BundleTarget, code: Uint8Array, files: BundleFiles): Bundle {
  const contents = bundleFiles(code, files);
  const zip = deterministicZip(contents);
  const key = createHash('sha256').update(zip).digest('hex').slice(0, 20);
  const root = join(tmpdir(), 'logwarden-bundles', `${bundleName(target)}-${key}`);
  if (!existsSync(root)) {
    const staging = `${root}.${randomUUID()}`;
    mkdirSync(join(staging, 'code'), { recursive: true });
    for (const [name, bytes] of Object.entries(contents)) writeFileSync(join(staging, 'code', name), bytes);
    writeFileSync(join(staging, 'code.zip'), zip);
    try {
      renameSync(staging, root);
    } catch (cause) {
      // Another process renamed the same content into place first.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(root)) throw new BundlingError(`cannot write ${root}: ${(cause as Error).message}`);
    }
  }
  return {
    dir: join(root, 'code'),
    zipFile: join(root, 'code.zip'),
    codeSha256: codeSha256Of(zip),
    bytes: code.byteLength,
    gzipBytes: gzipSync(code).byteLength,
  };
}

/** Bundle one function of the registry, with the policy document (and the manifest, if given) next to its code. */
export function bundle(target: BundleTarget, files: BundleFiles | string, reg: Registry = registry): Bundle {
  return writeBundle(target, compile(target, reg), typeof files === 'string' ? { policyJson: files } : files);
}

/**
 * The bundles of one app build: each target is compiled once however many stacks deploy it (the
 * StackSet template and each management-account stack), as esbuild takes about a second a bundle.
 * The memo lives as long as the app build that owns this object, not the process.
 */
export class Bundler {
  readonly registry: Registry;
  readonly #code = new Map<string, Uint8Array>();
  /** Zipping a bundle takes a few hundred ms: the same files are zipped once per app build. */
  readonly #bundles = new Map<string, Bundle>();

  constructor(reg: Registry = registry) {
    this.registry = reg;
  }

  bundle(target: BundleTarget, files: BundleFiles): Bundle {
    const name = bundleName(target);
    const digest = createHash('sha256')
      .update(JSON.stringify([name, files.policyJson, files.manifestJson ?? null]))
      .digest('hex');
    const done = this.#bundles.get(digest);
    if (done) return done;
    let code = this.#code.get(name);
    if (!code) {
      code = compile(target, this.registry);
      this.#code.set(name, code);
    }
    const built = writeBundle(target, code, files);
    this.#bundles.set(digest, built);
    return built;
  }
}
