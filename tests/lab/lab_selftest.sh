#!/usr/bin/env bash
# Checks the lab runner itself: exit status, output, environment, the writable
# working directory, kernel SCTP inside, and the timeout.
set -euo pipefail
lab="$1"
work="$(mktemp -d "${TMPDIR:-/tmp}/sctpgw-labtest.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

set +e
out="$(SCTPGW_LABTEST_VALUE='a b$c' "$lab" --quiet -- bash -c '
  echo "value=$SCTPGW_LABTEST_VALUE"
  echo "cwd=$PWD"
  echo written > result.txt
  /usr/bin/python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, socket.IPPROTO_SCTP); print(\"sctp=yes\")"
  exit 7')"
rc=$?
set -e
echo "$out"
[ "$rc" -eq 7 ] || fail "exit status $rc, expected 7"
grep -qx 'value=a b$c' <<<"$out" || fail "environment not passed through"
grep -qx "cwd=$work" <<<"$out" || fail "working directory not kept"
grep -qx 'sctp=yes' <<<"$out" || fail "no kernel SCTP inside the lab"
[ "$(cat result.txt)" = written ] || fail "file written in the working directory did not come back"

set +e
"$lab" --quiet --timeout 3 -- sleep 600
rc=$?
set -e
[ "$rc" -eq 124 ] || fail "timeout gave exit status $rc, expected 124"
echo "lab runner: all checks passed"
