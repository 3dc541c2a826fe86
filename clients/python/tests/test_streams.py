"""SendStream and ReceiveStream of the synchronous client."""
import threading
import unittest

import grpc

import support
import sctpgw
from support import Failure


class StreamTestCase(unittest.TestCase):
    def setUp(self):
        self.server = support.Server()
        self.fake = self.server.fake
        self.client = sctpgw.Client(self.server.target, timeout=5)
        endpoint = self.client.open_endpoint("127.0.0.1")
        self.endpoint_id = endpoint.endpoint_id
        self.association_id = self.client.associate(endpoint.endpoint_id, "127.0.0.2",
                                                    3868).association_id

    def tearDown(self):
        self.client.close()
        self.server.stop()


class SendStreamTest(StreamTestCase):
    def test_batches_go_in_order_and_finish_returns_the_totals(self):
        with self.client.send_stream(self.association_id) as stream:
            for batch in range(10):
                stream.send([b"%d.%d" % (batch, i) for i in range(3)])
            stream.send([sctpgw.message(b"last", stream=2, ppid=9)])
        self.assertEqual((stream.totals.completed_requests, stream.totals.accepted_messages),
                         (11, 31))
        sent = self.fake.sent[self.association_id]
        self.assertEqual([m.payload for m in sent][:4], [b"0.0", b"0.1", b"0.2", b"1.0"])
        self.assertEqual((sent[-1].payload, sent[-1].stream, sent[-1].ppid), (b"last", 2, 9))
        request = self.fake.requests_of("SendStream")[0]
        self.assertEqual((request.session_id, request.association_id),
                         (self.client.session_id, self.association_id))

    def test_the_first_failing_request_ends_the_stream_with_its_error(self):
        stream = self.client.send_stream(self.association_id)
        stream.send([b"fine"])
        stream.send([sctpgw.message(b"bad", stream=99)])
        with self.assertRaises(sctpgw.InvalidArgument) as caught:
            for _ in range(100):  # Until the stream's end reaches send().
                stream.send([b"after"])
            stream.finish()
        error = caught.exception
        self.assertEqual(error.reason, "STREAM_OUT_OF_RANGE")
        self.assertEqual(error.metadata["completed_requests"], "1")
        with self.assertRaises(sctpgw.InvalidArgument):
            stream.finish()
        self.assertEqual([m.payload for m in self.fake.sent[self.association_id]], [b"fine"])

    def test_batches_for_several_associations_on_one_stream(self):
        other = self.client.associate(self.endpoint_id, "127.0.0.3", 3868).association_id
        with self.client.send_stream() as stream:
            stream.send([b"a"], association_id=self.association_id)
            stream.send([b"b"], association_id=other)
        self.assertEqual([m.payload for m in self.fake.sent[other]], [b"b"])

    def test_cancel(self):
        stream = self.client.send_stream(self.association_id)
        stream.send([b"x"])
        stream.cancel()
        with self.assertRaises(sctpgw.Cancelled):
            stream.finish()
        with self.assertRaises(sctpgw.Cancelled):
            stream.send([b"y"])


class ReceiveStreamTest(StreamTestCase):
    def test_batches_as_they_arrive_until_the_association_has_ended(self):
        self.fake.deliver(self.association_id, support.inbound("one", 1, 46))
        stream = self.client.receive_stream(self.association_id, max_messages=16)
        first = next(stream)
        self.assertEqual([(m.payload, m.stream, m.ppid) for m in first], [(b"one", 1, 46)])
        self.fake.deliver(self.association_id, support.inbound("two"), support.inbound("three"))
        self.fake.end_association(self.association_id)
        rest = [m.payload for batch in stream for m in batch]
        self.assertEqual(rest, [b"two", b"three"])
        request = self.fake.requests_of("ReceiveStream")[0]
        self.assertEqual((request.association_id, request.max_messages),
                         (self.association_id, 16))
        self.assertEqual(list(stream), [])  # Ended stays ended.

    def test_messages_joins_pieces(self):
        self.fake.deliver(
            self.association_id,
            support.inbound("whole", 2),
            support.inbound("abc", 1, 46, ssn=7, tsn=100, more_follows=True),
            support.inbound("def", 1, 46, offset=3, more_follows=True),
            support.inbound("gh", 1, 46, offset=6))
        self.fake.end_association(self.association_id)
        whole = list(self.client.receive_stream(self.association_id).messages())
        self.assertEqual([m.payload for m in whole], [b"whole", b"abcdefgh"])
        self.assertEqual((whole[1].ssn, whole[1].tsn, whole[1].ppid, whole[1].offset,
                          whole[1].more_follows), (7, 100, 46, 0, False))

    def test_an_endpoints_associations(self):
        self.fake.deliver(self.association_id, support.inbound("x"))
        stream = self.client.receive_stream(endpoint_id=self.endpoint_id)
        self.assertEqual([m.association_id for m in next(stream)], [self.association_id])
        self.assertEqual(self.fake.requests_of("ReceiveStream")[0].WhichOneof("target"),
                         "endpoint_id")
        stream.cancel()

    def test_a_stream_broken_by_a_handover_is_opened_again(self):
        self.fake.receive_stream_breaks.append(Failure(grpc.StatusCode.UNAVAILABLE,
                                                       "HANDED_OVER"))
        self.fake.deliver(self.association_id, support.inbound("before"))
        stream = self.client.receive_stream(self.association_id)
        self.assertEqual([m.payload for m in next(stream)], [b"before"])
        self.fake.deliver(self.association_id, support.inbound("after"))
        self.assertEqual([m.payload for m in next(stream)], [b"after"])
        self.assertEqual(stream.reconnects, 1)
        self.assertEqual(len(self.fake.requests_of("ReceiveStream")), 2)
        stream.cancel()

    def test_final_errors_are_raised(self):
        stream = self.client.receive_stream(424242)
        with self.assertRaises(sctpgw.NotFound) as caught:
            next(stream)
        self.assertEqual(caught.exception.reason, "ASSOCIATION_NOT_FOUND")

    def test_a_deadline_for_the_whole_stream(self):
        stream = self.client.receive_stream(self.association_id, timeout=0.2)
        with self.assertRaises(sctpgw.DeadlineExceeded):
            next(stream)

    def test_cancel_from_another_thread(self):
        stream = self.client.receive_stream(self.association_id)
        done = threading.Event()

        def read():
            list(stream)
            done.set()

        threading.Thread(target=read, daemon=True).start()
        stream.cancel()
        self.assertTrue(done.wait(5))


if __name__ == "__main__":
    unittest.main()
