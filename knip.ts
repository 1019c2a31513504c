import type { KnipConfig } from 'knip';

/**
 * Unused files, exports and dependencies: `npx knip`, part of `npm run lint` and of `npm test`.
 *
 * The entry points are what a person, Lambda, the CDK CLI or vitest starts. Knip finds some by itself:
 * `bin/logwarden.mjs` (package.json `bin`), `cli/main.ts` (the `logwarden` script) and
 * `vitest.config.ts` (its vitest plugin). The others are listed here.
 */
const config: KnipConfig = {
  entry: [
    // The CDK app (cdk.json: `npx tsx infra/main.ts`).
    'infra/main.ts',
    // Guardrail folders. `index.ts` is imported by the Config-rule Lambda entry that infra/bundle.ts
    // generates; `demo.ts` and `infra.ts` are loaded by folder convention (controllers/companions.ts).
    'controllers/*/index.ts',
    'controllers/*/demo.ts',
    'controllers/*/infra.ts',
    // Lambda entries that infra/bundle.ts bundles: each guardrail's `handler.ts` and the heartbeat's.
    'controllers/*/handler.ts',
    // Tests and their fixtures (the fixture guardrail is loaded by folder convention too).
    'test/**/*.test.ts',
    'test/fixtures/**',
    // Benchmarks (scripts/bench.sh runs bench/run.ts) and the npm scripts' shell scripts.
    'bench/*.ts',
    'scripts/*',
  ],
  // The `cdk` command of `npx cdk synth` / `npx cdk deploy` (cdk.json, docs/deployment.md); no npm script names it.
  ignoreDependencies: ['aws-cdk'],
};

export default config;
