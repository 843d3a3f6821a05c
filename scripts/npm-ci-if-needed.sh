# Sourced by dev.sh and test.sh (from the repository root): checks the Node version package.json names, then
# runs `npm ci` when node_modules is missing or older than package-lock.json.
# The minimum is package.json's engines.node (">=major.minor"), compared by major and minor: dependencies
# need 20.19 (vite 8, yargs 18), so "Node 20" alone is not enough.
if ! node -e '
  const want = require("./package.json").engines.node.match(/(\d+)\.(\d+)/);
  const [major, minor] = process.versions.node.split(".").map(Number);
  const [needMajor, needMinor] = [Number(want[1]), Number(want[2])];
  if (major > needMajor || (major === needMajor && minor >= needMinor)) process.exit(0);
  console.error(`pg-rotator needs Node.js ${needMajor}.${needMinor} or newer (package.json engines: ${want.input}); this is ${process.version}.`);
  process.exit(1);
'; then
  command -v node >/dev/null || echo "pg-rotator needs Node.js (package.json engines); there is no node on PATH." >&2
  exit 1
fi
# A symlinked node_modules (a git worktree sharing another checkout's) is left alone: `npm ci` would empty the
# folder it points to, under every checkout that shares it.
if [ -L node_modules ]; then
  [ -f node_modules/.package-lock.json ] || echo "==> node_modules is a symlink to an incomplete install: run npm ci where it points" >&2
elif [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund
fi
