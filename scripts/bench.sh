#!/usr/bin/env bash
# Builds sctpgw and its benchmark, then runs the benchmark under kernel SCTP
# (the lab: directly when this kernel has SCTP, else a qemu VM): every
# workload directly on kernel SCTP sockets and through sctpgw. Prints the
# table and writes BUILD_DIR/bench.json. docs/benchmarks.md explains it.
#
#   scripts/bench.sh [BUILD_DIR] [-- SCTPGW_BENCH_OPTIONS...]
#   e.g. scripts/bench.sh build -- --duration 5 --scale 1000
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  build_dir="$1"
  shift
fi
[ "${1:-}" = "--" ] && shift
start=$(date +%s)
scripts/install-deps.sh
scripts/build.sh "$build_dir"
build_dir="$(cd "$build_dir" && pwd)"
# The association target is 10,000 in one instance: measure that many
# unless told otherwise.
scale=(--scale 10000)
for arg in "$@"; do [[ "$arg" == --scale* ]] && scale=(); done
tests/lab/lab --quiet --rw "$build_dir" --timeout 1200 -- \
  "$build_dir/bench/sctpgw_bench" --sctpgw "$build_dir/server/sctpgw" \
  --json "$build_dir/bench.json" "${scale[@]}" "$@"
echo "bench: finished in $(( $(date +%s) - start )) s; results in $build_dir/bench.json"
