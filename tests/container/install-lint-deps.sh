#!/usr/bin/env bash
# Installs the Dockerfile linters the container test uses (tests/container,
# exactly as its package-lock.json says) with npm. Idempotent: does nothing
# when they were installed after the lock file last changed.
set -euo pipefail
cd "$(dirname "$0")"
# Written after a successful install only: an interrupted one is redone.
stamp=node_modules/.sctpgw-installed
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then
  exit 0
fi
echo "install-lint-deps: npm ci in tests/container"
npm ci --no-audit --no-fund
touch "$stamp"
