"""Captures: the request as asked, the first (empty) response taken before
capture() returns, then the responses in order; errors as exceptions."""
import asyncio
import unittest

import grpc

import support
import sctpgw
import sctpgw.aio
from support import SERVICE


def response(dropped, *payloads):
    return SERVICE.CaptureResponse(dropped_messages=dropped, messages=[
        SERVICE.CapturedMessage(direction=SERVICE.CAPTURE_DIRECTION_INBOUND, association_id=3,
                                stream=1, ppid=60, length=len(p), payload=p)
        for p in payloads])


class CaptureTest(unittest.TestCase):
    def setUp(self):
        self.server = support.Server()
        self.fake = self.server.fake
        self.fake.captured = [response(0, b"one", b"two"), response(5, b"three")]

    def tearDown(self):
        self.server.stop()

    def test_responses_in_order_with_the_drops_where_they_were(self):
        with sctpgw.Client(self.server.target, timeout=5) as client:
            stream = client.capture(endpoint_id=2, snap_bytes=64, buffer_messages=100)
            request = self.fake.requests_of("Capture")[0]
            self.assertEqual((request.endpoint_id, request.snap_bytes, request.buffer_messages),
                             (2, 64, 100))
            self.assertEqual(request.WhichOneof("target"), "endpoint_id")
            got = [([m.payload for m in r.messages], r.dropped_messages) for r in stream]
        self.assertEqual(got, [([b"one", b"two"], 0), ([b"three"], 5)])

    def test_an_ended_session_is_an_error(self):
        with sctpgw.Client(self.server.target, timeout=5) as client:
            self.fake.sessions.clear()
            with self.assertRaises(sctpgw.SctpgwError) as raised:
                client.capture(association_id=3)
            self.assertEqual(raised.exception.reason, "SESSION_NOT_FOUND")
            self.assertEqual(raised.exception.code, grpc.StatusCode.NOT_FOUND)
            client._close_session = False

    def test_asyncio(self):
        async def main():
            async with sctpgw.aio.Client(self.server.target, timeout=5) as client:
                stream = await client.capture(association_id=3)
                return [len(r.messages) async for r in stream]

        self.assertEqual(asyncio.run(main()), [2, 1])


if __name__ == "__main__":
    unittest.main()
