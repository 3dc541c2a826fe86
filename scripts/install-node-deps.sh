#!/usr/bin/env bash
# Installs the Node.js example's packages (examples/node, exactly as its
# package-lock.json says) with npm. Idempotent: does nothing when they were
# installed after the lock file last changed.
set -euo pipefail
cd "$(dirname "$0")/../examples/node"
# Written after a successful install only: an interrupted one is redone.
stamp=node_modules/.sctpgw-installed
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then
  exit 0
fi
echo "install-node-deps: npm ci in examples/node"
npm ci --no-audit --no-fund
touch "$stamp"
