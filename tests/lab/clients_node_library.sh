#!/usr/bin/env bash
# The Node.js client library (clients/node) against a running sctpgw and an
# SCTP echo peer: clients/node/lab/echo.lab.js under Node's test runner
# (session, endpoint, association, messages with stream and PPID through
# Send, SendStream and ReceiveStream, events COMM_UP to SHUTDOWN_COMP,
# ASSOCIATE_FAILED from the discard port, application liveness).
#
# Usage: clients_node_library.sh TARGET ECHO_PORT
#   TARGET     sctpgw's gRPC target (unix:/path or host:port)
#   ECHO_PORT  an SCTP peer on 127.0.0.1 that echoes each read back (socat
#              SCTP-LISTEN:PORT,bind=127.0.0.1,fork PIPE)
# Needs clients/node/node_modules (scripts/install-npm-packages.sh clients/node).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 TARGET ECHO_PORT" >&2; exit 2; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
library="$root/clients/node"

[ -f "$library/node_modules/@grpc/grpc-js/package.json" ] || {
  echo "FAIL: no clients/node/node_modules: run scripts/install-npm-packages.sh clients/node"
  exit 1
}

SCTPGW_TARGET="$1" SCTPGW_ECHO_PORT="$2" \
  node --test "$library/lab/echo.lab.js"
