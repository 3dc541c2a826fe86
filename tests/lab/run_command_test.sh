#!/usr/bin/env bash
# Checks the README's run command end to end: scripts/run.sh starts sctpgw
# (inside the lab VM when this kernel has no SCTP) and a gRPC client on this
# host reaches it and finds it SERVING; SIGTERM then stops everything.
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

kill -TERM -- "-$pid"
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || break
  wait "$pid" 2>/dev/null || true
done
if kill -0 "$pid" 2>/dev/null; then echo "FAIL: still running after SIGTERM"; exit 1; fi
if pgrep -f "hostfwd=tcp:127.0.0.1:$port-" >/dev/null; then echo "FAIL: the lab VM outlived the run command"; exit 1; fi
echo "run command: reachable and SERVING on 127.0.0.1:$port, stopped cleanly"
