"""What every test module needs: the library of this checkout on sys.path,
its stubs, and a fake sctpgw (FakeGateway) served in process on a unix
socket of a fresh temporary directory.

The fake keeps sessions, endpoints, associations, queued messages and an
event log, enough for the calls the tests make; scripted failures
(fail_next, watch_breaks, receive_stream_breaks) stand in for sctpgw's
errors, a handover and a restart. Its errors carry ErrorInfo details built
with the generated google.rpc modules when the stubs directory has them
(so the library's own decoder is checked against another encoder).
"""
import collections
import concurrent.futures
import os
import shutil
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # clients/python: the library under test

import grpc  # noqa: E402

import sctpgw  # noqa: E402
from sctpgw import errors  # noqa: E402

try:
    STUBS = sctpgw.load_stubs()
except sctpgw.StubsNotFound as error:
    raise SystemExit(f"{error}\nRun the tests with SCTPGW_PYTHON_STUBS=BUILD/python "
                     "(the sctpgw_python_stubs target's output).")
SERVICE = STUBS.service
TYPES = STUBS.types
EVENTS = STUBS.events


def _rpc_status_modules():
    """google.rpc's generated status and error_details, from the stubs
    directory, or None."""
    directory = os.environ.get(sctpgw.STUBS_ENVIRONMENT_VARIABLE)
    if not directory or not os.path.isdir(os.path.join(directory, "google", "rpc")):
        return None
    if directory not in sys.path:
        sys.path.append(directory)
    try:
        from google.rpc import error_details_pb2, status_pb2
    except ImportError:
        return None
    return status_pb2, error_details_pb2


_RPC = _rpc_status_modules()


def status_details(code, reason, metadata=None, message=""):
    if _RPC is None:
        return errors.status_details(code, reason, metadata, message)
    status_pb2, error_details_pb2 = _RPC
    status = status_pb2.Status(code=code.value[0], message=message)
    status.details.add().Pack(error_details_pb2.ErrorInfo(
        reason=reason, domain="sctpgw.dev", metadata=metadata or {}))
    return status.SerializeToString()


class _Status(collections.namedtuple("_Status", ("code", "details", "trailing_metadata")),
              grpc.Status):
    pass


def abort(context, code, reason, metadata=None, message=""):
    """Ends the call as sctpgw does: code, message and ErrorInfo."""
    message = message or reason.lower().replace("_", " ")
    context.abort_with_status(_Status(code, message, (
        ("grpc-status-details-bin", status_details(code, reason, metadata, message)),)))


Failure = collections.namedtuple("Failure", ("code", "reason", "metadata", "message"),
                                 defaults=(None, ""))


