"""Application liveness: the session is opened with liveness="application",
and the event stream renews the lease from the loop that iterates it, at
least every lease / 3, and only while that loop iterates."""
import asyncio
import unittest

import support
import sctpgw
import sctpgw.aio
from support import SERVICE


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class LivenessTest(unittest.TestCase):
    def setUp(self):
        self.server = support.Server()
        self.fake = self.server.fake

    def tearDown(self):
        self.server.stop()

    def test_connection_liveness_is_the_default(self):
        with sctpgw.Client(self.server.target, timeout=5) as client:
            self.assertEqual(client.liveness, "connection")
        request = self.fake.requests_of("OpenSession")[0]
        self.assertEqual(request.liveness, SERVICE.SESSION_LIVENESS_CONNECTION)

    def test_an_unknown_liveness_is_refused_before_any_call(self):
        with self.assertRaises(ValueError):
            sctpgw.Client(self.server.target, liveness="heartbeat")
        self.assertEqual(self.fake.requests_of("OpenSession"), [])

    def test_the_loop_that_iterates_events_renews_and_only_it(self):
        with sctpgw.Client(self.server.target, timeout=5, lease_ms=3000,
                           liveness="application") as client:
            clock = Clock()
            client._clock = clock
            client._last_renewal = clock.now
            self.assertEqual(self.fake.requests_of("OpenSession")[0].liveness,
                             SERVICE.SESSION_LIVENESS_APPLICATION)
            stream = client.events()
            stream.start()
            # Progress every lease / 3 gives an idle loop its chances.
            self.assertEqual(self.fake.requests_of("WatchEvents")[0].progress_interval_ms, 1000)

            self.fake.add_event(7, "COMM_UP")
            next(stream)
            self.assertEqual(self.fake.requests_of("RenewLease"), [])  # Not due yet.

            clock.now += 1.01
            self.fake.add_event(7, "SHUTDOWN_COMP")
            event = next(stream)
            renewals = self.fake.requests_of("RenewLease")
            self.assertEqual(len(renewals), 1)
            self.assertEqual(renewals[0].session_id, client.session_id)
            self.assertEqual(renewals[0].handled_sequence, 1)  # Before the second was handled.

            # The loop stops iterating: time passes, events wait, nothing renews.
            clock.now += 10
            self.fake.add_event(7, "COMM_UP")
            self.assertEqual(len(self.fake.requests_of("RenewLease")), 1)
            self.assertEqual(event.sequence, 2)

    def test_renew_lease_is_a_typed_call(self):
        with sctpgw.Client(self.server.target, timeout=5) as client:
            response = client.renew_lease(41)
            self.assertEqual(response.lease_ms, 30000)
        self.assertEqual(self.fake.requests_of("RenewLease")[0].handled_sequence, 41)

    def test_asyncio_event_iteration_renews_too(self):
        async def main():
            async with sctpgw.aio.Client(self.server.target, timeout=5, lease_ms=3000,
                                         liveness="application") as client:
                clock = Clock()
                client._clock = clock
                client._last_renewal = clock.now
                stream = client.events()
                await stream.start()
                self.fake.add_event(7, "COMM_UP")
                clock.now += 1.01
                event = await stream.__anext__()
                self.assertEqual(event.sequence, 1)
                return self.fake.requests_of("RenewLease")

        renewals = asyncio.run(main())
        self.assertEqual(len(renewals), 1)


if __name__ == "__main__":
    unittest.main()
