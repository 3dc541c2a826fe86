#!/usr/bin/env bash
# Installs the npm packages of each directory given (relative to the
# checkout: examples/node, clients/node, tests/deploy, tests/container),
# exactly as its package-lock.json says, from the npm registry. Idempotent:
# a directory is skipped when its packages were installed after its lock
# file last changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
for dir in "$@"; do
  cd "$root/$dir"
  # Written after a successful install only: an interrupted one is redone.
  stamp=node_modules/.sctpgw-installed
  if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then
    continue
  fi
  echo "install-npm-packages: npm ci in $dir"
  npm ci --no-audit --no-fund
  touch "$stamp"
done
