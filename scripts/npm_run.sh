#!/usr/bin/env bash
# npm_run.sh DIR COMMAND...: runs COMMAND in DIR once DIR/node_modules holds
# exactly what DIR/package-lock.json pins (`npm ci` from the npm registry
# when node_modules is missing or older than the lockfile).
set -euo pipefail
cd "$1"
shift
if [ ! -f node_modules/.package-lock.json ] ||
  [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
exec "$@"
