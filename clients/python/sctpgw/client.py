"""The synchronous client: sctpgw.Client, its event stream and its data
streams. Calls may be made from several threads at once; each stream
object is read (or written) by one thread at a time.
"""
import collections
import logging
import threading
import time
import weakref

import grpc

from . import _stubs
from . import messages as _messages
from ._calls import (DEFAULT_TARGET, DEFAULT_TIMEOUT, Calls, StreamRetry, UnaryRetry,
                     channel_options as _channel_options, deadline_passed, liveness_value,
                     renewal_progress_interval_ms)
from .errors import SctpgwError, from_rpc_error, make_error

_log = logging.getLogger("sctpgw")

# Send stream requests queued in the client, beyond what gRPC and sctpgw
# hold: send() blocks when this many wait.
SEND_STREAM_QUEUE = 8


class Client(Calls):
    """One application's session with sctpgw.

        with sctpgw.Client("unix:/run/sctpgw/sctpgw.sock") as client:
            endpoint = client.open_endpoint("192.0.2.1")
            association = client.associate(endpoint.endpoint_id, "198.51.100.7", 36412)
            client.send(association.association_id, b"hello", stream=1, ppid=60)
            for message in client.receive(association.association_id, timeout=5):
                ...

    Constructing it opens a session (OpenSession; or attaches to
    `session_id`). The session lives while an event or receive stream of it
    is open or while calls come within its lease (`lease_ms` asks for one;
    the service's answer is self.lease_ms); close() ends it (CloseSession)
    unless close_session is False, which leaves it to its lease for a
    later attach.

    Every call has a deadline: its `timeout` keyword in seconds, else
    `timeout` given here. Failures raise sctpgw.SctpgwError (one subclass
    per gRPC code) with .code, .reason and .metadata. A call answered
    UNAVAILABLE / HANDED_OVER (a new sctpgw process took over) is made again
    within its deadline.

    target: "unix:/path" or "host:port". credentials: grpc.ChannelCredentials
    for TLS (plaintext without). channel: a grpc.Channel to use instead
    (not closed by close()). stubs: a directory of generated stubs
    (BUILD/python); default $SCTPGW_PYTHON_STUBS, else those bundled at
    install.
    """

    def __init__(self, target=DEFAULT_TARGET, *, client_name="sctpgw-python", lease_ms=0,
                 session_id=None, timeout=DEFAULT_TIMEOUT, credentials=None,
                 channel_options=(), channel=None, stubs=None, close_session=True,
                 liveness="connection"):
        self._pb = _stubs.load(stubs)
        liveness_enum = liveness_value(self._pb.service, liveness)
        self.liveness = liveness
        self._clock = time.monotonic  # Seconds; tests replace it.
        self._last_renewal = self._clock()
        self.timeout = timeout
        self.target = target
        self._close_session = close_session
        self._own_channel = channel is None
        if channel is None:
            options = _channel_options(channel_options)
            channel = (grpc.secure_channel(target, credentials, options) if credentials
                       else grpc.insecure_channel(target, options))
        self._channel = channel
        self._stub = self._pb.service_grpc.GatewayServiceStub(channel)
        self._streams = weakref.WeakSet()
        self._streams_lock = threading.Lock()
        self._closed = False
        self.session_id = session_id or ""
        self.lease_ms = None
        if session_id:
            if liveness == "application":
                self.lease_ms = self.renew_lease().lease_ms  # Learns the lease.
            return
        try:
            response = self._unary("OpenSession", self._pb.service.OpenSessionRequest(
                requested_lease_ms=lease_ms, client_name=client_name,
                liveness=liveness_enum), None)
        except BaseException:
            if self._own_channel:
                self._channel.close()
            raise
        self.session_id = response.session_id
        self.lease_ms = response.lease_ms

    @property
    def stubs(self):
        """The generated modules (sctpgw.Stubs): .types, .events, .service,
        .service_grpc; and .service_grpc.GatewayServiceStub(client.channel)
        for anything this class does not wrap."""
        return self._pb

    @property
    def channel(self):
        return self._channel

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        try:
            self.close()
        except Exception:
            if kind is None:
                raise  # Else the exception on its way out says more.

    def close(self, *, timeout=None):
        """Ends the streams this client opened, ends the session (unless
        close_session was False; one already gone is no error) and closes
        the channel. Raises SctpgwError when CloseSession fails."""
        if self._closed:
            return
        self._closed = True
        with self._streams_lock:
            streams = list(self._streams)
        for stream in streams:
            stream.cancel()
        try:
            if self._close_session and self.session_id:
                try:
                    self._unary("CloseSession", self._pb.service.CloseSessionRequest(
                        session_id=self.session_id), timeout)
                except Exception as error:
                    if getattr(error, "reason", "") != "SESSION_NOT_FOUND":
                        raise
        finally:
            if self._own_channel:
                self._channel.close()

    # ---------------------------------------------------------- transport

    def _deadline(self, timeout):
        return time.monotonic() + (self.timeout if timeout is None else timeout)

    def _unary(self, name, request, timeout, extract=None, *, on_error=None, on_deadline=None):
        method = getattr(self._stub, name)
        retry = UnaryRetry(self._deadline(timeout))
        while True:
            attempt = request() if callable(request) else request
            left = retry.deadline - time.monotonic()
            if left <= 0:  # Past already: gRPC would race the answer against it.
                error = deadline_passed(name)
            else:
                try:
                    response = method(attempt, timeout=left,
                                      wait_for_ready=True if retry.retrying else None)
                except grpc.RpcError as rpc_error:
                    error = from_rpc_error(rpc_error, name)
                else:
                    return extract(response) if extract else response
            if on_error is not None:
                on_error(error)
            delay = retry.delay(error)
            if delay is None:
                if on_deadline is not None and error.code == grpc.StatusCode.DEADLINE_EXCEEDED:
                    return on_deadline()
                raise error
            time.sleep(delay)

    def _paged(self, name, make_request, field, timeout):
        items, token = [], ""
        while True:
            response = self._unary(name, make_request(token), timeout)
            items.extend(getattr(response, field))
            token = response.next_page_token
            if not token:
                return items

    def _renew_if_due(self, handled_sequence):
        """Under application liveness, renews the lease if a third of it has
        passed since the last renewal. Called by the event stream on the
        thread that iterates it: a loop that stops iterating stops renewing."""
        timeout = self._renewal_timeout()
        if timeout is None:
            return
        try:
            self.renew_lease(handled_sequence, timeout=timeout)
        except SctpgwError as error:
            _log.info("sctpgw lease renewal failed: %s", error)

    def _track(self, stream):
        with self._streams_lock:
            self._streams.add(stream)
        return stream

    # ------------------------------------------------------------ streams

    def events(self, after_sequence=0, *, endpoint_id=0, only_new=False,
               progress_interval_ms=0, reconnect=True):
        """The session's events (WatchEvents), as an EventStream: iterate it
        for each sctpgw.v1 Event, in order, exactly once. It connects on
        start() or the first next(); when the stream breaks (sctpgw restarts
        or hands over, the network fails) it reconnects and resumes after
        the last event returned, unless reconnect is False. It raises
        SctpgwError for what resuming cannot cure: OutOfRange /
        HISTORY_COMPACTED (metadata first_kept_sequence: events were lost to
        the service's history; open a new stream after first_kept - 1 to go
        on), ResourceExhausted / SUBSCRIBER_TOO_SLOW, NotFound /
        SESSION_NOT_FOUND.

        after_sequence: the last sequence already processed (0: from the
        oldest kept). endpoint_id: only that endpoint's events. only_new:
        from the next new event instead.
        """
        if self.liveness == "application" and not progress_interval_ms:
            progress_interval_ms = renewal_progress_interval_ms(self.lease_ms)
        return self._track(EventStream(self, after_sequence, endpoint_id, only_new,
                                       progress_interval_ms, reconnect))

    def receive_stream(self, association_id=0, *, endpoint_id=0, max_messages=0, max_bytes=0,
                       timeout=None, reconnect=True):
        """The messages of one association, or of any association of an
        endpoint, pushed as they arrive (ReceiveStream): iterate it for
        lists of InboundMessage, or its messages() for whole messages with
        pieces joined. The iteration ends when the association has ended and
        its last message was delivered. A stream broken by the service
        (restart, handover) is opened again unless reconnect is False. No
        deadline unless `timeout` (seconds, for the whole stream)."""
        return self._track(ReceiveStream(self, association_id, endpoint_id, max_messages,
                                         max_bytes, timeout, reconnect))

    def send_stream(self, association_id=0, *, timeout=None):
        """A SendStream: batches of messages sent in order on one long-lived
        call, for high rates. association_id: the default of its send()s.
        No deadline unless `timeout` (seconds, for the whole stream)."""
        return self._track(SendStream(self, association_id, timeout))

    def capture(self, association_id=0, *, endpoint_id=0, snap_bytes=0, buffer_messages=0,
                timeout=None):
        """Copies of the messages passing over the session's associations
        (Capture): one association, one endpoint's, or (neither) all. Returns
        once the capture is in force, as a CaptureStream: iterate it for
        CaptureResponses (messages, and dropped_messages: how many the
        capture dropped just before them because it fell behind). It ends
        with NotFound / SESSION_NOT_FOUND once the session has ended. No
        deadline unless `timeout` (seconds, for the whole capture)."""
        return self._track(CaptureStream(self, association_id, endpoint_id, snap_bytes,
                                         buffer_messages, timeout))


