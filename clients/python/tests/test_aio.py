"""sctpgw.aio.Client: the same calls as coroutines, async for over events and
received messages, the send stream, errors and resuming."""
import asyncio
import unittest

import grpc

import support
import sctpgw
import sctpgw.aio
from support import Failure


class AioTestCase(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.server = support.Server()
        self.fake = self.server.fake

    def tearDown(self):
        self.server.stop()

    async def asyncSetUp(self):
        self.client = await sctpgw.aio.Client.connect(self.server.target, client_name="aio",
                                                      timeout=5)

    async def asyncTearDown(self):
        await self.client.close()

    async def association(self):
        endpoint = await self.client.open_endpoint("127.0.0.1")
        return await self.client.associate(endpoint.endpoint_id, "127.0.0.2", 3868)


class AioCallsTest(AioTestCase):
    async def test_session_calls_and_close(self):
        self.assertEqual(self.fake.requests_of("OpenSession")[0].client_name, "aio")
        association = await self.association()
        await self.client.send(association.association_id, b"hi", stream=2, ppid=46,
                               max_retransmissions=3)
        sent = self.fake.sent[association.association_id][0]
        self.assertEqual((sent.payload, sent.stream, sent.ppid, sent.max_retransmissions),
                         (b"hi", 2, 46, 3))
        self.assertEqual(await self.client.send_batch(association.association_id,
                                                      [b"a", b"b"]), 2)
        self.fake.deliver(association.association_id, support.inbound("back"))
        received = await self.client.receive(association.association_id, timeout=2)
        self.assertEqual([m.payload for m in received], [b"back"])
        self.assertEqual(await self.client.receive(association.association_id, timeout=0.2), [])
        self.assertEqual(len(await self.client.list_endpoints()), 1)
        status = await self.client.get_association(association.association_id)
        self.assertEqual(status.association.association_id, association.association_id)
        in_force = await self.client.configure_streams(association.association_id, "priority",
                                                       {1: 5})
        self.assertEqual([(v.stream, v.value) for v in in_force.values], [(1, 5)])
        await self.client.shutdown(association.association_id)
        self.assertEqual((await self.client.service_status()).version, "0.1.0")
        session_id = self.client.session_id
        await self.client.close()
        self.assertNotIn(session_id, self.fake.sessions)

    async def test_errors_are_the_same_exceptions(self):
        endpoint = await self.client.open_endpoint("127.0.0.1")
        with self.assertRaises(sctpgw.Unavailable) as caught:
            await self.client.associate(endpoint.endpoint_id, "127.0.0.2", 9)
        self.assertEqual(caught.exception.reason, "ASSOCIATE_FAILED")
        self.assertEqual(caught.exception.metadata["errno"], "111")
        with self.assertRaises(sctpgw.DeadlineExceeded):
            await self.client.list_endpoints(timeout=0)

    async def test_handed_over_is_retried(self):
        association = await self.association()
        self.fake.send_accepts.append(1)
        self.assertEqual(await self.client.send_batch(association.association_id,
                                                      [b"1", b"2", b"3"]), 3)
        self.assertEqual([m.payload for m in self.fake.sent[association.association_id]],
                         [b"1", b"2", b"3"])

    async def test_async_with(self):
        async with sctpgw.aio.Client(self.server.target) as client:
            self.assertIn(client.session_id, self.fake.sessions)
        self.assertNotIn(client.session_id, self.fake.sessions)


class AioEventsTest(AioTestCase):
    async def test_async_for_and_resume_after_a_break(self):
        self.fake.watch_breaks.append(2)
        events = self.client.events()
        ack = await events.start()
        self.assertEqual(ack.after_sequence, 0)
        association = await self.association()
        await self.client.shutdown(association.association_id)
        self.fake.add_event(association.association_id, "COMM_LOST")
        seen = []
        async for event in events:
            seen.append(event.sequence)
            if len(seen) == 3:
                break
        self.assertEqual(seen, [1, 2, 3])
        self.assertEqual(events.reconnects, 1)
        resumed = self.fake.requests_of("WatchEvents")[1]
        self.assertLessEqual(resumed.after_sequence, 2)
        events.cancel()

    async def test_history_compacted_is_raised(self):
        self.fake.add_event(1, "COMM_UP")
        self.fake.add_event(1, "COMM_UP")
        self.fake.first_kept_sequence = 2
        with self.assertRaises(sctpgw.OutOfRange) as caught:
            await self.client.events().start()
        self.assertEqual(caught.exception.metadata["first_kept_sequence"], "2")

    async def test_cancel_ends_async_for_in_another_task(self):
        events = self.client.events()
        await events.start()

        async def read():
            return [event async for event in events]

        reader = asyncio.create_task(read())
        await asyncio.sleep(0)
        events.cancel()
        self.assertEqual(await asyncio.wait_for(reader, 5), [])


class AioStreamsTest(AioTestCase):
    async def test_send_stream(self):
        association = await self.association()
        async with self.client.send_stream(association.association_id) as stream:
            for i in range(9):
                await stream.send([b"%d" % i])
        self.assertEqual((stream.totals.completed_requests, stream.totals.accepted_messages),
                         (9, 9))
        self.assertEqual(len(self.fake.sent[association.association_id]), 9)

    async def test_send_stream_error(self):
        association = await self.association()
        stream = self.client.send_stream(association.association_id)
        await stream.send([b"ok"])
        with self.assertRaises(sctpgw.InvalidArgument) as caught:
            await stream.send([sctpgw.message(b"bad", stream=50)])
            await stream.finish()
        self.assertEqual(caught.exception.reason, "STREAM_OUT_OF_RANGE")
        self.assertEqual(caught.exception.metadata["completed_requests"], "1")

    async def test_receive_stream_and_whole_messages(self):
        association = await self.association()
        aid = association.association_id
        self.fake.deliver(aid, support.inbound("a"), support.inbound("bc", more_follows=True))
        stream = self.client.receive_stream(aid)
        first = await stream.__anext__()
        self.assertEqual([m.payload for m in first], [b"a", b"bc"])
        stream.cancel()

        # Another association: the cancelled stream's handler may still take
        # what comes to the first one (and write it to a call that is gone).
        aid = (await self.client.associate(association.endpoint_id, "127.0.0.3",
                                           3868)).association_id
        self.fake.receive_stream_breaks.append(Failure(grpc.StatusCode.UNAVAILABLE,
                                                       "HANDED_OVER"))
        self.fake.deliver(aid, support.inbound("xy", more_follows=True))
        whole = []
        stream = self.client.receive_stream(aid)

        async def finish_later():
            self.fake.deliver(aid, support.inbound("z", offset=2), support.inbound("w"))
            self.fake.end_association(aid)

        asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(
            finish_later()))
        async for message in stream.messages():
            whole.append(message.payload)
        self.assertEqual(whole, [b"xyz", b"w"])
        self.assertEqual(stream.reconnects, 1)

    async def test_closing_the_client_ends_its_streams(self):
        association = await self.association()
        stream = self.client.receive_stream(association.association_id)

        async def read():
            return [batch async for batch in stream]

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.05)
        await self.client.close()
        self.assertEqual(await asyncio.wait_for(reader, 5), [])


if __name__ == "__main__":
    unittest.main()
