#!/usr/bin/env bash
# The Go client library (clients/go): builds it and its example with
# scripts/build-go-client.sh into OUTDIR, checks that the Go sources are
# gofmt'ed and go vet clean, and runs the library's tests against an
# in-process fake sctpgw (no kernel SCTP), the echo example's among them.
#
# Usage: tests/go_client_test.sh OUTDIR (e.g. BUILD/go). Needs Debian's Go
# packages (scripts/install-go-deps.sh); builds offline. Go's build cache
# is shared (scripts/build-go-client.sh). SCTPGW_GO_JOBS: parallel compile jobs (default 2).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out="$1"
jobs="${SCTPGW_GO_JOBS:-2}"

"$root/scripts/build-go-client.sh" "$out"
out="$(cd "$out" && pwd)"
# shellcheck source=/dev/null
. "$out/env.sh"

unformatted="$(gofmt -l "$root/clients/go" "$root/examples/go")"
if [ -n "$unformatted" ]; then
  echo "FAIL: not gofmt'ed:"
  echo "$unformatted"
  exit 1
fi
go vet -p "$jobs" sctpgw.dev/client sctpgw.dev/examples/sctpgw_echo_client
go vet -p "$jobs" -tags lab sctpgw.dev/client

SCTPGW_GO_ECHO_CLIENT="$out/bin/sctpgw_echo_client" \
  go test -p "$jobs" -count=1 -timeout 300s sctpgw.dev/client
