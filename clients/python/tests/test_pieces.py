"""MessageJoiner: messages above sctpgw's max_message_bytes arrive in pieces
(offset, more_follows) and are joined by association, stream and ordering."""
import unittest

import support
import sctpgw
from support import inbound


class MessageJoinerTest(unittest.TestCase):
    def setUp(self):
        self.joiner = sctpgw.MessageJoiner()

    def test_a_whole_message_passes_as_it_is(self):
        message = inbound("whole", 1, 2, association_id=5)
        self.assertIs(self.joiner.add(message), message)
        self.assertEqual(self.joiner.pending(), 0)

    def test_pieces_are_joined_keeping_the_first_pieces_fields(self):
        source = support.TYPES.TransportAddress(ip="192.0.2.7", port=38412)
        first = inbound("ab", 3, 60, association_id=5, ssn=9, tsn=1000, source=source,
                        more_follows=True)
        self.assertIsNone(self.joiner.add(first))
        self.assertIsNone(self.joiner.add(inbound("cd", 3, 60, association_id=5, tsn=1001,
                                                  offset=2, more_follows=True)))
        self.assertEqual(self.joiner.pending(), 1)
        whole = self.joiner.add(inbound("e", 3, 60, association_id=5, offset=4))
        self.assertEqual(whole.payload, b"abcde")
        self.assertEqual((whole.association_id, whole.stream, whole.ppid, whole.ssn, whole.tsn,
                          whole.source.ip, whole.offset, whole.more_follows),
                         (5, 3, 60, 9, 1000, "192.0.2.7", 0, False))
        self.assertFalse(first.payload == whole.payload)  # The piece is left as it was.
        self.assertEqual(self.joiner.pending(), 0)

    def test_other_streams_associations_and_ordering_may_come_between(self):
        pieces = [
            inbound("A1", 1, association_id=1, more_follows=True),
            inbound("B1", 2, association_id=1, more_follows=True),       # another stream
            inbound("C1", 1, association_id=2, more_follows=True),       # another association
            inbound("U", 1, association_id=1, unordered=True),           # unordered, whole
            inbound("A2", 1, association_id=1, offset=2),
            inbound("C2", 1, association_id=2, offset=2),
            inbound("B2", 2, association_id=1, offset=2),
        ]
        self.assertEqual([m.payload for m in self.joiner.join(pieces)],
                         [b"U", b"A1A2", b"C1C2", b"B1B2"])

    def test_join_takes_batches_as_receive_streams_yield_them(self):
        batches = [[inbound("x", more_follows=True)], [inbound("y", offset=1), inbound("z")]]
        self.assertEqual([m.payload for m in self.joiner.join(batches)], [b"xy", b"z"])

    def test_a_piece_that_does_not_continue_its_message_is_refused(self):
        with self.assertRaises(sctpgw.IncompleteMessage) as caught:
            self.joiner.add(inbound("late", offset=100))
        self.assertEqual(caught.exception.piece.payload, b"late")
        self.joiner.add(inbound("ab", more_follows=True))
        with self.assertRaises(sctpgw.IncompleteMessage):
            self.joiner.add(inbound("gap", offset=5))
        self.assertEqual(self.joiner.pending(), 0)  # The broken message is dropped.
        self.joiner.add(inbound("ab", more_follows=True))
        with self.assertRaises(sctpgw.IncompleteMessage):
            self.joiner.add(inbound("new", more_follows=True))  # A new start mid-message.

    def test_a_message_without_end_is_refused_past_the_limit(self):
        joiner = sctpgw.MessageJoiner(max_message_bytes=5)
        joiner.add(inbound("abc", more_follows=True))
        with self.assertRaises(sctpgw.MessageTooLarge):
            joiner.add(inbound("def", offset=3, more_follows=True))
        self.assertEqual(joiner.pending(), 0)

    def test_discard(self):
        self.joiner.add(inbound("a", association_id=1, more_follows=True))
        self.joiner.add(inbound("b", association_id=2, more_follows=True))
        self.joiner.discard(1)
        self.assertEqual(self.joiner.pending(), 1)
        self.joiner.discard()
        self.assertEqual(self.joiner.pending(), 0)


class MessageBuildingTest(unittest.TestCase):
    def test_message_and_reply_options(self):
        received = inbound("q", 4, 18, unordered=True)
        message = sctpgw.message("réponse", **sctpgw.reply_options(received), context=3)
        self.assertEqual((message.payload, message.stream, message.ppid, message.unordered,
                          message.context), ("réponse".encode(), 4, 18, True, 3))
        self.assertFalse(message.HasField("priority"))

    def test_a_payload_is_bytes_or_text(self):
        self.assertEqual(sctpgw.message(bytearray(b"ab")).payload, b"ab")
        self.assertEqual(sctpgw.message(memoryview(b"cd")).payload, b"cd")
        with self.assertRaises(TypeError):
            sctpgw.message(42)


if __name__ == "__main__":
    unittest.main()
