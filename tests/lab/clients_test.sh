#!/usr/bin/env bash
# The example clients in other gRPC languages (examples/python, examples/node)
# against sctpgw and an SCTP echo peer that is not sctpgw's (socat): each gets
# its message back, prints the events COMM_UP and SHUTDOWN_COMP of its
# association and exits 0; associating to a port nobody listens on prints the
# code and ErrorInfo reason and exits non-zero.
#
# Usage: clients_test.sh BUILD_DIR (run it under kernel SCTP: tests/lab/lab).
# Needs BUILD_DIR/python (the sctpgw_python_stubs target) and
# examples/node/node_modules (scripts/install-node-deps.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build_dir="$(cd "$1" && pwd)"
stubs="$build_dir/python"
start=$SECONDS
timeout=60   # seconds for each step

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  for log in "$work"/*.log; do
    [ -f "$log" ] && { echo "--- $(basename "$log")"; cat "$log"; }
  done
  exit 1
}

[ -f "$stubs/sctpgw/v1/gateway_service_pb2_grpc.py" ] ||
  fail "no Python stubs in $stubs: build the sctpgw_python_stubs target"
[ -f "$root/examples/node/node_modules/@grpc/grpc-js/package.json" ] ||
  fail "no examples/node/node_modules: run scripts/install-node-deps.sh"

# sctpgw, ready once its health service answers.
socket="$work/sctpgw.sock"
setsid "$build_dir/server/sctpgw" --listen "unix:$socket" --log-level warn \
  >"$work/sctpgw.log" 2>&1 &
pids+=($!)
"$root/tests/tools/grpc_health.py" "unix:$socket" "$timeout" >"$work/health.log" ||
  fail "sctpgw is not SERVING on unix:$socket"
echo "sctpgw: SERVING ($((SECONDS - start)) s)"

# The echo peer: socat, one child per association, each echoing what it reads
# with plain write() (so on stream 0 with PPID 0). It prints its port once
# listening; its log comes through a fifo so that this waits for that line.
mkfifo "$work/socat.fifo"
setsid socat -d -d SCTP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork PIPE 2>"$work/socat.fifo" &
pids+=($!)
exec {socat_out}<"$work/socat.fifo"
deadline=$((SECONDS + timeout))
line=""
until [[ $line =~ listening\ on\ .*:([0-9]+)$ ]]; do
  remaining=$((deadline - SECONDS))
  if [ "$remaining" -le 0 ] || ! IFS= read -r -t "$remaining" -u "$socat_out" line; then
    fail "socat did not start listening"
  fi
  echo "$line" >>"$work/socat.log"
done
echo_port="${BASH_REMATCH[1]}"
cat <&"$socat_out" >>"$work/socat.log" &
exec {socat_out}<&-

python_client=(/usr/bin/python3 "$root/examples/python/sctpgw_echo_client.py" --stubs "$stubs")
node_client=(node "$root/examples/node/sctpgw_echo_client.js")

# check_echo NAME COMMAND...: one exchange with the echo peer.
check_echo() {
  local name="$1" message="hello from $1" output status=0 began=$SECONDS
  shift
  output="$("$@" --target "unix:$socket" --local-address 127.0.0.1 --stream 1 --ppid 46 \
    --timeout "$timeout" 127.0.0.1 "$echo_port" "$message" 2>&1)" || status=$?
  printf '%s\n' "$output" | sed "s/^/$name: /"
  [ "$status" -eq 0 ] || fail "$name exited with status $status"
  [[ $output =~ associated\ ([0-9]+): ]] || fail "$name printed no association"
  local id="${BASH_REMATCH[1]}"
  for expected in "event COMM_UP association $id" "received stream=0 ppid=0: $message" \
                  "event SHUTDOWN_COMP association $id" "session closed"; do
    grep -qxF -- "$expected" <<<"$output" || fail "$name did not print \"$expected\""
  done
  echo "$name: echo ok ($((SECONDS - began)) s)"
}

# check_refused NAME COMMAND...: associating to a port nobody listens on (the
# discard port) fails with the code and reason, and a non-zero status.
check_refused() {
  local name="$1" output status=0 began=$SECONDS
  shift
  output="$("$@" --target "unix:$socket" --local-address 127.0.0.1 --timeout "$timeout" \
    127.0.0.1 9 "nobody hears this" 2>&1)" || status=$?
  printf '%s\n' "$output" | sed "s/^/$name: /"
  [ "$status" -ne 0 ] || fail "$name exited with status 0 although nobody listens"
  grep -q "^error Associate: UNAVAILABLE ASSOCIATE_FAILED: " <<<"$output" ||
    fail "$name did not print \"error Associate: UNAVAILABLE ASSOCIATE_FAILED: ...\""
  if grep -q -e "^received" -e "Traceback" -e "    at " <<<"$output"; then
    fail "$name printed more than the error"
  fi
  echo "$name: error ok ($((SECONDS - began)) s)"
}

check_echo python "${python_client[@]}"
check_echo node "${node_client[@]}"
check_refused python "${python_client[@]}"
check_refused node "${node_client[@]}"
kill -0 "${pids[0]}" 2>/dev/null || fail "sctpgw is no longer running"
echo "clients: Python and Node.js echoed and reported errors ($((SECONDS - start)) s)"
