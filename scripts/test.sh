#!/usr/bin/env bash
# The test command: set-up, lint, type and unused-code checks, the CLI build, then unit, integration, infrastructure and
# reliability tests (integration tests run on the emulator). Ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
# The AWS SDK's 9-line NodeVersionSupportWarning on Node 20 (see vitest.config.ts): off, with the SDK's own switch.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}"
# --browser: headless Chromium for the HTML report test (test/browser); the demo never installs it.
bash scripts/setup.sh --browser
echo "== lint (biome), types (tsc), unused files, exports and dependencies (knip)" >&2
npx biome check .
npx tsc --noEmit
npx knip
echo "== build (npm run build): the bundled CLI in dist/ that bin/logwarden.mjs runs and the CLI tests start" >&2
npm run build --silent
echo "== tests (vitest)" >&2
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report" || true
exit "$status"
