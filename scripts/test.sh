#!/usr/bin/env bash
# The test command (`npm test`): install, lint, type-check, then all Vitest suites (unit → workflow → integration).
# Extra arguments go to `vitest run`, e.g. `npm test -- test/unit`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi

step "Temporal binaries (TEMPORAL_CLI_PATH / PATH / .venv) and Schemathesis (.venv)"
npx tsx dev/stack/ensure-binaries.ts --schemathesis

step "eslint"
npx eslint .

step "tsc --noEmit"
npx tsc --noEmit

step "vitest run $*"
mkdir -p .data
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.data/vitest-report.json "$@" || status=$?
# The closing line CI reads as the test run's result: `N passed, M failed`, alone, last.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".data/vitest-report.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || echo "0 passed, 1 failed"
exit "$status"
