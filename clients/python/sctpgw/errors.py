"""sctpgw's errors as exceptions.

Every failing sctpgw call ends with a canonical gRPC code and a
google.rpc.Status in the ``grpc-status-details-bin`` trailer whose
google.rpc.ErrorInfo gives the reason ("STREAM_OUT_OF_RANGE", ...) and
metadata ("field", "limit", "accepted_messages", ...); docs/api.md has the
table. SctpgwError carries the three, and one subclass per code lets an
application catch what it handles:

    try:
        client.send(association_id, b"hello", stream=12)
    except sctpgw.InvalidArgument as error:
        print(error.reason, error.metadata)   # STREAM_OUT_OF_RANGE {...}

The Status and ErrorInfo messages are decoded with the protobuf library from
descriptors built here, in a pool of this module's own, so that no
generated google.rpc module is needed (nor can clash with another copy).
"""
import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

STATUS_DETAILS_KEY = "grpc-status-details-bin"
ERROR_INFO_TYPE = "google.rpc.ErrorInfo"
DOMAIN = "sctpgw.dev"


def _status_classes():
    """google.rpc.Status and google.rpc.ErrorInfo, wire-compatible with
    proto/google/rpc/*.proto (Any reduced to its two fields)."""
    field = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(
        name="sctpgw/client/rpc_status.proto", package="sctpgw.client.rpc", syntax="proto3")

    def add(message, name, number, kind, repeated=False, type_name=None):
        message.field.add(name=name, number=number, type=kind, type_name=type_name,
                          label=field.LABEL_REPEATED if repeated else field.LABEL_OPTIONAL)

    any_message = file.message_type.add(name="Any")
    add(any_message, "type_url", 1, field.TYPE_STRING)
    add(any_message, "value", 2, field.TYPE_BYTES)
    status = file.message_type.add(name="Status")
    add(status, "code", 1, field.TYPE_INT32)
    add(status, "message", 2, field.TYPE_STRING)
    add(status, "details", 3, field.TYPE_MESSAGE, True, ".sctpgw.client.rpc.Any")
    info = file.message_type.add(name="ErrorInfo")
    add(info, "reason", 1, field.TYPE_STRING)
    add(info, "domain", 2, field.TYPE_STRING)
    add(info, "metadata", 3, field.TYPE_MESSAGE, True,
        ".sctpgw.client.rpc.ErrorInfo.MetadataEntry")
    entry = info.nested_type.add(name="MetadataEntry")
    add(entry, "key", 1, field.TYPE_STRING)
    add(entry, "value", 2, field.TYPE_STRING)
    entry.options.map_entry = True

    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    get_class = getattr(message_factory, "GetMessageClass", None)  # protobuf >= 4.22
    if get_class is None:
        get_class = message_factory.MessageFactory(pool).GetPrototype
    return tuple(get_class(pool.FindMessageTypeByName(f"sctpgw.client.rpc.{name}"))
                 for name in ("Status", "ErrorInfo"))


Status, ErrorInfo = _status_classes()


class SctpgwError(Exception):
    """A failed call: the gRPC code, sctpgw's reason and metadata, the message.

    code: a grpc.StatusCode. reason: the ErrorInfo reason ("" when the error
    did not come from sctpgw, e.g. UNAVAILABLE because nothing listens).
    metadata: dict of str to str. message: the status message. call: the
    RPC that failed ("Associate", ...), when known.
    """

    def __init__(self, code, reason="", metadata=None, message="", call="", domain=""):
        self.code = code
        self.reason = reason
        self.metadata = dict(metadata or {})
        self.message = message
        self.call = call
        self.domain = domain
        super().__init__(code, reason, self.metadata, message)

    def __str__(self):
        """'CODE REASON: message [key=value ...]', as sctpctl prints errors."""
        text = self.code.name + (f" {self.reason}" if self.reason else "") + f": {self.message}"
        if self.metadata:
            text += " [" + " ".join(f"{k}={v}" for k, v in sorted(self.metadata.items())) + "]"
        return text

    def __repr__(self):
        return (f"{type(self).__name__}(code={self.code.name}, reason={self.reason!r}, "
                f"metadata={self.metadata!r}, message={self.message!r})")

    @property
    def handed_over(self):
        """UNAVAILABLE / HANDED_OVER: a new sctpgw process took over and the
        call did nothing more than its metadata says; making it again is
        safe (the Client does so by itself within the call's deadline)."""
        return self.code == grpc.StatusCode.UNAVAILABLE and self.reason == "HANDED_OVER"


class Cancelled(SctpgwError): pass
class Unknown(SctpgwError): pass
class InvalidArgument(SctpgwError): pass
class DeadlineExceeded(SctpgwError): pass
class NotFound(SctpgwError): pass
class AlreadyExists(SctpgwError): pass
class PermissionDenied(SctpgwError): pass
class ResourceExhausted(SctpgwError): pass
class FailedPrecondition(SctpgwError): pass
class Aborted(SctpgwError): pass
class OutOfRange(SctpgwError): pass
class Unimplemented(SctpgwError): pass
class Internal(SctpgwError): pass
class Unavailable(SctpgwError): pass
class DataLoss(SctpgwError): pass
class Unauthenticated(SctpgwError): pass


_BY_CODE = {
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.UNKNOWN: Unknown,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.OUT_OF_RANGE: OutOfRange,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
    grpc.StatusCode.INTERNAL: Internal,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DATA_LOSS: DataLoss,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
}


def make_error(code, reason="", metadata=None, message="", call="", domain=""):
    """The SctpgwError subclass for `code`."""
    return _BY_CODE.get(code, SctpgwError)(code, reason, metadata, message, call, domain)


def from_rpc_error(error, call=""):
    """The SctpgwError for a grpc.RpcError (or grpc.aio.AioRpcError): code,
    and the reason and metadata of the first ErrorInfo in its status
    details. An undecodable details trailer is ignored: the code and message
    still say what happened."""
    code = error.code() if callable(getattr(error, "code", None)) else grpc.StatusCode.UNKNOWN
    message = (error.details() if callable(getattr(error, "details", None)) else None) or ""
    reason, metadata, domain = "", {}, ""
    trailers = error.trailing_metadata() if callable(getattr(error, "trailing_metadata",
                                                               None)) else None
    for key, value in trailers or ():
        if key != STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        try:
            status = Status.FromString(value)
            message = status.message or message
            for detail in status.details:
                if detail.type_url.rpartition("/")[2] == ERROR_INFO_TYPE:
                    info = ErrorInfo.FromString(detail.value)
                    reason, metadata, domain = info.reason, dict(info.metadata), info.domain
                    break
        except Exception:  # DecodeError: a corrupt trailer must not hide the error.
            pass
        break
    return make_error(code, reason, metadata, message, call, domain)


def status_details(code, reason, metadata=None, message=""):
    """The grpc-status-details-bin value sctpgw sends for such an error
    (for fakes and tests of code that handles these errors)."""
    status = Status(code=code.value[0], message=message)
    info = ErrorInfo(reason=reason, domain=DOMAIN, metadata=metadata or {})
    detail = status.details.add()
    detail.type_url = "type.googleapis.com/" + ERROR_INFO_TYPE
    detail.value = info.SerializeToString()
    return status.SerializeToString()
