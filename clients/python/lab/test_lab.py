"""The Python library against a real sctpgw and an SCTP echo peer (socat,
echoing each read with plain write(): on stream 0 with PPID 0). Run by
tests/lab/clients_python_library.sh under kernel SCTP:

    SCTPGW_TARGET=unix:/path/sctpgw.sock SCTPGW_ECHO_PORT=PORT \\
        SCTPGW_PYTHON_STUBS=BUILD/python python3 -m unittest discover -s clients/python/lab
"""
import asyncio
import os
import threading
import time
import unittest

import sctpgw
import sctpgw.aio

TARGET = os.environ.get("SCTPGW_TARGET", "")
ECHO_PORT = int(os.environ.get("SCTPGW_ECHO_PORT", "0"))
TIMEOUT = 20.0  # seconds: every wait, generous for the lab's emulated CPU


class Events:
    """Reads an event stream on a thread of its own, keeping every event;
    until() waits for one that matches."""

    def __init__(self, stream):
        self.stream = stream
        self.seen = []
        self.error = None
        self._changed = threading.Condition()
        stream.start()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        try:
            for event in self.stream:
                with self._changed:
                    self.seen.append(event)
                    self._changed.notify_all()
        except sctpgw.SctpgwError as error:
            with self._changed:
                self.error = error
                self._changed.notify_all()

    def until(self, predicate, what):
        with self._changed:
            if not self._changed.wait_for(
                    lambda: self.error is not None or any(map(predicate, self.seen)), TIMEOUT):
                raise AssertionError(f"no {what} within {TIMEOUT} s")
            if self.error is not None and not any(map(predicate, self.seen)):
                raise self.error
            return next(e for e in self.seen if predicate(e))

    def stop(self):
        self.stream.cancel()
        self._thread.join(TIMEOUT)


def change(association_id, name):
    def matches(event):
        return (event.association_id == association_id
                and event.WhichOneof("kind") == "association_change"
                and event.association_change.type
                == getattr(sctpgw.load_stubs().events, f"ASSOCIATION_CHANGE_TYPE_{name}"))
    return matches


def receive_bytes(stream, count):
    """Messages from a ReceiveStream until `count` payload bytes came."""
    messages, total = [], 0
    for batch in stream:
        messages.extend(batch)
        total += sum(len(m.payload) for m in batch)
        if total >= count:
            return messages
    raise AssertionError(f"the receive stream ended after {total} of {count} bytes")


@unittest.skipUnless(TARGET and ECHO_PORT, "set SCTPGW_TARGET and SCTPGW_ECHO_PORT")
class PythonLibraryLabTest(unittest.TestCase):
    def test_messages_both_ways_and_events_from_comm_up_to_shutdown_comp(self):
        with sctpgw.Client(TARGET, client_name="python-library-lab", timeout=TIMEOUT) as client:
            events = Events(client.events())
            endpoint = client.open_endpoint("127.0.0.1")
            association = client.associate(endpoint.endpoint_id, "127.0.0.1", ECHO_PORT,
                                           streams=4)
            aid = association.association_id
            up = events.until(change(aid, "COMM_UP"), "COMM_UP")

            receiver = client.receive_stream(aid)
            client.send(aid, b"hello from the python library", stream=1, ppid=46)
            echoed = receive_bytes(receiver, len(b"hello from the python library"))
            self.assertEqual(b"".join(m.payload for m in echoed), b"hello from the python library")
            self.assertEqual((echoed[0].stream, echoed[0].ppid), (0, 0))

            with client.send_stream(aid) as sender:
                sender.send([b"a1", b"a2"])
                sender.send([sctpgw.message(b"b1", stream=1, ppid=46)])
                sender.send([b"c1", b"c2", b"c3"])
                totals = sender.finish()
            self.assertEqual((totals.completed_requests, totals.accepted_messages), (3, 6))
            back = receive_bytes(receiver, 12)
            self.assertEqual(b"".join(m.payload for m in back), b"a1a2b1c1c2c3")

            state = client.get_association(aid)
            self.assertGreaterEqual(len(state.paths), 1)
            client.shutdown(aid)
            ended = events.until(change(aid, "SHUTDOWN_COMP"), "SHUTDOWN_COMP")
            self.assertGreater(ended.sequence, up.sequence)
            events.stop()

    def test_associating_to_a_port_nobody_listens_on(self):
        with sctpgw.Client(TARGET, timeout=TIMEOUT) as client:
            endpoint = client.open_endpoint("127.0.0.1")
            with self.assertRaises(sctpgw.SctpgwError) as raised:
                client.associate(endpoint.endpoint_id, "127.0.0.1", 9)
            self.assertEqual(raised.exception.reason, "ASSOCIATE_FAILED")
            self.assertEqual(raised.exception.code.name, "UNAVAILABLE")

    def test_asyncio_echo(self):
        async def main():
            async with sctpgw.aio.Client(TARGET, timeout=TIMEOUT) as client:
                endpoint = await client.open_endpoint("127.0.0.1")
                association = await client.associate(endpoint.endpoint_id, "127.0.0.1",
                                                     ECHO_PORT)
                aid = association.association_id
                await client.send(aid, b"from asyncio", stream=1, ppid=5)
                got = b""
                async for batch in client.receive_stream(aid):
                    got += b"".join(m.payload for m in batch)
                    if len(got) >= len(b"from asyncio"):
                        break
                await client.shutdown(aid)
                return got

        self.assertEqual(asyncio.run(main()), b"from asyncio")

    def test_a_loop_that_stops_iterating_events_loses_its_session(self):
        # Application liveness: only the loop that iterates events renews.
        client = sctpgw.Client(TARGET, timeout=TIMEOUT, lease_ms=2000, liveness="application",
                               close_session=False)
        try:
            stream = client.events()
            stream.start()
            endpoint = client.open_endpoint("127.0.0.1")
            aid = client.associate(endpoint.endpoint_id, "127.0.0.1",
                                   ECHO_PORT).association_id
            worker = threading.Thread(target=lambda: list(stream), daemon=True)
            worker.start()
            # Three leases while the loop iterates: the session stays.
            worker.join(6.0)
            self.assertTrue(worker.is_alive())
            self.assertEqual(client.get_association(aid).association.association_id, aid)
            stream.cancel()  # The loop stops; the process and connection stay.
            worker.join(TIMEOUT)
            stopped = time.monotonic()
            # A receive waits on the association (calls do not renew) and
            # ends with the session.
            with self.assertRaises(sctpgw.SctpgwError) as raised:
                client.receive(aid, timeout=TIMEOUT)
            self.assertEqual(raised.exception.reason, "SESSION_NOT_FOUND")
            self.assertIn("stopped renewing", str(raised.exception))
            self.assertLess(time.monotonic() - stopped, TIMEOUT)
        finally:
            client.close()


if __name__ == "__main__":
    unittest.main()
