import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    env: {
      LOGWARDEN_LOG_LEVEL: 'CRITICAL',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      // Why: on Node 20 the AWS SDK prints a 9-line NodeVersionSupportWarning (its releases after January 2027
      // need Node 22) once per process, so every test worker and CLI child repeated it; nothing in a run can act
      // on it. The SDK's own switch drops exactly that warning and keeps every other one (cli/main.ts does the
      // same for users; scripts/test.sh, demo.sh and bench.sh export it for their tsx runs). Node policy: README.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