class FakeGateway(STUBS.service_grpc.GatewayServiceServicer):
    """Enough of sctpgw for the library's tests. Every request is recorded
    in `requests` as (method, request)."""

    OUTBOUND_STREAMS = 10
    SEND_STREAM_ACK_EVERY = 4

    def __init__(self):
        self.lock = threading.Condition()
        self.requests = []
        self.liveness = {}  # Session id: SessionLiveness.
        self.captured = []  # What Capture streams: CaptureResponses.
        self.sessions = {}
        self.endpoints = {}
        self.associations = {}
        self.queues = collections.defaultdict(list)  # association id -> [InboundMessage]
        self.sent = collections.defaultdict(list)  # association id -> [OutboundMessage]
        self.events = []
        self.first_kept_sequence = 1
        self.next_id = 1
        # method -> [Failure]: the next calls of method fail so, one each.
        self.fail_next = collections.defaultdict(list)
        # For each WatchEvents stream opened, in turn: end it UNAVAILABLE
        # after this many events (None: never).
        self.watch_breaks = []
        self.watch_streams_started = 0  # WatchEvents streams that got as far as their ack.
        # For each ReceiveStream opened, in turn: end it with this failure
        # once it has more to send after its first response.
        self.receive_stream_breaks = []
        self.send_accepts = []  # For the next Sends: accept only this many, then HANDED_OVER.
        self.echo = False  # Every message sent comes back, on stream 0 with PPID 0 (as socat).

    # ------------------------------------------------------------ helpers

    def _record(self, method, request, context):
        with self.lock:
            self.requests.append((method, request))
            failures = self.fail_next.get(method)
            failure = failures.pop(0) if failures else None
        if failure is not None:
            abort(context, failure.code, failure.reason, failure.metadata, failure.message)
        session_id = getattr(request, "session_id", None)
        if method not in ("OpenSession", "GetServiceStatus") and session_id not in self.sessions:
            abort(context, grpc.StatusCode.NOT_FOUND, "SESSION_NOT_FOUND")

    def _new_id(self):
        with self.lock:
            self.next_id += 1
            return self.next_id

    def requests_of(self, method):
        with self.lock:
            return [request for name, request in self.requests if name == method]

    def add_event(self, association_id, change_type=None, **fields):
        """Appends an event (an association change of change_type, or
        any Event fields) to the log and wakes the watchers."""
        with self.lock:
            sequence = (self.events[-1].sequence if self.events else 0) + 1
            event = EVENTS.Event(sequence=sequence, association_id=association_id, **fields)
            if change_type is not None:
                event.association_change.type = EVENTS.AssociationChangeType.Value(
                    "ASSOCIATION_CHANGE_TYPE_" + change_type)
            self.events.append(event)
            self.lock.notify_all()
            return event

    def deliver(self, association_id, *messages):
        """Queues received messages (InboundMessage) for an association."""
        with self.lock:
            for message in messages:
                message.association_id = association_id
                self.queues[association_id].append(message)
            self.lock.notify_all()

    def end_association(self, association_id):
        with self.lock:
            self.associations[association_id].state = TYPES.ASSOCIATION_STATE_CLOSED
            self.lock.notify_all()

    def _watch(self, context):
        """Wakes the waiters when the call ends (cancelled, deadline)."""
        def wake():
            with self.lock:
                self.lock.notify_all()
        context.add_callback(wake)

    def _wait(self, context, predicate, margin=0.0):
        """Waits until predicate() (under the lock), the call ends, or its
        deadline less `margin` passes; True if predicate() holds."""
        remaining = context.time_remaining()
        if remaining is not None and remaining > 1e6:  # No deadline, as some clients say it.
            remaining = None
        end = None if remaining is None else time.monotonic() + max(0.0, remaining - margin)
        with self.lock:
            while context.is_active():
                if predicate():
                    return True
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self.lock.wait(left)
            return False

    # ---------------------------------------------------------- the calls

    def OpenSession(self, request, context):
        self._record("OpenSession", request, context)
        session_id = f"{self._new_id():032x}"
        lease = min(request.requested_lease_ms or 30000, 3600000)
        with self.lock:
            self.sessions[session_id] = request.client_name
        liveness = request.liveness or SERVICE.SESSION_LIVENESS_CONNECTION
        self.liveness[session_id] = liveness
        return SERVICE.OpenSessionResponse(session_id=session_id, lease_ms=lease,
                                           liveness=liveness)

    def Capture(self, request, context):
        """The empty first response, then one response per entry of
        self.captured (CaptureResponses) and the end."""
        self._record("Capture", request, context)
        with self.lock:
            if request.session_id not in self.sessions:
                abort(context, grpc.StatusCode.NOT_FOUND, "SESSION_NOT_FOUND")
            responses = list(self.captured)
        yield SERVICE.CaptureResponse()
        yield from responses

    def RenewLease(self, request, context):
        self._record("RenewLease", request, context)
        with self.lock:
            if request.session_id not in self.sessions:
                abort(context, grpc.StatusCode.NOT_FOUND, "SESSION_NOT_FOUND")
        return SERVICE.RenewLeaseResponse(
            lease_ms=30000, liveness=self.liveness.get(request.session_id,
                                                       SERVICE.SESSION_LIVENESS_CONNECTION))

    def CloseSession(self, request, context):
        self._record("CloseSession", request, context)
        with self.lock:
            del self.sessions[request.session_id]
        return SERVICE.CloseSessionResponse()

    def OpenEndpoint(self, request, context):
        self._record("OpenEndpoint", request, context)
        for address in request.local_addresses:
            if not address.replace(".", "").isdigit() and ":" not in address:
                abort(context, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ADDRESS",
                      {"field": "local_addresses", "address": address})
        endpoint = TYPES.Endpoint(
            endpoint_id=self._new_id(), port=request.port or 40000,
            listening=request.listen, socket_settings=request.socket_settings,
            oversized_messages=request.oversized_messages,
            stream_scheduler=request.stream_scheduler,
            local_addresses=[TYPES.TransportAddress(ip=a, port=request.port or 40000)
                             for a in request.local_addresses])
        with self.lock:
            self.endpoints[endpoint.endpoint_id] = endpoint
        return SERVICE.OpenEndpointResponse(endpoint=endpoint)

    def CloseEndpoint(self, request, context):
        self._record("CloseEndpoint", request, context)
        with self.lock:
            if self.endpoints.pop(request.endpoint_id, None) is None:
                abort(context, grpc.StatusCode.NOT_FOUND, "ENDPOINT_NOT_FOUND",
                      {"endpoint_id": str(request.endpoint_id)})
        return SERVICE.CloseEndpointResponse()

    def ListEndpoints(self, request, context):
        """Pages of one endpoint each, to test the paging."""
        self._record("ListEndpoints", request, context)
        with self.lock:
            ids = sorted(self.endpoints)
        start = int(request.page_token or 0)
        page = ids[start:start + 1]
        token = str(start + 1) if start + 1 < len(ids) else ""
        return SERVICE.ListEndpointsResponse(
            endpoints=[self.endpoints[i] for i in page], next_page_token=token)

    def Associate(self, request, context):
        self._record("Associate", request, context)
        if request.endpoint_id not in self.endpoints:
            abort(context, grpc.StatusCode.NOT_FOUND, "ENDPOINT_NOT_FOUND")
        if request.peer_port == 9:  # Nobody listens on the discard port.
            abort(context, grpc.StatusCode.UNAVAILABLE, "ASSOCIATE_FAILED",
                  {"errno": "111", "peer": f"{request.peer_addresses[0]}:9"},
                  "the peer refused the association (ABORT)")
        association = TYPES.Association(
            association_id=self._new_id(), endpoint_id=request.endpoint_id,
            state=TYPES.ASSOCIATION_STATE_ESTABLISHED,
            outbound_streams=request.init.outbound_streams or self.OUTBOUND_STREAMS,
            inbound_streams=request.init.max_inbound_streams or self.OUTBOUND_STREAMS,
            peer_addresses=[TYPES.TransportAddress(ip=a, port=request.peer_port)
                            for a in request.peer_addresses])
        with self.lock:
            self.associations[association.association_id] = association
        self.add_event(association.association_id, "COMM_UP",
                       endpoint_id=request.endpoint_id)
        return SERVICE.AssociateResponse(association=association)

    def _check_messages(self, context, request, extra=None):
        association = self.associations.get(request.association_id)
        if association is None:
            abort(context, grpc.StatusCode.NOT_FOUND, "ASSOCIATION_NOT_FOUND", extra)
        for index, message in enumerate(request.messages):
            if message.stream >= association.outbound_streams:
                abort(context, grpc.StatusCode.INVALID_ARGUMENT, "STREAM_OUT_OF_RANGE",
                      dict(extra or {}, field=f"messages[{index}].stream",
                           outbound_streams=str(association.outbound_streams)))

    def Send(self, request, context):
        self._record("Send", request, context)
        self._check_messages(context, request)
        with self.lock:
            accept = self.send_accepts.pop(0) if self.send_accepts else None
            taken = list(request.messages)[:accept]
            self.sent[request.association_id].extend(taken)
            if self.echo:
                self.queues[request.association_id].extend(
                    TYPES.InboundMessage(association_id=request.association_id,
                                         payload=m.payload) for m in taken)
                self.lock.notify_all()
        if accept is not None:
            abort(context, grpc.StatusCode.UNAVAILABLE, "HANDED_OVER",
                  {"accepted_messages": str(len(taken))})
        return SERVICE.SendResponse(accepted_messages=len(taken))

    def _target_queue(self, request):
        """The association ids a ReceiveRequest reads."""
        if request.WhichOneof("target") == "association_id":
            return [request.association_id]
        return [a for a, association in self.associations.items()
                if association.endpoint_id == request.endpoint_id]

    def _take(self, request):
        limit = request.max_messages or 64
        taken = []
        for association_id in self._target_queue(request):
            queue = self.queues[association_id]
            while queue and len(taken) < limit:
                taken.append(queue.pop(0))
        return taken

    def Receive(self, request, context):
        self._record("Receive", request, context)
        ids = self._target_queue(request)
        if not ids or any(i not in self.associations for i in ids):
            abort(context, grpc.StatusCode.NOT_FOUND, "ASSOCIATION_NOT_FOUND")
        self._watch(context)
        # sctpgw answers a little before the deadline, so that its answer is
        # not lost to the race.
        if self._wait(context, lambda: any(self.queues[i] for i in ids), margin=0.05):
            with self.lock:
                return SERVICE.ReceiveResponse(messages=self._take(request))
        abort(context, grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED")

    def ReceiveStream(self, request, context):
        self._record("ReceiveStream", request, context)
        with self.lock:
            failure = self.receive_stream_breaks.pop(0) if self.receive_stream_breaks else None
        ids = self._target_queue(request)
        if not ids or any(i not in self.associations for i in ids):
            abort(context, grpc.StatusCode.NOT_FOUND, "ASSOCIATION_NOT_FOUND")
        self._watch(context)

        def ended():
            return all(self.associations[i].state == TYPES.ASSOCIATION_STATE_CLOSED
                       and not self.queues[i] for i in ids)

        responses = 0
        while True:
            if not self._wait(context, lambda: ended() or any(self.queues[i] for i in ids)):
                if context.is_active():  # The deadline, as sctpgw says it.
                    abort(context, grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED")
                return
            # The break comes when there is more to send after the first
            # response, and takes nothing from the queue.
            if failure is not None and responses:
                abort(context, failure.code, failure.reason, failure.metadata)
            with self.lock:
                if ended():
                    return
                taken = self._take(request)
            yield SERVICE.ReceiveResponse(messages=taken)
            responses += 1

    def SendStream(self, request_iterator, context):
        completed, accepted = 0, 0
        for request in request_iterator:
            self._record("SendStream", request, context)
            self._check_messages(context, request, {"completed_requests": str(completed)})
            with self.lock:
                self.sent[request.association_id].extend(request.messages)
            completed += 1
            accepted += len(request.messages)
            if completed % self.SEND_STREAM_ACK_EVERY == 0:
                yield SERVICE.SendStreamResponse(completed_requests=completed,
                                                 accepted_messages=accepted)
        yield SERVICE.SendStreamResponse(completed_requests=completed,
                                         accepted_messages=accepted)

    def Shutdown(self, request, context):
        self._record("Shutdown", request, context)
        association = self.associations.get(request.association_id)
        if association is None:
            abort(context, grpc.StatusCode.NOT_FOUND, "ASSOCIATION_NOT_FOUND")
        self.end_association(request.association_id)
        graceful = request.mode == SERVICE.SHUTDOWN_MODE_GRACEFUL
        self.add_event(request.association_id, "SHUTDOWN_COMP" if graceful else "COMM_LOST",
                       endpoint_id=association.endpoint_id,
                       detail="" if graceful else request.abort_reason)
        return SERVICE.ShutdownResponse()

    def ListAssociations(self, request, context):
        self._record("ListAssociations", request, context)
        with self.lock:
            found = [a for i, a in sorted(self.associations.items())
                     if request.endpoint_id in (0, a.endpoint_id)]
        return SERVICE.ListAssociationsResponse(associations=found)

    def GetAssociation(self, request, context):
        self._record("GetAssociation", request, context)
        association = self.associations.get(request.association_id)
        if association is None:
            abort(context, grpc.StatusCode.NOT_FOUND, "ASSOCIATION_NOT_FOUND",
                  {"association_id": str(request.association_id)})
        return SERVICE.GetAssociationResponse(
            association=association,
            paths=[TYPES.PeerPath(address=a, state=TYPES.PATH_STATE_ACTIVE, srtt_ms=1)
                   for a in association.peer_addresses])

    def ConfigurePaths(self, request, context):
        self._record("ConfigurePaths", request, context)
        return SERVICE.ConfigurePathsResponse(parameters=request.parameters)

    def ConfigureStreams(self, request, context):
        self._record("ConfigureStreams", request, context)
        return SERVICE.ConfigureStreamsResponse(scheduler=request.scheduler,
                                                values=request.values)

    def GetServiceStatus(self, request, context):
        self._record("GetServiceStatus", request, context)
        return SERVICE.GetServiceStatusResponse(version="0.1.0",
                                                state=SERVICE.SERVICE_STATE_SERVING,
                                                sessions=len(self.sessions))

    def _empty(method, response):
        def handler(self, request, context):
            self._record(method, request, context)
            return response()
        handler.__name__ = method
        return handler

    UpdateEndpointAddresses = _empty("UpdateEndpointAddresses",
                                     SERVICE.UpdateEndpointAddressesResponse)
    SetPrimaryPath = _empty("SetPrimaryPath", SERVICE.SetPrimaryPathResponse)
    RequestPeerPrimaryPath = _empty("RequestPeerPrimaryPath",
                                    SERVICE.RequestPeerPrimaryPathResponse)
    ResetStreams = _empty("ResetStreams", SERVICE.ResetStreamsResponse)
    ResetAssociation = _empty("ResetAssociation", SERVICE.ResetAssociationResponse)
    AddStreams = _empty("AddStreams", SERVICE.AddStreamsResponse)
    ChangeAuthKey = _empty("ChangeAuthKey", SERVICE.ChangeAuthKeyResponse)
    RequestHeartbeat = _empty("RequestHeartbeat", SERVICE.RequestHeartbeatResponse)
    del _empty

    def WatchEvents(self, request, context):
        self._record("WatchEvents", request, context)
        with self.lock:
            breaks_after = self.watch_breaks.pop(0) if self.watch_breaks else None
            if request.only_new:
                after = self.events[-1].sequence if self.events else 0
            else:
                after = request.after_sequence
            if after + 1 < self.first_kept_sequence and self.events:
                abort(context, grpc.StatusCode.OUT_OF_RANGE, "HISTORY_COMPACTED",
                      {"first_kept_sequence": str(self.first_kept_sequence)})
            last = self.events[-1].sequence if self.events else 0
            self.watch_streams_started += 1
            self.lock.notify_all()
        self._watch(context)
        yield SERVICE.WatchEventsResponse(ack=SERVICE.WatchAck(
            after_sequence=after, last_sequence=last,
            first_kept_sequence=self.first_kept_sequence))
        sent = 0
        while True:
            if not self._wait(context, lambda: self.events and self.events[-1].sequence > after):
                return
            with self.lock:
                batch = [e for e in self.events if e.sequence > after
                         and request.endpoint_id in (0, e.endpoint_id)]
                after = self.events[-1].sequence
            if breaks_after is not None:
                batch = batch[:breaks_after - sent]
            if batch:
                yield SERVICE.WatchEventsResponse(events=SERVICE.EventBatch(events=batch))
                sent += len(batch)
            if breaks_after is not None and sent >= breaks_after:
                abort(context, grpc.StatusCode.UNAVAILABLE, "SHUTTING_DOWN")


class Server:
    """A FakeGateway served on a unix socket in a temporary directory:
    .target, .fake; stop() ends it."""

    def __init__(self, fake=None):
        self.fake = fake or FakeGateway()
        self.directory = tempfile.mkdtemp(prefix="sctpgw-python-test-")
        self.target = f"unix:{os.path.join(self.directory, 'sctpgw.sock')}"
        self._server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=16))
        STUBS.service_grpc.add_GatewayServiceServicer_to_server(self.fake, self._server)
        self._server.add_insecure_port(self.target)
        self._server.start()

    def stop(self):
        self._server.stop(grace=None).wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def inbound(payload, stream=0, ppid=0, **fields):
    return TYPES.InboundMessage(payload=payload if isinstance(payload, bytes)
                                else payload.encode(), stream=stream, ppid=ppid, **fields)
