import { join, relative } from 'node:path';
import { buildSync } from 'esbuild';
import type { Registry } from '../../controllers/companions.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The repository files a guardrail's `index.ts` pulls in when bundled (npm packages left out). */
function lambdaInputs(reg: Registry, guardrail: string): string[] {
  const out = buildSync({
    entryPoints: [join(reg.folder(guardrail), 'index.ts')],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  return Object.keys(out.metafile.inputs).map((file) => relative(ROOT, join(process.cwd(), file)));
}

/**
 * One line per registered guardrail whose Lambda code (its `index.ts` and everything that imports)
 * pulls in a demo (`demo.ts`) or the CLI: those stay out of the Lambda bundle.
 */
export function demoCodeInLambda(reg: Registry): string[] {
  return reg.guardrails.flatMap((g) =>
    lambdaInputs(reg, g.name)
      .filter((file) => /(^|\/)demo\.ts$/.test(file) || file.startsWith('cli/'))
      .map((file) => `guardrail ${g.name}: its index.ts pulls in ${file}`),
  );
}
