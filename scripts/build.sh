#!/usr/bin/env bash
# Configures (once) and builds sctpgw and its tests into the given directory.
#
# Compiles through ccache where it is installed (scripts/install-deps.sh
# installs it): paths are made relative to the source tree, so another
# clone or build directory of the same sources reuses what was compiled
# (CCACHE_DIR, by default ~/.cache/ccache, keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build}"
shift || true
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
fi
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja "${launcher[@]}" "$@"
fi
cmake --build "$build_dir" --parallel "$(nproc)"
