#!/usr/bin/env bash
# The Python client library (clients/python) against a running sctpgw and an
# SCTP echo peer: clients/python/lab/test_lab.py (messages both ways through
# Send, SendStream and ReceiveStream, events COMM_UP to SHUTDOWN_COMP,
# ASSOCIATE_FAILED from the discard port, asyncio, application liveness).
#
# Usage: clients_python_library.sh BUILD_DIR TARGET ECHO_PORT
#   BUILD_DIR  a build with the Python stubs (BUILD_DIR/python)
#   TARGET     sctpgw's gRPC target (unix:/path or host:port)
#   ECHO_PORT  an SCTP peer on 127.0.0.1 that echoes each read back
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 BUILD_DIR TARGET ECHO_PORT" >&2; exit 2; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
SCTPGW_PYTHON_STUBS="$(cd "$1" && pwd)/python" SCTPGW_TARGET="$2" SCTPGW_ECHO_PORT="$3" \
  PYTHONPATH="$root/clients/python" PYTHONDONTWRITEBYTECODE=1 \
  /usr/bin/python3 -m unittest discover -v -s "$root/clients/python/lab" -p 'test_*.py'
