#!/usr/bin/env bash
# The main job: logwarden demo on the embedded emulator (set-up included).
set -euo pipefail
cd "$(dirname "$0")/.."
# The AWS SDK's 9-line NodeVersionSupportWarning on Node 20 (see vitest.config.ts): off, with the SDK's own switch.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}"
bash scripts/setup.sh
exec npx tsx cli/main.ts demo "$@"
