#!/usr/bin/env bash
# Checks the README's run command end to end: scripts/run.sh starts sctpgw
# (inside the lab VM when this kernel has no SCTP) and a gRPC client on this
# host reaches it and finds it SERVING; through it, an association over UDP
# (RFC 6951) reaches an SCTP peer on this host (usrsctp's echo server, a
# userland stack: this kernel needs no SCTP for it); with a tap device
# (SCTPGW_LAB_TAP, made here where this user may), plain SCTP from the VM
# reaches this host's side of the tap; SIGTERM then stops everything.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build_dir="$1"
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
# A tap for the plain-SCTP path, where this user may make one (root, and a
# kernel with tun): documentation addresses, a name of this run's own.
tap=""
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && ! "$root/tests/lab/lab" --probe 2>/dev/null; then
  tap="sctpgwt$$"
  tap="${tap:0:15}"
  if ip tuntap add dev "$tap" mode tap && ip addr add 198.51.100.1/24 dev "$tap" &&
     ip link set "$tap" up; then
    export SCTPGW_LAB_TAP="$tap=198.51.100.2/24"
  else
    ip link del "$tap" 2>/dev/null || true
    tap=""
  fi
fi
SCTPGW_PORT="$port" SCTPGW_BUILD_DIR="$build_dir" setsid "$root/scripts/run.sh" >"$log" 2>&1 &
pid=$!
cleanup() {
  kill -TERM -- "-$pid" 2>/dev/null || true
  rm -f "$log"
  [ -z "$tap" ] || ip link del "$tap" 2>/dev/null || true
}
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

  if [ -n "$tap" ]; then
    # Plain SCTP (IP protocol 132) from the VM over the tap: this host's
    # kernel has no SCTP, so a raw socket here sees the association's INIT
    # arrive (and the kernel answers protocol unreachable).
    exec {watch}< <(/usr/bin/python3 "$root/tests/tools/sctp_init_watch.py" 90 198.51.100.2)
    watcher=$!
    trap 'cleanup; kill "$peer" "$watcher" 2>/dev/null || true; rm -f "$peer_log"' EXIT
    read -r -t 10 ready <&"$watch" || ready=""
    [ "$ready" = ready ] || { echo "FAIL: the raw-socket watcher did not start"; exit 1; }
    plain="$("${ctl[@]}" --json endpoint open 198.51.100.2 |
      /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["endpoint_id"])')"
    # Nothing here answers SCTP: the association fails; its INIT is the proof.
    "$build_dir/client/sctpctl" --target "127.0.0.1:$port" --timeout-ms 5000 \
      associate "$plain" 198.51.100.1 --port 3868 >/dev/null 2>&1 || true
    read -r -t 100 seen <&"$watch" || seen=""
    exec {watch}<&-
    echo "tap: $seen"
    [[ "$seen" =~ ^INIT\ from\ 198\.51\.100\.2:[0-9]+\ to\ port\ 3868$ ]] ||
      { echo "FAIL: no plain SCTP INIT from the VM arrived over the tap $tap"; cat "$log"; exit 1; }
    echo "run command: plain SCTP from the VM reached this host over the tap $tap"
  else
    echo "run command: no tap device (needs root and /dev/net/tun): the plain-SCTP path is not checked"
  fi
fi

kill -TERM -- "-$pid"
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || break
  wait "$pid" 2>/dev/null || true
done
if kill -0 "$pid" 2>/dev/null; then echo "FAIL: still running after SIGTERM"; exit 1; fi
if pgrep -f "hostfwd=tcp:127.0.0.1:$port-" >/dev/null; then echo "FAIL: the lab VM outlived the run command"; exit 1; fi
echo "run command: reachable and SERVING on 127.0.0.1:$port, stopped cleanly"