class _CancellableStream:
    """What the server streams share: iteration, `with`, and cancel() (from
    any thread) of the call in progress. Subclasses set _lock, _cancelled
    and _call."""

    def __iter__(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cancel()

    def cancel(self):
        """Ends the stream; a next() waiting in another thread ends too."""
        with self._lock:
            self._cancelled.set()
            if self._call is not None:
                self._call.cancel()

    close = cancel


class EventStream(_CancellableStream):
    """A session's resumable event stream (Client.events()).

    Iterating yields Events. last_sequence is the sequence of the last event
    returned (what a resume starts after); acknowledgement the WatchAck of
    the current connection; progress the last WatchProgress; reconnects how
    often it resumed.
    """

    def __init__(self, client, after_sequence, endpoint_id, only_new, progress_interval_ms,
                 reconnect):
        self._client = client
        self._endpoint_id = endpoint_id
        self._only_new = only_new
        self._progress_interval_ms = progress_interval_ms
        self._reconnect = reconnect
        self._retry = StreamRetry()
        self._pending = collections.deque()
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._call = None
        self._ended = False
        self._acknowledged_once = False
        self.last_sequence = after_sequence
        self.acknowledgement = None
        self.progress = None
        self.reconnects = 0

    def start(self, timeout=None):
        """Connects now and waits for sctpgw's acknowledgement, so that no
        event of what the caller does next can be missed and a refusal
        (NotFound / SESSION_NOT_FOUND, OutOfRange / HISTORY_COMPACTED) is
        raised here; returns the WatchAck. timeout: seconds, default the
        client's."""
        if self._call is not None and self.acknowledgement is not None:
            return self.acknowledgement
        if self._ended or not self._open():
            raise make_error(grpc.StatusCode.CANCELLED, "", None, "the event stream has ended",
                             "WatchEvents")
        call = self._call
        expired = threading.Event()

        def expire():
            expired.set()
            call.cancel()

        timer = threading.Timer(self._client.timeout if timeout is None else timeout, expire)
        timer.daemon = True
        timer.start()
        try:
            while self.acknowledgement is None:
                error = self._read()
                if error is not None or self._call is None:
                    self._ended = True
                    if expired.is_set() and not self._cancelled.is_set():
                        raise make_error(grpc.StatusCode.DEADLINE_EXCEEDED, "", None,
                                         "no acknowledgement before the deadline", "WatchEvents")
                    raise error or make_error(grpc.StatusCode.UNAVAILABLE, "", None,
                                              "the event stream ended", "WatchEvents")
        finally:
            timer.cancel()
        return self.acknowledgement

    def __next__(self):
        while True:
            self._client._renew_if_due(self.last_sequence)
            if self._pending:
                event = self._pending.popleft()
                self.last_sequence = event.sequence
                return event
            if self._ended or self._cancelled.is_set():
                raise StopIteration
            if self._call is None and not self._open():
                raise StopIteration
            error = self._read()
            if self._call is not None:
                continue
            if self._cancelled.is_set():
                raise StopIteration
            delay = self._retry.delay(error) if self._reconnect else None
            if delay is None:
                self._ended = True
                raise error or make_error(grpc.StatusCode.UNAVAILABLE, "", None,
                                          "the event stream ended", "WatchEvents")
            _log.info("sctpgw event stream interrupted (%s); resuming after %d in %.2f s",
                      error or "ended", self.last_sequence, delay)
            if self._cancelled.wait(delay):
                raise StopIteration
            self.reconnects += 1

    def _open(self):
        """Opens a call; False if the stream was cancelled."""
        service = self._client._pb.service
        # only_new holds until a stream has said where "new" starts.
        request = service.WatchEventsRequest(
            session_id=self._client.session_id, endpoint_id=self._endpoint_id,
            progress_interval_ms=self._progress_interval_ms,
            after_sequence=self.last_sequence,
            only_new=self._only_new and not self._acknowledged_once)
        with self._lock:
            if self._cancelled.is_set():
                return False
            # A resume waits for the service to come back rather than failing.
            self._call = self._client._stub.WatchEvents(
                request, wait_for_ready=True if self.reconnects else None)
            self.acknowledgement = None
            return True

    def _read(self):
        """Reads one response. Returns None, or on the stream's end
        (self._call is then None) the error that ended it (None: it ended
        without one)."""
        try:
            response = next(self._call)
        except StopIteration:
            error = None
        except grpc.RpcError as rpc_error:
            error = from_rpc_error(rpc_error, "WatchEvents")
        else:
            kind = response.WhichOneof("kind")
            if kind == "ack":
                self.acknowledgement = response.ack
                if self._only_new and not self._acknowledged_once:
                    self.last_sequence = response.ack.after_sequence
                self._acknowledged_once = True
                self._retry.connected()
            elif kind == "events":
                self._pending.extend(response.events.events)
            elif kind == "progress":
                self.progress = response.progress
            return None
        with self._lock:
            self._call = None
        return error


class CaptureStream(_CancellableStream):
    """A capture (Client.capture()): iterating yields CaptureResponses."""

    def __init__(self, client, association_id, endpoint_id, snap_bytes, buffer_messages, timeout):
        request = client._capture_request(association_id, endpoint_id, snap_bytes,
                                          buffer_messages)
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._call = client._stub.Capture(request, timeout=timeout)
        self._read()  # sctpgw's first, empty, response: the capture is in force.

    def _read(self):
        try:
            return next(self._call)
        except grpc.RpcError as rpc_error:
            if self._cancelled.is_set():
                raise StopIteration from None
            raise from_rpc_error(rpc_error, "Capture") from None

    def __next__(self):
        return self._read()


class ReceiveStream(_CancellableStream):
    """Messages pushed as they arrive (Client.receive_stream()): iterating
    yields lists of InboundMessage (at least one each); messages() yields
    whole messages, pieces joined."""

    def __init__(self, client, association_id, endpoint_id, max_messages, max_bytes, timeout,
                 reconnect):
        service = client._pb.service
        self._client = client
        self._request = service.ReceiveRequest(session_id=client.session_id,
                                               max_messages=max_messages, max_bytes=max_bytes)
        if association_id:
            self._request.association_id = association_id
        else:
            self._request.endpoint_id = endpoint_id
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._reconnect = reconnect
        self._retry = StreamRetry()
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._call = None
        self._ended = False
        self._retried = False
        self.reconnects = 0

    def messages(self, joiner=None):
        """Generator of whole messages (InboundMessage), pieces joined by
        `joiner` (a MessageJoiner; a new one by default)."""
        return (joiner or _messages.MessageJoiner()).join(self)

    def __next__(self):
        while True:
            if self._ended or self._cancelled.is_set():
                raise StopIteration
            with self._lock:
                if self._call is None:
                    timeout = (None if self._deadline is None
                               else max(0.0, self._deadline - time.monotonic()))
                    self._call = self._client._stub.ReceiveStream(
                        self._request, timeout=timeout,
                        wait_for_ready=True if self._retried else None)
            try:
                response = next(self._call)
            except StopIteration:
                self._call = None
                self._ended = True
                raise
            except grpc.RpcError as rpc_error:
                error = from_rpc_error(rpc_error, "ReceiveStream")
            else:
                self._retry.connected()
                return list(response.messages)
            with self._lock:
                self._call = None
            if self._cancelled.is_set():
                raise StopIteration
            delay = self._retry.delay(error) if self._reconnect else None
            if delay is None:
                self._ended = True
                raise error
            _log.info("sctpgw receive stream interrupted (%s); reopening in %.2f s", error, delay)
            if self._cancelled.wait(delay):
                raise StopIteration
            self._retried = True
            self.reconnects += 1


class _RequestPipe:
    """The requests of a send stream, from send() to gRPC's request
    iterator: bounded, so that send() blocks while sctpgw pushes back."""

    def __init__(self, capacity):
        self._capacity = capacity
        self._items = collections.deque()
        self._condition = threading.Condition()
        self._closed = False  # No more puts; the iterator ends once drained.
        self._aborted = False  # The call ended: everything is dropped.

    def put(self, item):
        """False once the pipe is closed or aborted."""
        with self._condition:
            self._condition.wait_for(lambda: len(self._items) < self._capacity
                                     or self._closed or self._aborted)
            if self._closed or self._aborted:
                return False
            self._items.append(item)
            self._condition.notify_all()
            return True

    def close(self):
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def abort(self):
        with self._condition:
            self._aborted = True
            self._items.clear()
            self._condition.notify_all()

    def __iter__(self):
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._items or self._closed or self._aborted)
                if self._aborted or not self._items:
                    return
                item = self._items.popleft()
                self._condition.notify_all()
            yield item


