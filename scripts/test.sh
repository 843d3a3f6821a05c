#!/usr/bin/env bash
# The test command (`npm test`): install, lint, type-check, then all Vitest suites (unit → workflow → integration).
# Extra arguments go to `vitest run`, e.g. `npm test -- test/unit`.
# The last line printed is always `N passed, M failed` (optionally `, K skipped`), alone: CI reads it as the run's
# result, also when a step before Vitest fails (then `0 passed, 1 failed`, and a non-zero exit).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
closing_line=
trap '[ -n "$closing_line" ] || printf "\n0 passed, 1 failed\n"' EXIT

source scripts/npm-ci-if-needed.sh

step "Temporal binaries (TEMPORAL_CLI_PATH / PATH / .venv) and Schemathesis (.venv)"
npx tsx dev/stack/ensure-binaries.ts --schemathesis

step "eslint"
npx eslint .

step "tsc --noEmit (and the web console's own tsconfig)"
npx tsc --noEmit
npx tsc --noEmit -p web

step "web console build (when its sources changed)"
npx tsx scripts/build-web.ts

step "vitest run $*"
mkdir -p .data
rm -f .data/vitest-report.json
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.data/vitest-report.json "$@" || status=$?
# A run that failed without a failed test (global setup, a suite that did not load) still closes as failed.
closing_line=$(STATUS="$status" node -e '
  const r = JSON.parse(require("fs").readFileSync(".data/vitest-report.json", "utf8"));
  const failed = r.numFailedTests || (process.env.STATUS === "0" ? 0 : Math.max(1, r.numFailedTestSuites));
  console.log(`${r.numPassedTests} passed, ${failed} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' 2>/dev/null) || { closing_line="0 passed, 1 failed"; [ "$status" -ne 0 ] || status=1; }
echo "$closing_line"
exit "$status"
