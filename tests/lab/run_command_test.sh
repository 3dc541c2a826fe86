#!/usr/bin/env bash
# Checks the README's run command end to end: scripts/run.sh starts sctpgw
# (inside the lab VM when this kernel has no SCTP) and a gRPC client on this
# host reaches it and finds it SERVING; through it, an association over UDP
# (RFC 6951) reaches an SCTP peer on this host (usrsctp's echo server, a
# userland stack: this kernel needs no SCTP for it); SIGTERM then stops
# everything.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build_dir="$1"
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
SCTPGW_PORT="$port" SCTPGW_BUILD_DIR="$build_dir" setsid "$root/scripts/run.sh" >"$log" 2>&1 &
pid=$!
cleanup() { kill -TERM -- "-$pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

status=0
"$root/tests/tools/grpc_health.py" "127.0.0.1:$port" 120 || status=$?
cat "$log"
[ "$status" -eq 0 ] || { echo "FAIL: sctpgw started by scripts/run.sh is not SERVING on 127.0.0.1:$port"; exit 1; }

if "$root/tests/lab/lab" --probe 2>/dev/null; then
  echo "run command: this kernel has SCTP; the path over qemu's user network is not used"
else
  # An SCTP peer outside the VM, on this host: usrsctp's echo server on a
  # free UDP port, echoing on each message's stream with its PPID.
  udp_port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 0)); print(s.getsockname()[1])')"
  peer_log="$(mktemp)"
  stdbuf -oL /usr/lib/usrsctp/echo_server "$udp_port" >"$peer_log" 2>&1 &
  peer=$!
  trap 'cleanup; kill "$peer" 2>/dev/null || true; rm -f "$peer_log"' EXIT
  ctl=("$build_dir/client/sctpctl" --target "127.0.0.1:$port" --timeout-ms 30000)
  session="$("${ctl[@]}" session open)"
  export SCTPGW_SESSION="$session"
  endpoint="$("${ctl[@]}" --json endpoint open 10.0.2.15 --udp-port "$udp_port" |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["endpoint_id"])')"
  association="$("${ctl[@]}" --json associate "$endpoint" 10.0.2.2 --port 7 |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["association_id"])')"
  "${ctl[@]}" send "$association" "from the VM to this host over UDP" --stream 2 --ppid 5
  got="$("${ctl[@]}" receive --association "$association" --count 1 --wait-ms 20000)"
  echo "received: $got"
  [ "$got" = "association $association stream 2 ppid 5: from the VM to this host over UDP" ] ||
    { echo "FAIL: no echo from the peer on this host"; cat "$peer_log"; exit 1; }
  grep -q "on stream 2 .* PPID 5" "$peer_log" ||
    { echo "FAIL: the peer did not log the message"; cat "$peer_log"; exit 1; }
  "${ctl[@]}" shutdown "$association"
  echo "run command: an association over UDP reached usrsctp on this host (UDP port $udp_port)"
fi

kill -TERM -- "-$pid"
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || break
  wait "$pid" 2>/dev/null || true
done
if kill -0 "$pid" 2>/dev/null; then echo "FAIL: still running after SIGTERM"; exit 1; fi
if pgrep -f "hostfwd=tcp:127.0.0.1:$port-" >/dev/null; then echo "FAIL: the lab VM outlived the run command"; exit 1; fi
echo "run command: reachable and SERVING on 127.0.0.1:$port, stopped cleanly"
