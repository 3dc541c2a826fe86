#!/usr/bin/env bash
# libsctpd as an application sees it: installed (cmake --install into a
# temporary prefix), found by pkg-config, a C program written for the SCTP
# library's API (tests/sctpd/ported_from_sctplib.c) compiled and linked
# against it with nothing but `pkg-config --cflags --libs libsctpd`, and the
# library exporting its C API and nothing else.
#
# Usage: pkg_config_test.sh BUILD_DIR CC [SANITIZER]  (the build's C compiler
# and sanitizers, whose runtime a program linking the library needs too)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build_dir="$(cd "$1" && pwd)"
cc="$2"
sanitizer="${3:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >"$work/install.log" ||
  { cat "$work/install.log"; exit 1; }
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
flags=()
# A sanitized libsctpd needs the C++ parts of the sanitizer runtimes.
[ -n "$sanitizer" ] && flags+=("-fsanitize=$sanitizer" -fsanitize-link-c++-runtime -lstdc++)
# shellcheck disable=SC2046  # pkg-config's words are meant to split.
"$cc" "${flags[@]}" -Wall -Wextra -Werror "$root/tests/sctpd/ported_from_sctplib.c" \
  $(pkg-config --cflags --libs libsctpd) -o "$work/ported"
echo "pkg-config: $(pkg-config --modversion libsctpd), $(pkg-config --libs libsctpd)"

exported="$(nm -D --defined-only "$work/prefix/lib/libsctpd.so" | awk '{print $3}' | sort)"
others="$(grep -v -e '^sctpd_' -e '^dispatchUAMesg$' <<<"$exported" || true)"
[ -z "$others" ] || { echo "FAIL: libsctpd exports more than its API:"; echo "$others" | head; exit 1; }
echo "libsctpd exports $(wc -l <<<"$exported") symbols, all of ua.h"
echo "1 passed, 0 failed"
