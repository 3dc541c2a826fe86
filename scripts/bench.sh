#!/usr/bin/env bash
# Builds sctpgw and its benchmarks, then runs one. docs/benchmarks.md
# explains both.
#
# Default: under kernel SCTP (the lab: directly when this kernel has SCTP,
# else a qemu VM), every workload directly on kernel SCTP sockets and through
# sctpgw. Writes BUILD_DIR/bench.json.
#   scripts/bench.sh [BUILD_DIR] [-- SCTPGW_BENCH_OPTIONS...]
#   e.g. scripts/bench.sh build -- --duration 5 --scale 1000
# --quick (an option of sctpgw_bench, after --): a short run to check a
# change, under two minutes in the lab including the VM's boot (the build
# aside): every row of the table, but sizes 256 B and 16 KiB only, 1 s per
# rate case, one run of each, 1 s of round trips, 500 associations. Options
# given beside it win.
#   e.g. scripts/bench.sh -- --quick
#
# --native: natively, no kernel SCTP needed: what sctpgw's rpc and core add
# over an in-memory SCTP stack, beside the floors of unix sockets and gRPC,
# five runs of each. Writes BUILD_DIR/bench-native.json.
#   scripts/bench.sh --native [BUILD_DIR] [-- SCTPGW_NATIVE_BENCH_OPTIONS...]
#   e.g. scripts/bench.sh --native -- --sizes 256 --runs 3
set -euo pipefail
cd "$(dirname "$0")/.."
native=0
if [ "${1:-}" = "--native" ]; then
  native=1
  shift
fi
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
if [ "$native" = 1 ]; then
  "$build_dir/bench/sctpgw_native_bench" --json "$build_dir/bench-native.json" "$@"
  echo "bench: finished in $(( $(date +%s) - start )) s; results in $build_dir/bench-native.json"
  exit 0
fi
# The association target is 10,000 in one instance: measure that many
# unless told otherwise (or asked for a quick run, which has its own).
scale=(--scale 10000)
for arg in "$@"; do [[ "$arg" == --scale* || "$arg" == --quick ]] && scale=(); done
tests/lab/lab --quiet --rw "$build_dir" --timeout 1200 -- \
  "$build_dir/bench/sctpgw_bench" --sctpgw "$build_dir/server/sctpgw" \
  --json "$build_dir/bench.json" "${scale[@]}" "$@"
echo "bench: finished in $(( $(date +%s) - start )) s; results in $build_dir/bench.json"
