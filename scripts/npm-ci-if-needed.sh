# Sourced by dev.sh and test.sh (from the repository root): `npm ci` when node_modules is missing or older than
# package-lock.json. A symlinked node_modules (a git worktree sharing another checkout's) is left alone:
# `npm ci` would empty the folder it points to, under every checkout that shares it.
if [ -L node_modules ]; then
  [ -f node_modules/.package-lock.json ] || echo "==> node_modules is a symlink to an incomplete install: run npm ci where it points" >&2
elif [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund
fi
