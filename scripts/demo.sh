#!/usr/bin/env bash
# The main job: logwarden demo on the embedded emulator (set-up included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx tsx cli/main.ts demo "$@"
