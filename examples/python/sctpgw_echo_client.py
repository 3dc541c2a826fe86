#!/usr/bin/python3
"""Sends one message to an SCTP peer through sctpgw and prints the reply.

Uses nothing but the Python stubs generated from proto/ (the build's
sctpgw_python_stubs target) and Debian's python3-grpcio:

  sctpgw_echo_client.py [--target unix:/run/sctpgw/sctpgw.sock]
      [--local-address 0.0.0.0] [--stream 0] [--ppid 0] [--timeout 30]
      PEER_ADDRESS PEER_PORT MESSAGE

It opens a session, watches its events (one line each, e.g.
"event COMM_UP association 3"), opens an endpoint, associates, sends MESSAGE,
prints the reply as "received stream=S ppid=P: TEXT", shuts the association
down gracefully, waits for its SHUTDOWN_COMP (or COMM_LOST) event and closes
the session. Every call has a deadline: the end of --timeout. On failure it
prints "error CALL: CODE REASON: MESSAGE [metadata]" and exits 1.
"""
import argparse
import os
import sys
import threading
import time

import grpc

DEFAULT_STUBS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "..", "..", "build", "python")
# The server's keepalive settings (docs/api.md, Sessions).
CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 10000),
    ("grpc.keepalive_timeout_ms", 5000),
    ("grpc.keepalive_permit_without_calls", 1),
]
STATUS_DETAILS_KEY = "grpc-status-details-bin"
# CloseSession after a failure, which may have been the run's deadline.
CLOSE_TIMEOUT_S = 5.0

_print_lock = threading.Lock()


def say(line):
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="unix:/run/sctpgw/sctpgw.sock",
                        help="sctpgw's gRPC address: unix:/path or host:port")
    parser.add_argument("--stubs", default=os.environ.get("SCTPGW_PYTHON_STUBS", DEFAULT_STUBS),
                        help="directory of the generated stubs (default: $SCTPGW_PYTHON_STUBS, "
                             "else build/python of this checkout)")
    parser.add_argument("--local-address", default="0.0.0.0", help="local address to bind")
    parser.add_argument("--stream", type=int, default=0, help="SCTP stream to send on")
    parser.add_argument("--ppid", type=int, default=0, help="payload protocol identifier")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds the whole exchange may take; every call's deadline")
    parser.add_argument("peer_address")
    parser.add_argument("peer_port", type=int)
    parser.add_argument("message")
    return parser.parse_args()


class CallFailed(Exception):
    """A failed call: 'error CALL: DESCRIPTION'."""

    def __init__(self, call, description):
        super().__init__(f"error {call}: {description}")


def import_stubs(directory):
    """Imports the generated modules from directory as this module's globals."""
    global events_pb2, service_pb2, service_pb2_grpc, status_pb2, error_details_pb2
    sys.path.insert(0, directory)
    from google.rpc import error_details_pb2, status_pb2
    from sctpgw.v1 import events_pb2
    from sctpgw.v1 import gateway_service_pb2 as service_pb2
    from sctpgw.v1 import gateway_service_pb2_grpc as service_pb2_grpc


def describe(error):
    """'CODE REASON: MESSAGE [key=value ...]' from a grpc.RpcError."""
    text = f"{error.code().name}"
    for key, value in error.trailing_metadata() or ():
        if key != STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                text += f" {info.reason}"
                metadata = " ".join(f"{k}={v}" for k, v in sorted(info.metadata.items()))
                return f"{text}: {status.message}" + (f" [{metadata}]" if metadata else "")
    return f"{text}: {error.details()}"


def event_line(event):
    """One line per event: 'event WHAT association ID'."""
    kind = event.WhichOneof("kind")
    if kind == "association_change":
        change = event.association_change
        what = events_pb2.AssociationChangeType.Name(change.type).removeprefix(
            "ASSOCIATION_CHANGE_TYPE_")
        if change.error:
            what += f" error {change.error}"
    elif kind == "peer_address_change":
        change = event.peer_address_change
        what = "PEER_ADDRESS_" + events_pb2.PeerAddressChangeType.Name(change.type).removeprefix(
            "PEER_ADDRESS_CHANGE_TYPE_") + f" {change.address.ip}"
    else:
        what = (kind or "unknown").upper()
    line = f"event {what} association {event.association_id}"
    return line + (f" ({event.detail})" if event.detail else "")


