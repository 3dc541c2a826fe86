#!/usr/bin/env bash
# The Go client library (clients/go) against a running sctpgw and an SCTP
# echo peer that is not sctpgw's (socat, echoing on stream 0 with PPID 0):
# the Go echo example gets its message back, prints the events COMM_UP and
# SHUTDOWN_COMP of its association, "session closed", and exits 0;
# associating to the discard port prints the code and ErrorInfo reason and
# exits non-zero (as tests/lab/clients_test.sh checks the Python and Node.js
# examples); then the library's lab tests (clients/go/lab_test.go: send
# streams, receive streams, events, errors, application liveness) run.
#
# Usage: clients_go.sh BUILD_DIR TARGET ECHO_PORT
#   BUILD_DIR  the build whose go/ scripts/build-go-client.sh filled
#              (BUILD_DIR/go/bin/sctpgw_echo_client, sctpgw_go_lab.test)
#   TARGET     sctpgw's address, e.g. unix:/tmp/x/sctpgw.sock
#   ECHO_PORT  the echo peer's SCTP port on 127.0.0.1
# Run it under kernel SCTP (tests/lab/lab), with sctpgw and the peer
# started as tests/lab/clients_test.sh starts them.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 BUILD_DIR TARGET ECHO_PORT" >&2; exit 2; }
build_dir="$(cd "$1" && pwd)"
target="$2"
echo_port="$3"
bin="$build_dir/go/bin"
timeout=60   # seconds for each step
start=$SECONDS

fail() {
  echo "FAIL: $*"
  exit 1
}

for program in sctpgw_echo_client sctpgw_go_lab.test; do
  [ -x "$bin/$program" ] ||
    fail "no $bin/$program: run scripts/build-go-client.sh $build_dir/go"
done

# The echo example: one exchange with the peer.
message="hello from go"
status=0
began=$SECONDS
output="$("$bin/sctpgw_echo_client" --target "$target" --local-address 127.0.0.1 --stream 1 \
  --ppid 46 --timeout "$timeout" 127.0.0.1 "$echo_port" "$message" 2>&1)" || status=$?
printf '%s\n' "$output" | sed "s/^/go: /"
[ "$status" -eq 0 ] || fail "go exited with status $status"
[[ $output =~ associated\ ([0-9]+): ]] || fail "go printed no association"
id="${BASH_REMATCH[1]}"
for expected in "event COMM_UP association $id" "received stream=0 ppid=0: $message" \
                "event SHUTDOWN_COMP association $id" "session closed"; do
  grep -qxF -- "$expected" <<<"$output" || fail "go did not print \"$expected\""
done
echo "go: echo ok ($((SECONDS - began)) s)"

# Associating to a port nobody listens on (the discard port).
status=0
began=$SECONDS
output="$("$bin/sctpgw_echo_client" --target "$target" --local-address 127.0.0.1 \
  --timeout "$timeout" 127.0.0.1 9 "nobody hears this" 2>&1)" || status=$?
printf '%s\n' "$output" | sed "s/^/go: /"
[ "$status" -ne 0 ] || fail "go exited with status 0 although nobody listens"
grep -q "^error Associate: UNAVAILABLE ASSOCIATE_FAILED: " <<<"$output" ||
  fail "go did not print \"error Associate: UNAVAILABLE ASSOCIATE_FAILED: ...\""
if grep -q -e "^received" -e "^panic" -e "^goroutine " <<<"$output"; then
  fail "go printed more than the error"
fi
echo "go: error ok ($((SECONDS - began)) s)"

# The library's own lab tests.
began=$SECONDS
if ! SCTPGW_LAB_TARGET="$target" SCTPGW_LAB_ECHO_PORT="$echo_port" \
    "$bin/sctpgw_go_lab.test" -test.run '^TestLab' -test.v -test.timeout 300s 2>&1 |
    sed "s/^/go lab: /"; then
  fail "the Go library's lab tests failed"
fi
echo "go: library lab tests ok ($((SECONDS - began)) s)"
echo "clients: Go echoed, reported errors and passed its lab tests ($((SECONDS - start)) s)"
