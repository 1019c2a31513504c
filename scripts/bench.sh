#!/usr/bin/env bash
# The benchmarks (not part of the tests): set-up, then bench/run.ts, which writes
# bench/results/latest.json and bench/results/latest.md. Extra arguments go to bench/run.ts
# (--quick: skip the 10,000-bucket sweep and the side-by-side with Cloud Custodian, fewer iterations).
# Takes about 2–3 minutes on 2 cores, plus about 8 for the side-by-side (bench/side-by-side.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
# The AWS SDK's 9-line NodeVersionSupportWarning on Node 20 (see vitest.config.ts): off, with the SDK's own switch.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}"
bash scripts/setup.sh
# The CLI as users run it (bin/logwarden.mjs starts dist/ when it is built): the side-by-side times whole processes.
npm run build --silent
NODE_NO_WARNINGS=1 npx tsx bench/run.ts "$@"
