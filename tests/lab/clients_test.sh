#!/usr/bin/env bash
# The client libraries in other gRPC languages (clients/python, clients/node,
# clients/go) and their echo examples against sctpgw and an SCTP echo peer
# that is not sctpgw's (socat): each example gets its message back, prints
# the events COMM_UP and SHUTDOWN_COMP of its association and exits 0;
# associating to a port nobody listens on prints the code and ErrorInfo
# reason and exits non-zero. Then each library's own lab tests run
# (tests/lab/clients_{python_library,node_library,go}.sh): streams both
# ways, events, errors, application liveness.
#
# Usage: clients_test.sh BUILD_DIR (run it under kernel SCTP: tests/lab/lab).
# Needs BUILD_DIR/python (the sctpgw_python_stubs target), BUILD_DIR/go
# (scripts/build-go-client.sh, run by the unit.go_client test) and
# clients/node/node_modules (scripts/install-npm-packages.sh clients/node,
# run by scripts/install-deps.sh).
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
[ -f "$root/clients/node/node_modules/@grpc/grpc-js/package.json" ] ||
  fail "no clients/node/node_modules: run scripts/install-npm-packages.sh clients/node"

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
# (The Node.js example's refusal is its library's, which clients/node/lab
# checks; node starts slowly under emulation.)

# The libraries' own lab tests, and the Go example (clients_go.sh checks it
# as check_echo and check_refused do).
run_library() {
  local name="$1" began=$SECONDS
  shift
  "$@" >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; fail "$name library lab tests"; }
  tail -n 3 "$work/$name.log" | sed "s/^/$name: /"
  echo "$name: library ok ($((SECONDS - began)) s)"
}
run_library python "$root/tests/lab/clients_python_library.sh" "$build_dir" "unix:$socket" "$echo_port"
run_library node "$root/tests/lab/clients_node_library.sh" "unix:$socket" "$echo_port"
run_library go "$root/tests/lab/clients_go.sh" "$build_dir" "unix:$socket" "$echo_port"
kill -0 "${pids[0]}" 2>/dev/null || fail "sctpgw is no longer running"
echo "clients: Python, Node.js and Go echoed, reported errors and passed their lab tests ($((SECONDS - start)) s)"
