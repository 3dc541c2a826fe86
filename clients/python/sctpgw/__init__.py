"""Python client library of sctpgw, the gRPC service that holds Linux kernel
SCTP associations (proto/sctpgw/v1).

    import sctpgw

    with sctpgw.Client("unix:/run/sctpgw/sctpgw.sock") as client:
        endpoint = client.open_endpoint("192.0.2.1")
        association = client.associate(endpoint.endpoint_id, "198.51.100.7", 36412)
        client.send(association.association_id, b"hello", stream=1, ppid=60)
        for message in client.receive(association.association_id, timeout=5):
            print(message.stream, message.payload)

sctpgw.Client is synchronous; sctpgw.aio.Client has the same calls as
coroutines. Errors are sctpgw.SctpgwError and its subclasses. The generated
stubs come from the package (bundled at install) or from a directory
(`stubs` argument, $SCTPGW_PYTHON_STUBS): see README.md.
"""
from ._stubs import ENVIRONMENT_VARIABLE as STUBS_ENVIRONMENT_VARIABLE
from ._stubs import Stubs, StubsNotFound
from ._stubs import load as load_stubs
from .client import Client, EventStream, ReceiveStream, SendStream
from .errors import (Aborted, AlreadyExists, Cancelled, DataLoss, DeadlineExceeded,
                     FailedPrecondition, Internal, InvalidArgument, NotFound, OutOfRange,
                     PermissionDenied, ResourceExhausted, SctpgwError, Unauthenticated,
                     Unavailable, Unimplemented, Unknown, from_rpc_error)
from .messages import (IncompleteMessage, MessageJoiner, MessageTooLarge, message,
                       reply_options)

__version__ = "0.1.0"

__all__ = [
    "Client", "EventStream", "ReceiveStream", "SendStream",
    "SctpgwError", "Aborted", "AlreadyExists", "Cancelled", "DataLoss", "DeadlineExceeded",
    "FailedPrecondition", "Internal", "InvalidArgument", "NotFound", "OutOfRange",
    "PermissionDenied", "ResourceExhausted", "Unauthenticated", "Unavailable", "Unimplemented",
    "Unknown", "from_rpc_error",
    "IncompleteMessage", "MessageJoiner", "MessageTooLarge", "message", "reply_options",
    "Stubs", "StubsNotFound", "load_stubs", "STUBS_ENVIRONMENT_VARIABLE",
]
