#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests on this
# host, kernel-SCTP tests through the lab (a VM when this kernel has no SCTP).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${SCTPGW_BUILD_DIR:-build}"
start=$(date +%s)
scripts/install-deps.sh
scripts/build.sh "$build_dir"
cd "$build_dir"
status=0
ctest --output-on-failure --parallel "$(nproc)" "$@" || status=$?
echo "test: finished in $(( $(date +%s) - start )) s"
exit "$status"