class SendStream:
    """Batches sent in order on one SendStream call (Client.send_stream()).
    One writer at a time.

        with client.send_stream(association_id) as stream:
            for batch in batches:
                stream.send(batch)        # blocks while sctpgw pushes back
        print(stream.totals.accepted_messages)

    Leaving the with block calls finish() (or cancel() on an exception).
    """

    def __init__(self, client, association_id, timeout):
        self._client = client
        self._association_id = association_id
        self._pipe = _RequestPipe(SEND_STREAM_QUEUE)
        self._cancelled = False
        self._error = None
        self._finished = False
        self.totals = client._pb.service.SendStreamResponse()
        self._call = client._stub.SendStream(iter(self._pipe), timeout=timeout)
        self._reader = threading.Thread(target=self._read, name="sctpgw-send-stream",
                                        daemon=True)
        self._reader.start()

    def _read(self):
        try:
            for response in self._call:
                self.totals = response
        except grpc.RpcError as rpc_error:
            if not self._cancelled:
                self._error = from_rpc_error(rpc_error, "SendStream")
        finally:
            self._pipe.abort()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.finish()
        else:
            self.cancel()

    def send(self, messages, *, association_id=None):
        """Queues a batch (OutboundMessages or payloads, at most the
        service's per-call limit) after every earlier one; blocks while
        sctpgw pushes back. Raises the error that ended the stream, if it
        has ended."""
        service = self._client._pb.service
        request = service.SendRequest(
            session_id=self._client.session_id,
            association_id=self._association_id if association_id is None else association_id,
            messages=[_messages.outbound(item) for item in messages])
        if not self._pipe.put(request):
            self._reader.join()
            raise self._ended_error()

    def finish(self):
        """Says no more batches come, waits until sctpgw has done every one
        and returns the totals (SendStreamResponse: completed_requests,
        accepted_messages), or raises the first error (metadata
        completed_requests: the requests fully sent before it)."""
        if not self._finished:
            self._finished = True
            self._pipe.close()
            self._reader.join()
        if self._error is not None or self._cancelled:
            raise self._ended_error()
        return self.totals

    def cancel(self):
        """Abandons the stream: requests not yet handed to the kernel are
        dropped."""
        self._cancelled = True
        self._call.cancel()
        self._pipe.abort()

    close = cancel

    def _ended_error(self):
        if self._error is not None:
            return self._error
        if self._cancelled:
            return make_error(grpc.StatusCode.CANCELLED, "", None, "the stream was cancelled",
                              "SendStream")
        return make_error(grpc.StatusCode.UNAVAILABLE, "", None,
                          "the stream ended before its requests were sent", "SendStream")
