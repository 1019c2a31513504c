#!/usr/bin/env bash
# Installs everything the demo needs, on a fresh clone or an existing one: npm dependencies (npm ci) and
# the Python virtual environment with the AWS emulator (moto) and linters. `--browser` also installs
# headless Chromium, which only the HTML report test needs (scripts/test.sh passes it; the demo does not).
# Re-runs only what changed (stamp files hold the hash of the lock/requirements files).
set -euo pipefail
cd "$(dirname "$0")/.."

with_browser=false
for arg in "$@"; do
  case "$arg" in
    --browser) with_browser=true ;;
    *) echo "setup: unknown option $arg (valid: --browser)" >&2; exit 2 ;;
  esac
done

hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "logwarden needs Node.js >= 20 (found $(node --version))" >&2
  exit 2
fi

npm_hash=$(hash_of package.json package-lock.json)
if [ ! -f node_modules/.logwarden-stamp ] || [ "$(cat node_modules/.logwarden-stamp)" != "$npm_hash" ]; then
  echo "setup: installing npm dependencies (npm ci, about a minute on a fresh clone)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$npm_hash" > node_modules/.logwarden-stamp
fi

py_hash=$(hash_of requirements-dev.txt)
if [ ! -x .venv/bin/moto_server ] || [ ! -f .venv/.logwarden-stamp ] || [ "$(cat .venv/.logwarden-stamp)" != "$py_hash" ]; then
  echo "setup: creating the Python venv .venv (a few seconds)…" >&2
  python3 -m venv .venv
  # The install takes over a minute on a fresh clone: pip's "Collecting <package>" lines show it moving
  # (on stderr, like every set-up message); its errors still print in full, and pipefail keeps its exit code.
  echo "setup: installing the AWS emulator (moto) and the template linters into .venv (1–2 minutes)…" >&2
  .venv/bin/python -m pip install --disable-pip-version-check -r requirements-dev.txt \
    | { grep --line-buffered -E '^(Collecting|Successfully installed)' || true; } >&2
  echo "$py_hash" > .venv/.logwarden-stamp
  echo "setup: .venv ready" >&2
fi

if [ "$with_browser" = false ]; then exit 0; fi

# Headless Chromium for the HTML report test (test/browser): Debian's package. CI runs as root on a fresh Debian machine.
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing chromium for the HTML report test (apt-get, a minute or two)…" >&2
  as_root=""
  if [ "$(id -u)" -ne 0 ]; then as_root="sudo"; fi
  $as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
