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
echo "run: what reaches what: the VM is behind qemu's user network (its address"
echo "run:   10.0.2.15; this host is 10.0.2.2 from inside), which carries TCP and"
echo "run:   UDP only. Plain SCTP reaches peers inside the VM only. SCTP over UDP"
echo "run:   (RFC 6951) reaches peers outside: sctpgw's UDP port is 9899 in the"
echo "run:   VM; open endpoints with udp_encapsulation_port (sctpctl endpoint open"
echo "run:   --udp-port) set to the peer's UDP port. Peers cannot associate in"
echo "run:   to the VM from outside (no inbound forward)."
if [ -n "${SCTPGW_LAB_TAP:-}" ]; then
  echo "run: plain SCTP: the VM also has ${SCTPGW_LAB_TAP#*=} on this host's tap"
  echo "run:   device ${SCTPGW_LAB_TAP%%=*} (SCTPGW_LAB_TAP): peers reached through it"
  echo "run:   (this host's side of the tap, and beyond by its routing) associate"
  echo "run:   both ways with plain SCTP."
else
  echo "run: for plain SCTP to peers outside the VM, give it a tap device:"
  echo "run:   SCTPGW_LAB_TAP=IF=ADDRESS/PREFIX make run (tests/lab/lab --help)."
fi
# Inside the VM sctpgw listens on all of the VM's addresses so that the
# forward reaches it; the VM's network is private to this host. The VM is
# its own network namespace, so sctpgw may set its SCTP-over-UDP port.
exec tests/lab/lab --forward "$port:$port" --timeout 0 -- \
  "$build_dir/server/sctpgw" --listen "0.0.0.0:$port" --allow-insecure-tcp --udp-port 9899 "$@"
