/**
 * `npm run build`: the CLI as plain JavaScript in dist/ (what `npm pack` ships and bin/logwarden.mjs
 * runs when it is there). One esbuild bundle of cli/main.ts with every dependency inside, split so
 * that each command's lazily imported action is its own chunk: `--help` parses only the small entry.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { registry } from '../controllers/companions.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const DIST = join(ROOT, 'dist');

/**
 * cli/demo/parts.ts finds each guardrail's demo.ts by its folder at run time; dist/ has no folders, so
 * in the bundle that module imports every registered guardrail's demo.ts instead (generated from the
 * registry, as infra/bundle.ts generates the Lambda entries).
 */
function demoPartsSource(): string {
  const parts = registry.guardrails.map((g, index) => {
    const file = join(registry.folder(g.name), 'demo.ts');
    if (!existsSync(file)) throw new Error(`guardrail ${g.name} has no demo.ts (${file})`);
    return { name: g.name, binding: `demo${index}`, file };
  });
  return [
    ...parts.map((p) => `import * as ${p.binding} from ${JSON.stringify(p.file)};`),
    `const parts = { ${parts.map((p) => `${JSON.stringify(p.name)}: ${p.binding}`).join(', ')} };`,
    'export async function loadDemoPart(_registry, guardrail) { return parts[guardrail] ?? null; }',
    '',
  ].join('\n');
}

const bundledDemoParts: Plugin = {
  name: 'logwarden-demo-parts',
  setup(onBuild) {
    onBuild.onLoad({ filter: /[\\/]cli[\\/]demo[\\/]parts\.ts$/ }, () => ({
      contents: demoPartsSource(),
      loader: 'js',
      resolveDir: ROOT,
    }));
  },
};

/** Bundle the CLI into `outdir` (emptied first); returns esbuild's metafile (which inputs went into which output). */
export async function buildCli(outdir: string = DIST): Promise<Metafile> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { main: join(ROOT, 'cli', 'main.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    // Third-party licence comments are kept, at the end of each file.
    legalComments: 'eof',
    mainFields: ['module', 'main'],
    // Some CommonJS dependencies call require(); give every ESM chunk one (as infra/bundle.ts does).
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    plugins: [bundledDemoParts],
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const metafile = await buildCli();
  const outputs = Object.entries(metafile.outputs);
  const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
  process.stderr.write(`build: ${outputs.length} file(s), ${Math.round(bytes / 1024)} KiB in ${DIST}\n`);
}
