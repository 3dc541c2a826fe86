#!/usr/bin/python3
"""Sends one message to an SCTP peer through sctpgw and prints the reply.

Uses the sctpgw Python library of this checkout (clients/python; nothing to
install) with the stubs generated from proto/ (the build's
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

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.join(HERE, "..", "..")
# The library of this checkout, so that nothing needs installing.
sys.path.insert(0, os.path.join(CHECKOUT, "clients", "python"))

import sctpgw  # noqa: E402

DEFAULT_STUBS = os.path.join(CHECKOUT, "build", "python")
# CloseSession after a failure, which may have been the run's deadline.
CLOSE_TIMEOUT_S = 5.0

_print_lock = threading.Lock()


def say(line):
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def stubs_directory(given):
    """--stubs, else $SCTPGW_PYTHON_STUBS, else build/python of this checkout
    if built, else None: those generated into the library itself
    (clients/python/sctpgw/v1: setup.py build_py --inplace)."""
    directory = given or os.environ.get(sctpgw.STUBS_ENVIRONMENT_VARIABLE)
    if directory:
        return directory
    return DEFAULT_STUBS if os.path.isdir(DEFAULT_STUBS) else None


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="unix:/run/sctpgw/sctpgw.sock",
                        help="sctpgw's gRPC address: unix:/path or host:port")
    parser.add_argument("--stubs",
                        help="directory of the generated stubs (default: $SCTPGW_PYTHON_STUBS, "
                             "else build/python of this checkout, else those generated into "
                             "clients/python/sctpgw)")
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


def event_line(stubs, event):
    """One line per event: 'event WHAT association ID'."""
    kind = event.WhichOneof("kind")
    if kind == "association_change":
        change = event.association_change
        what = stubs.events.AssociationChangeType.Name(change.type).removeprefix(
            "ASSOCIATION_CHANGE_TYPE_")
        if change.error:
            what += f" error {change.error}"
    elif kind == "peer_address_change":
        change = event.peer_address_change
        what = "PEER_ADDRESS_" + stubs.events.PeerAddressChangeType.Name(
            change.type).removeprefix("PEER_ADDRESS_CHANGE_TYPE_") + f" {change.address.ip}"
    else:
        what = (kind or "unknown").upper()
    line = f"event {what} association {event.association_id}"
    return line + (f" ({event.detail})" if event.detail else "")


class EventWatcher:
    """Reads the session's event stream (the library's, which resumes by
    itself after a break) on a thread and prints each event; the main thread
    waits on what it has seen, each wait with a deadline."""

    def __init__(self, client, deadline):
        self._stubs = client.stubs
        self._cond = threading.Condition()
        self._events = []
        self._error = None
        self._stream = client.events()
        try:  # Acknowledged: no event of what follows can be missed.
            self._stream.start(timeout=remaining(deadline))
        except sctpgw.SctpgwError as error:
            raise CallFailed("WatchEvents", error) from None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        try:
            for event in self._stream:
                with self._cond:
                    say(event_line(self._stubs, event))
                    self._events.append(event)
                    self._cond.notify_all()
            return  # Cancelled by stop().
        except sctpgw.SctpgwError as error:
            failure = CallFailed("WatchEvents", error)
        with self._cond:
            self._error = failure
            self._cond.notify_all()

    def wait_association_end(self, association_id, deadline):
        """Until SHUTDOWN_COMP or COMM_LOST of the association."""
        ends = (self._stubs.events.ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP,
                self._stubs.events.ASSOCIATION_CHANGE_TYPE_COMM_LOST)

        def ended():
            return any(e.association_id == association_id
                       and e.WhichOneof("kind") == "association_change"
                       and e.association_change.type in ends for e in self._events)

        with self._cond:
            done = self._cond.wait_for(lambda: ended() or self._error, remaining(deadline))
            if self._error:
                raise self._error
            if not done:
                raise CallFailed("waiting for the association's end",
                                 "DEADLINE_EXCEEDED: not before the deadline")

    def stop(self):
        self._stream.cancel()
        self._thread.join()


def remaining(deadline):
    return max(0.0, deadline - time.monotonic())


def exchange(args, client, deadline):
    """The session's life after OpenSession; raises CallFailed."""

    def call(name, method, *positional, **keywords):
        keywords.setdefault("timeout", remaining(deadline))
        try:
            return method(*positional, **keywords)
        except sctpgw.SctpgwError as error:
            raise CallFailed(name, error) from None

    watcher = None
    try:
        watcher = EventWatcher(client, deadline)
        endpoint = call("OpenEndpoint", client.open_endpoint, args.local_address)
        association = call("Associate", client.associate, endpoint.endpoint_id,
                           args.peer_address, args.peer_port)
        association_id = association.association_id
        say(f"associated {association_id}: {args.local_address}:{endpoint.port} -> "
            f"{args.peer_address}:{args.peer_port}")
        call("Send", client.send, association_id, args.message.encode(), stream=args.stream,
             ppid=args.ppid)
        reply = call("Receive", client.receive, association_id, max_messages=1)
        if not reply:  # The library's receive() answers an empty list at the deadline.
            raise CallFailed("Receive", "DEADLINE_EXCEEDED: nothing received before the deadline")
        for message in reply:
            say(f"received stream={message.stream} ppid={message.ppid}: "
                f"{message.payload.decode(errors='replace')}")
        call("Shutdown", client.shutdown, association_id)
        watcher.wait_association_end(association_id, deadline)
    except CallFailed:
        if watcher is not None:
            watcher.stop()
        try:  # Ends at once whatever the session holds; its own deadline.
            client.close(timeout=CLOSE_TIMEOUT_S)
        except sctpgw.SctpgwError:
            pass
        raise
    watcher.stop()
    call("CloseSession", client.close)
    say("session closed")


def main():
    args = parse_args()
    stubs = stubs_directory(args.stubs)
    try:
        sctpgw.load_stubs(stubs)
    except ImportError as error:
        say(f"error: no sctpgw Python stubs in {stubs or 'the sctpgw package'} ({error}); "
            "build the sctpgw_python_stubs target or pass --stubs")
        return 2
    deadline = time.monotonic() + args.timeout
    try:
        client = sctpgw.Client(args.target, client_name="python-echo", timeout=args.timeout)
    except sctpgw.SctpgwError as error:
        say(str(CallFailed("OpenSession", error)))
        return 1
    try:
        exchange(args, client, deadline)
    except CallFailed as error:
        say(str(error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
