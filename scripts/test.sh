#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests on this
# host, kernel-SCTP tests through the lab (a VM when this kernel has no SCTP),
# the fuzz targets for a bounded time, the deployment and container checks.
#
# Tests run on a sanitizer build: clang with AddressSanitizer +
# UndefinedBehaviorSanitizer (LeakSanitizer at every exit), the libFuzzer
# targets built alongside. SCTPGW_SANITIZER=thread runs the same tests under
# ThreadSanitizer instead; SCTPGW_SANITIZER=none on a plain build.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizer="${SCTPGW_SANITIZER:-address}"
start=$(date +%s)
scripts/install-deps.sh
case "$sanitizer" in
  address)
    build_dir="${SCTPGW_BUILD_DIR:-build-test}"
    CXX=clang++ scripts/build.sh "$build_dir" -DSCTPGW_SANITIZER=address -DSCTPGW_FUZZ=ON \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" ;;
  thread)
    build_dir="${SCTPGW_BUILD_DIR:-build-tsan}"
    CXX=clang++ scripts/build.sh "$build_dir" -DSCTPGW_SANITIZER=thread \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" ;;
  none)
    build_dir="${SCTPGW_BUILD_DIR:-build}"
    scripts/build.sh "$build_dir" ;;
  *)
    echo "test: SCTPGW_SANITIZER must be address, thread or none" >&2
    exit 2 ;;
esac
cd "$build_dir"
status=0
ctest --output-on-failure --parallel "$(nproc)" "$@" || status=$?
echo "test: finished in $(( $(date +%s) - start )) s"
exit "$status"
