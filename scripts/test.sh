#!/usr/bin/env bash
# The test command: set-up, lint and type checks, then unit and integration tests (the latter on the emulator).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== lint (biome) and types (tsc)" >&2
npx biome check .
npx tsc --noEmit
echo "== tests (vitest: unit + integration on the emulator)" >&2
npx vitest run "$@"
