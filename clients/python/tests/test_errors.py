"""SctpgwError from gRPC errors: code, reason, metadata and message out of
the grpc-status-details-bin trailer, one subclass per code."""
import unittest

import grpc

import support
import sctpgw
from sctpgw import errors


class FakeRpcError(grpc.RpcError):
    def __init__(self, code, details, trailers=()):
        super().__init__()
        self._code, self._details, self._trailers = code, details, tuple(trailers)

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailers


def rpc_error(code, reason, metadata=None, message="status message"):
    return FakeRpcError(code, "details text", [
        ("some-other-trailer", "x"),
        (errors.STATUS_DETAILS_KEY, support.status_details(code, reason, metadata, message))])


class FromRpcErrorTest(unittest.TestCase):
    def test_reason_metadata_and_message_come_from_the_error_info(self):
        error = sctpgw.from_rpc_error(rpc_error(
            grpc.StatusCode.INVALID_ARGUMENT, "STREAM_OUT_OF_RANGE",
            {"field": "messages[0].stream", "outbound_streams": "10"}), "Send")
        self.assertIsInstance(error, sctpgw.InvalidArgument)
        self.assertIsInstance(error, sctpgw.SctpgwError)
        self.assertEqual(error.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(error.reason, "STREAM_OUT_OF_RANGE")
        self.assertEqual(error.metadata, {"field": "messages[0].stream",
                                          "outbound_streams": "10"})
        self.assertEqual(error.message, "status message")
        self.assertEqual(error.domain, "sctpgw.dev")
        self.assertEqual(error.call, "Send")
        self.assertEqual(str(error), "INVALID_ARGUMENT STREAM_OUT_OF_RANGE: status message "
                                     "[field=messages[0].stream outbound_streams=10]")

    def test_every_code_has_its_subclass(self):
        for code, cls in [(grpc.StatusCode.NOT_FOUND, sctpgw.NotFound),
                          (grpc.StatusCode.UNAVAILABLE, sctpgw.Unavailable),
                          (grpc.StatusCode.OUT_OF_RANGE, sctpgw.OutOfRange),
                          (grpc.StatusCode.RESOURCE_EXHAUSTED, sctpgw.ResourceExhausted),
                          (grpc.StatusCode.FAILED_PRECONDITION, sctpgw.FailedPrecondition),
                          (grpc.StatusCode.DEADLINE_EXCEEDED, sctpgw.DeadlineExceeded),
                          (grpc.StatusCode.ALREADY_EXISTS, sctpgw.AlreadyExists),
                          (grpc.StatusCode.CANCELLED, sctpgw.Cancelled),
                          (grpc.StatusCode.INTERNAL, sctpgw.Internal)]:
            with self.subTest(code=code):
                error = sctpgw.from_rpc_error(rpc_error(code, "X"))
                self.assertIs(type(error), cls)
                self.assertEqual(error.code, code)

    def test_an_error_without_details_keeps_code_and_text(self):
        error = sctpgw.from_rpc_error(FakeRpcError(grpc.StatusCode.UNAVAILABLE,
                                                   "failed to connect to all addresses"))
        self.assertIsInstance(error, sctpgw.Unavailable)
        self.assertEqual(error.reason, "")
        self.assertEqual(error.metadata, {})
        self.assertEqual(str(error), "UNAVAILABLE: failed to connect to all addresses")

    def test_a_corrupt_trailer_does_not_hide_the_error(self):
        error = sctpgw.from_rpc_error(FakeRpcError(
            grpc.StatusCode.INTERNAL, "boom", [(errors.STATUS_DETAILS_KEY, b"\xff\xff\x01")]))
        self.assertEqual(error.code, grpc.StatusCode.INTERNAL)
        self.assertEqual(error.message, "boom")

    def test_handed_over(self):
        self.assertTrue(sctpgw.from_rpc_error(
            rpc_error(grpc.StatusCode.UNAVAILABLE, "HANDED_OVER")).handed_over)
        self.assertFalse(sctpgw.from_rpc_error(
            rpc_error(grpc.StatusCode.UNAVAILABLE, "ASSOCIATE_FAILED")).handed_over)

    def test_the_librarys_own_encoder_round_trips(self):
        value = errors.status_details(grpc.StatusCode.OUT_OF_RANGE, "HISTORY_COMPACTED",
                                      {"first_kept_sequence": "17"}, "gone")
        error = sctpgw.from_rpc_error(FakeRpcError(
            grpc.StatusCode.OUT_OF_RANGE, "", [(errors.STATUS_DETAILS_KEY, value)]))
        self.assertEqual((error.reason, error.metadata, error.message),
                         ("HISTORY_COMPACTED", {"first_kept_sequence": "17"}, "gone"))


if __name__ == "__main__":
    unittest.main()
