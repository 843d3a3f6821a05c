#!/usr/bin/env bash
# The dev command (`npm run dev`): install what is missing, then run the local stack, worker and API.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/npm-ci-if-needed.sh

if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  echo "==> Temporal binaries" >&2
  npx tsx dev/stack/ensure-binaries.ts >&2
fi

npx tsx scripts/build-web.ts

exec npx tsx dev/main.ts "$@"
