#!/usr/bin/env bash
# Installs the packages of the deployment test (tests/deploy: kubernetes-models
# and yaml, exactly as its package-lock.json says) with npm. Idempotent: does
# nothing when they were installed after the lock file last changed.
set -euo pipefail
cd "$(dirname "$0")/../tests/deploy"
# Written after a successful install only: an interrupted one is redone.
stamp=node_modules/.sctpgw-installed
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then
  exit 0
fi
echo "install-deploy-test-deps: npm ci in tests/deploy"
npm ci --no-audit --no-fund
touch "$stamp"
