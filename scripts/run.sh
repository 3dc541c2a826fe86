#!/usr/bin/env bash
# Installs what is missing, builds, and starts sctpgw with its built-in
# defaults. On a host whose kernel has no SCTP, sctpgw runs inside the lab's
# VM (tests/lab/lab) and its gRPC port is forwarded to this host.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${SCTPGW_PORT:-50051}"
build_dir="${SCTPGW_BUILD_DIR:-build}"

scripts/install-deps.sh
scripts/build.sh "$build_dir"

if tests/lab/lab --probe; then
  echo "run: starting sctpgw on 127.0.0.1:$port and unix:/run/sctpgw/sctpgw.sock"
  exec "$build_dir/server/sctpgw" --listen "127.0.0.1:$port" --listen unix:/run/sctpgw/sctpgw.sock "$@"
fi
echo "run: this kernel has no SCTP; starting sctpgw inside the SCTP lab VM."
echo "run: gRPC is forwarded to 127.0.0.1:$port on this host. Ctrl-C stops it."
# Inside the VM sctpgw listens on all of the VM's addresses so that the
# forward reaches it; the VM's network is private to this host.
exec tests/lab/lab --forward "$port:$port" --timeout 0 -- \
  "$build_dir/server/sctpgw" --listen "0.0.0.0:$port" --allow-insecure-tcp "$@"
