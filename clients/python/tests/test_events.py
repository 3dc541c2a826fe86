"""The resumable event stream: order, the acknowledgement, resuming after a
broken stream, and the errors resuming cannot cure."""
import threading
import unittest

import grpc

import support
import sctpgw
from support import EVENTS, Failure


def kinds(events):
    return [(e.sequence, EVENTS.AssociationChangeType.Name(e.association_change.type))
            for e in events]


class EventStreamTest(unittest.TestCase):
    def setUp(self):
        self.server = support.Server()
        self.fake = self.server.fake
        self.client = sctpgw.Client(self.server.target, timeout=5)

    def tearDown(self):
        self.client.close()
        self.server.stop()

    def take(self, stream, count):
        return [next(stream) for _ in range(count)]

    def test_start_waits_for_the_acknowledgement_and_events_follow_in_order(self):
        self.fake.add_event(7, "COMM_UP")
        stream = self.client.events()
        ack = stream.start()
        self.assertEqual((ack.after_sequence, ack.last_sequence), (0, 1))
        self.fake.add_event(7, "SHUTDOWN_COMP")
        self.assertEqual(kinds(self.take(stream, 2)), [
            (1, "ASSOCIATION_CHANGE_TYPE_COMM_UP"), (2, "ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP")])
        self.assertEqual(stream.last_sequence, 2)
        request = self.fake.requests_of("WatchEvents")[0]
        self.assertEqual((request.session_id, request.after_sequence),
                         (self.client.session_id, 0))
        stream.cancel()

    def test_a_broken_stream_resumes_after_the_last_event_each_once(self):
        for _ in range(5):
            self.fake.add_event(1, "COMM_UP")
        self.fake.watch_breaks += [2, 1]  # The first stream breaks after 2, the second after 1.
        stream = self.client.events()
        events = self.take(stream, 5)
        self.assertEqual([e.sequence for e in events], [1, 2, 3, 4, 5])
        self.assertEqual(stream.reconnects, 2)
        # Each resume starts after the last event returned before it (gRPC
        # may drop the events sent just before a stream's error; they come
        # again on the next stream, never twice to the application).
        after = [r.after_sequence for r in self.fake.requests_of("WatchEvents")]
        self.assertEqual(after[0], 0)
        self.assertLessEqual(after[1], 2)
        self.assertLessEqual(after[1], after[2])
        self.assertLessEqual(after[2], 3)
        stream.cancel()

    def test_resuming_from_a_given_sequence_and_with_only_new(self):
        for _ in range(3):
            self.fake.add_event(1, "COMM_UP")
        stream = self.client.events(after_sequence=2, endpoint_id=0)
        self.assertEqual([e.sequence for e in self.take(stream, 1)], [3])
        stream.cancel()

        self.fake.watch_breaks.append(1)
        fresh = self.client.events(only_new=True)
        self.assertEqual(fresh.start().after_sequence, 3)
        self.assertEqual(fresh.last_sequence, 3)
        self.fake.add_event(1, "COMM_LOST")
        self.fake.add_event(1, "RESTART")
        self.assertEqual([e.sequence for e in self.take(fresh, 2)], [4, 5])
        first, resumed = self.fake.requests_of("WatchEvents")[-2:]
        self.assertTrue(first.only_new)
        self.assertFalse(resumed.only_new)  # After what the first stream started from.
        self.assertIn(resumed.after_sequence, (3, 4))
        fresh.cancel()

    def test_only_new_holds_until_a_stream_was_acknowledged(self):
        self.fake.add_event(1, "COMM_UP")
        self.fake.fail_next["WatchEvents"].append(Failure(grpc.StatusCode.UNAVAILABLE,
                                                          "HANDED_OVER"))
        stream = self.client.events(only_new=True)
        seen = []
        reader = threading.Thread(target=lambda: seen.append(next(stream)))
        reader.start()
        with self.fake.lock:  # The second stream has computed where "new" starts.
            self.assertTrue(self.fake.lock.wait_for(
                lambda: self.fake.watch_streams_started == 1, 5))
        self.fake.add_event(1, "COMM_LOST")
        reader.join(5)
        self.assertEqual([e.sequence for e in seen], [2])
        self.assertEqual([r.only_new for r in self.fake.requests_of("WatchEvents")],
                         [True, True])
        stream.cancel()

    def test_the_endpoint_filter_is_passed_on(self):
        self.fake.add_event(1, "COMM_UP", endpoint_id=5)
        self.fake.add_event(2, "COMM_UP", endpoint_id=6)
        stream = self.client.events(endpoint_id=6)
        self.assertEqual([e.association_id for e in self.take(stream, 1)], [2])
        self.assertEqual(self.fake.requests_of("WatchEvents")[0].endpoint_id, 6)
        stream.cancel()

    def test_history_compacted_is_raised_with_the_first_kept_sequence(self):
        for _ in range(3):
            self.fake.add_event(1, "COMM_UP")
        self.fake.first_kept_sequence = 3
        stream = self.client.events(after_sequence=1)
        with self.assertRaises(sctpgw.OutOfRange) as caught:
            next(stream)
        self.assertEqual(caught.exception.reason, "HISTORY_COMPACTED")
        self.assertEqual(caught.exception.metadata, {"first_kept_sequence": "3"})
        with self.assertRaises(StopIteration):  # Ended; open another to go on.
            next(stream)
        with self.assertRaises(sctpgw.OutOfRange):
            self.client.events(after_sequence=0).start()
        stream = self.client.events(after_sequence=2)
        self.assertEqual(next(stream).sequence, 3)
        stream.cancel()

    def test_session_not_found_and_too_slow_are_raised(self):
        self.fake.fail_next["WatchEvents"].append(
            Failure(grpc.StatusCode.RESOURCE_EXHAUSTED, "SUBSCRIBER_TOO_SLOW"))
        with self.assertRaises(sctpgw.ResourceExhausted):
            next(self.client.events())
        del self.fake.sessions[self.client.session_id]
        with self.assertRaises(sctpgw.NotFound) as caught:
            self.client.events().start()
        self.assertEqual(caught.exception.reason, "SESSION_NOT_FOUND")

    def test_without_reconnect_a_break_is_raised(self):
        self.fake.add_event(1, "COMM_UP")
        self.fake.add_event(1, "COMM_LOST")
        self.fake.watch_breaks.append(1)
        stream = self.client.events(reconnect=False)
        self.assertEqual(next(stream).sequence, 1)
        with self.assertRaises(sctpgw.Unavailable) as caught:
            next(stream)
        self.assertEqual(caught.exception.reason, "SHUTTING_DOWN")

    def test_cancel_ends_an_iteration_waiting_in_another_thread(self):
        stream = self.client.events()
        stream.start()
        seen, got = [], threading.Event()

        def read():
            for event in stream:
                seen.append(event)
                got.set()

        reader = threading.Thread(target=read)
        reader.start()
        self.fake.add_event(1, "COMM_UP")
        self.assertTrue(got.wait(5))
        stream.cancel()
        reader.join(5)
        self.assertFalse(reader.is_alive())
        self.assertEqual([e.sequence for e in seen], [1])

    def test_closing_the_client_ends_its_streams(self):
        stream = self.client.events()
        stream.start()
        reader = threading.Thread(target=lambda: list(stream))
        reader.start()
        self.client.close()
        reader.join(5)
        self.assertFalse(reader.is_alive())


if __name__ == "__main__":
    unittest.main()
