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
# -O1 and line tables only: what the sanitizers recommend, and a third
# quicker to build than -O2 -g.
flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG")
case "$sanitizer" in
  address)
    build_dir="${SCTPGW_BUILD_DIR:-build-test}"
    export CC=clang CXX=clang++
    options=(-DSCTPGW_SANITIZER=address -DSCTPGW_FUZZ=ON "${flags[@]}") ;;
  thread)
    build_dir="${SCTPGW_BUILD_DIR:-build-tsan}"
    export CC=clang CXX=clang++
    options=(-DSCTPGW_SANITIZER=thread "${flags[@]}") ;;
  none)
    build_dir="${SCTPGW_BUILD_DIR:-build}"
    sanitizer=""
    options=() ;;
  *)
    echo "test: SCTPGW_SANITIZER must be address, thread or none" >&2
    exit 2 ;;
esac
# A build directory keeps the compiler and options it was first configured
# with; one configured otherwise would test something else without saying.
if [ -f "$build_dir/CMakeCache.txt" ] &&
   ! grep -qx "SCTPGW_SANITIZER:STRING=$sanitizer" "$build_dir/CMakeCache.txt"; then
  echo "test: $build_dir was configured for another sanitizer; remove it or set SCTPGW_BUILD_DIR" >&2
  exit 2
fi
start=$(date +%s)
scripts/install-deps.sh
scripts/build.sh "$build_dir" "${options[@]}"
cd "$build_dir"
status=0
ctest --output-on-failure --parallel "$(nproc)" "$@" || status=$?
echo "test: finished in $(( $(date +%s) - start )) s"
exit "$status"
