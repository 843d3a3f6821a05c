# Sourced by dev.sh and test.sh (from the repository root): checks the Node version package.json names, then
# runs `npm ci` when node_modules is missing or older than package-lock.json.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "pg-rotator needs Node.js 20 or newer (package.json engines); this is $(node --version 2>/dev/null || echo 'no node on PATH')." >&2
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
