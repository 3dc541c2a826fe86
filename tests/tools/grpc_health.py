#!/usr/bin/python3
"""Asks a gRPC server's standard health service (grpc.health.v1) for its status.

Usage: grpc_health.py TARGET [TIMEOUT_SECONDS]
Prints the serving status and exits 0 for SERVING, 1 for any other status,
2 when the server could not be reached before the timeout.
The request is empty and the response is a single enum field, so no
generated code is needed.
"""
import sys

import grpc

STATUSES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def main():
    target = sys.argv[1]
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    with grpc.insecure_channel(target) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        try:
            response = check(b"", timeout=timeout, wait_for_ready=True)
        except grpc.RpcError as error:
            print(f"unreachable: {error.code().name} {error.details()}")
            return 2
    # Field 1 (varint): 0x08 then the value; an empty message means UNKNOWN.
    value = response[1] if len(response) >= 2 and response[0] == 0x08 else 0
    print(STATUSES.get(value, f"status {value}"))
    return 0 if value == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
