#!/usr/bin/env bash
# The dev command (`npm run dev`): install what is missing, then run the local stack, worker and API.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund
fi

if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  echo "==> Temporal binaries" >&2
  npx tsx dev/stack/ensure-binaries.ts >&2
fi

exec npx tsx dev/main.ts "$@"