class EventWatcher:
    """Reads a session's WatchEvents stream on a thread and prints each event;
    the main thread waits on what it has seen, each wait with a deadline."""

    def __init__(self, stub, session_id, deadline):
        self._cond = threading.Condition()
        self._events = []
        self._acked = False
        self._error = None
        self._stream = stub.WatchEvents(service_pb2.WatchEventsRequest(session_id=session_id),
                                        timeout=remaining(deadline))
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        try:
            for response in self._stream:
                with self._cond:
                    if response.HasField("ack"):
                        self._acked = True
                    for event in response.events.events:
                        say(event_line(event))
                        self._events.append(event)
                    self._cond.notify_all()
            error = CallFailed("WatchEvents", "the server ended the stream")
        except grpc.RpcError as rpc_error:
            if rpc_error.code() == grpc.StatusCode.CANCELLED:  # by stop()
                return
            error = CallFailed("WatchEvents", describe(rpc_error))
        with self._cond:
            self._error = error
            self._cond.notify_all()

    def _wait(self, predicate, what, deadline):
        with self._cond:
            done = self._cond.wait_for(lambda: predicate() or self._error, remaining(deadline))
            if self._error:
                raise self._error
            if not done:
                raise CallFailed(what, "DEADLINE_EXCEEDED: not before the deadline")

    def wait_acked(self, deadline):
        self._wait(lambda: self._acked, "WatchEvents", deadline)

    def wait_association_end(self, association_id, deadline):
        """Until SHUTDOWN_COMP or COMM_LOST of the association."""
        ends = (events_pb2.ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP,
                events_pb2.ASSOCIATION_CHANGE_TYPE_COMM_LOST)
        self._wait(lambda: any(e.association_id == association_id
                               and e.WhichOneof("kind") == "association_change"
                               and e.association_change.type in ends for e in self._events),
                   "waiting for the association's end", deadline)

    def stop(self):
        self._stream.cancel()
        self._thread.join()


def remaining(deadline):
    return max(0.0, deadline - time.monotonic())


def exchange(args, stub):
    """The session's life; raises CallFailed."""
    deadline = time.monotonic() + args.timeout

    def call(name, request, timeout=None):
        try:
            return getattr(stub, name)(request, timeout=timeout or remaining(deadline))
        except grpc.RpcError as error:
            raise CallFailed(name, describe(error)) from None

    session_id = call("OpenSession", service_pb2.OpenSessionRequest(
        client_name="python-echo")).session_id
    watcher = EventWatcher(stub, session_id, deadline)
    try:
        watcher.wait_acked(deadline)
        endpoint = call("OpenEndpoint", service_pb2.OpenEndpointRequest(
            session_id=session_id, local_addresses=[args.local_address])).endpoint
        association = call("Associate", service_pb2.AssociateRequest(
            session_id=session_id, endpoint_id=endpoint.endpoint_id,
            peer_addresses=[args.peer_address], peer_port=args.peer_port)).association
        association_id = association.association_id
        say(f"associated {association_id}: {args.local_address}:{endpoint.port} -> "
            f"{args.peer_address}:{args.peer_port}")
        call("Send", service_pb2.SendRequest(
            session_id=session_id, association_id=association_id,
            messages=[service_pb2.OutboundMessage(stream=args.stream, ppid=args.ppid,
                                                  payload=args.message.encode())]))
        reply = call("Receive", service_pb2.ReceiveRequest(
            session_id=session_id, association_id=association_id, max_messages=1))
        for message in reply.messages:
            say(f"received stream={message.stream} ppid={message.ppid}: "
                f"{message.payload.decode(errors='replace')}")
        call("Shutdown", service_pb2.ShutdownRequest(
            session_id=session_id, association_id=association_id,
            mode=service_pb2.SHUTDOWN_MODE_GRACEFUL))
        watcher.wait_association_end(association_id, deadline)
    except CallFailed:
        watcher.stop()
        try:  # Ends at once whatever the session holds; its own deadline.
            call("CloseSession", service_pb2.CloseSessionRequest(session_id=session_id),
                 timeout=CLOSE_TIMEOUT_S)
        except CallFailed:
            pass
        raise
    watcher.stop()
    call("CloseSession", service_pb2.CloseSessionRequest(session_id=session_id))
    say("session closed")


def main():
    args = parse_args()
    try:
        import_stubs(args.stubs)
    except ImportError as error:
        say(f"error: no sctpgw Python stubs in {args.stubs} ({error}); "
            "build the sctpgw_python_stubs target or pass --stubs")
        return 2
    with grpc.insecure_channel(args.target, options=CHANNEL_OPTIONS) as channel:
        try:
            exchange(args, service_pb2_grpc.GatewayServiceStub(channel))
        except CallFailed as error:
            say(str(error))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
