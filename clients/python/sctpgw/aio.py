"""The asyncio client, on grpc.aio: the calls of sctpgw.Client as coroutines,
events and received messages with ``async for``.

    import sctpgw.aio

    async def main():
        async with sctpgw.aio.Client("unix:/run/sctpgw/sctpgw.sock") as client:
            events = client.events()
            await events.start()
            endpoint = await client.open_endpoint("192.0.2.1")
            association = await client.associate(endpoint.endpoint_id, "198.51.100.7", 36412)
            await client.send(association.association_id, b"hello")
            async for batch in client.receive_stream(association.association_id):
                ...

Use one Client from the event loop it was opened on.
"""
import asyncio
import collections
import logging
import time
import weakref

import grpc
import grpc.aio

from . import _stubs
from . import messages as _messages
from ._calls import (DEFAULT_TARGET, DEFAULT_TIMEOUT, Calls, StreamRetry, UnaryRetry,
                     channel_options as _channel_options, deadline_passed, liveness_value,
                     renewal_progress_interval_ms)
from .errors import SctpgwError, from_rpc_error, make_error

_log = logging.getLogger("sctpgw")


class Client(Calls):
    """sctpgw.Client for asyncio: every call is a coroutine (await
    client.open_endpoint(...)); events(), receive_stream() and
    send_stream() return streams used with async for / await.

    Opening the session is asynchronous: ``async with Client(...) as
    client``, ``client = await Client.connect(...)``, or ``await
    client.open()``. Arguments as sctpgw.Client's.
    """

    def __init__(self, target=DEFAULT_TARGET, *, client_name="sctpgw-python", lease_ms=0,
                 session_id=None, timeout=DEFAULT_TIMEOUT, credentials=None,
                 channel_options=(), channel=None, stubs=None, close_session=True,
                 liveness="connection"):
        self._pb = _stubs.load(stubs)
        self._liveness_enum = liveness_value(self._pb.service, liveness)
        self.liveness = liveness
        self._clock = time.monotonic  # Seconds; tests replace it.
        self._last_renewal = self._clock()
        self.timeout = timeout
        self.target = target
        self._client_name = client_name
        self._lease_ms = lease_ms
        self._credentials = credentials
        self._channel_options = _channel_options(channel_options)
        self._close_session = close_session
        self._own_channel = channel is None
        self._channel = channel
        self._stub = None
        self._streams = weakref.WeakSet()
        self._closed = False
        self.session_id = session_id or ""
        self.lease_ms = None

    @classmethod
    async def connect(cls, target=DEFAULT_TARGET, **options):
        """A Client with its session open."""
        client = cls(target, **options)
        await client.open()
        return client

    @property
    def stubs(self):
        return self._pb

    @property
    def channel(self):
        return self._channel

    async def open(self):
        """Opens the channel and the session (or attaches to session_id)."""
        if self._channel is None:
            self._channel = (
                grpc.aio.secure_channel(self.target, self._credentials, self._channel_options)
                if self._credentials
                else grpc.aio.insecure_channel(self.target, self._channel_options))
        self._stub = self._pb.service_grpc.GatewayServiceStub(self._channel)
        if self.session_id:
            if self.liveness == "application":
                self.lease_ms = (await self.renew_lease()).lease_ms  # Learns the lease.
            return self
        try:
            response = await self._unary("OpenSession", self._pb.service.OpenSessionRequest(
                requested_lease_ms=self._lease_ms, client_name=self._client_name,
                liveness=self._liveness_enum), None)
        except BaseException:
            if self._own_channel:
                await self._channel.close()
            raise
        self.session_id = response.session_id
        self.lease_ms = response.lease_ms
        return self

    async def __aenter__(self):
        if self._stub is None:
            await self.open()
        return self

    async def __aexit__(self, kind, value, traceback):
        try:
            await self.close()
        except Exception:
            if kind is None:
                raise

    async def close(self, *, timeout=None):
        """As sctpgw.Client.close()."""
        if self._closed:
            return
        self._closed = True
        for stream in list(self._streams):
            stream.cancel()
        try:
            if self._close_session and self.session_id and self._stub is not None:
                try:
                    await self._unary("CloseSession", self._pb.service.CloseSessionRequest(
                        session_id=self.session_id), timeout)
                except Exception as error:
                    if getattr(error, "reason", "") != "SESSION_NOT_FOUND":
                        raise
        finally:
            if self._own_channel and self._channel is not None:
                await self._channel.close()

    # ---------------------------------------------------------- transport

    async def _unary(self, name, request, timeout, extract=None, *, on_error=None,
                     on_deadline=None):
        method = getattr(self._stub, name)
        retry = UnaryRetry(time.monotonic() + (self.timeout if timeout is None else timeout))
        while True:
            attempt = request() if callable(request) else request
            left = retry.deadline - time.monotonic()
            if left <= 0:  # Past already: gRPC would race the answer against it.
                error = deadline_passed(name)
            else:
                try:
                    response = await method(attempt, timeout=left,
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
            await asyncio.sleep(delay)

    async def _paged(self, name, make_request, field, timeout):
        items, token = [], ""
        while True:
            response = await self._unary(name, make_request(token), timeout)
            items.extend(getattr(response, field))
            token = response.next_page_token
            if not token:
                return items

    def _track(self, stream):
        self._streams.add(stream)
        return stream

    def _untrack(self, stream):
        self._streams.discard(stream)

    # ------------------------------------------------------------ streams

    def events(self, after_sequence=0, *, endpoint_id=0, only_new=False,
               progress_interval_ms=0, reconnect=True):
        """As sctpgw.Client.events(): ``async for event in client.events()``;
        ``await stream.start()`` connects and waits for the acknowledgement."""
        if self.liveness == "application" and not progress_interval_ms:
            progress_interval_ms = renewal_progress_interval_ms(self.lease_ms)
        return self._track(EventStream(self, after_sequence, endpoint_id, only_new,
                                       progress_interval_ms, reconnect))

    async def capture(self, association_id=0, *, endpoint_id=0, snap_bytes=0,
                      buffer_messages=0, timeout=None):
        """As sctpgw.Client.capture(): ``async for response in await
        client.capture(...)``; returns once the capture is in force."""
        request = self._capture_request(association_id, endpoint_id, snap_bytes,
                                        buffer_messages)
        call = self._stub.Capture(request, timeout=timeout)
        stream = CaptureStream(call)
        await stream.__anext__()  # sctpgw's first, empty, response.
        return stream

    async def _renew_if_due(self, handled_sequence):
        """As sctpgw.Client's: renews from the task that iterates events."""
        timeout = self._renewal_timeout()
        if timeout is None:
            return
        try:
            await self.renew_lease(handled_sequence, timeout=timeout)
        except SctpgwError as error:
            _log.info("sctpgw lease renewal failed: %s", error)

    def receive_stream(self, association_id=0, *, endpoint_id=0, max_messages=0, max_bytes=0,
                       timeout=None, reconnect=True):
        """As sctpgw.Client.receive_stream(): ``async for batch in ...``, or
        ``async for message in stream.messages()`` for whole messages."""
        return self._track(ReceiveStream(self, association_id, endpoint_id, max_messages,
                                         max_bytes, timeout, reconnect))

    def send_stream(self, association_id=0, *, timeout=None):
        """As sctpgw.Client.send_stream(): ``await stream.send(batch)``,
        ``await stream.finish()``; or ``async with``. Call it from a
        coroutine."""
        return self._track(SendStream(self, association_id, timeout))


class _Stream:
    """What the three streams share: cancellation, and reconnecting."""

    def __init__(self, client, name, reconnect):
        self._client = client
        self._name = name
        self._reconnect = reconnect
        self._retry = StreamRetry()
        self._cancelled = asyncio.Event()
        self._call = None
        self._ended = False
        self.reconnects = 0

    def cancel(self):
        """Ends the stream; an iteration waiting in another task ends too."""
        self._cancelled.set()
        if self._call is not None:
            self._call.cancel()
        self._client._untrack(self)

    close = cancel

    async def _read(self):
        """One response, or (self._call then None) None and the error that
        ended the stream (None: it ended without one, or was cancelled)."""
        try:
            response = await self._call.read()
        except grpc.RpcError as rpc_error:
            self._call = None
            return None, from_rpc_error(rpc_error, self._name)
        except asyncio.CancelledError:
            if not self._cancelled.is_set():
                raise  # The task itself is being cancelled.
            self._call = None
            return None, None
        if response is grpc.aio.EOF:
            self._call = None
            return None, None
        return response, None

    async def _pause(self, error):
        """After the stream broke with `error`: waits before reopening and
        returns True, or returns False when it must not reopen (the error
        is then raised by the caller)."""
        delay = self._retry.delay(error) if self._reconnect else None
        if delay is None:
            return False
        _log.info("sctpgw %s interrupted (%s); reopening in %.2f s", self._name,
                  error or "ended", delay)
        try:
            await asyncio.wait_for(self._cancelled.wait(), delay)
        except asyncio.TimeoutError:
            pass
        self.reconnects += 1
        return True


class EventStream(_Stream):
    """As sctpgw.EventStream, with async for and ``await start()``."""

    def __init__(self, client, after_sequence, endpoint_id, only_new, progress_interval_ms,
                 reconnect):
        super().__init__(client, "WatchEvents", reconnect)
        self._endpoint_id = endpoint_id
        self._only_new = only_new
        self._progress_interval_ms = progress_interval_ms
        self._pending = collections.deque()
        self._acknowledged_once = False
        self.last_sequence = after_sequence
        self.acknowledgement = None
        self.progress = None

    def __aiter__(self):
        return self

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.cancel()

    async def start(self, timeout=None):
        """Connects and waits for the acknowledgement; returns the WatchAck
        or raises why there is none."""
        if self._call is not None and self.acknowledgement is not None:
            return self.acknowledgement
        if self._ended or not self._open():
            raise make_error(grpc.StatusCode.CANCELLED, "", None, "the event stream has ended",
                             self._name)
        call = self._call
        try:
            error = await asyncio.wait_for(self._until_acknowledged(),
                                           self._client.timeout if timeout is None else timeout)
        except asyncio.TimeoutError:
            call.cancel()
            self._call = None
            self._ended = True
            raise make_error(grpc.StatusCode.DEADLINE_EXCEEDED, "", None,
                             "no acknowledgement before the deadline", self._name) from None
        if error is not None:
            self._ended = True
            raise error
        return self.acknowledgement

    async def _until_acknowledged(self):
        while self.acknowledgement is None:
            response, error = await self._read()
            if response is None:
                return error or make_error(grpc.StatusCode.UNAVAILABLE, "", None,
                                           "the event stream ended", self._name)
            self._take(response)
        return None

    async def __anext__(self):
        while True:
            await self._client._renew_if_due(self.last_sequence)
            if self._pending:
                event = self._pending.popleft()
                self.last_sequence = event.sequence
                return event
            if self._ended or self._cancelled.is_set():
                raise StopAsyncIteration
            if self._call is None and not self._open():
                raise StopAsyncIteration
            response, error = await self._read()
            if response is not None:
                self._take(response)
                continue
            if self._cancelled.is_set():
                raise StopAsyncIteration
            if not await self._pause(error):
                self._ended = True
                raise error or make_error(grpc.StatusCode.UNAVAILABLE, "", None,
                                          "the event stream ended", self._name)

    def _open(self):
        if self._cancelled.is_set():
            return False
        # only_new holds until a stream has said where "new" starts; a
        # resume waits for the service to come back rather than failing.
        request = self._client._pb.service.WatchEventsRequest(
            session_id=self._client.session_id, endpoint_id=self._endpoint_id,
            progress_interval_ms=self._progress_interval_ms,
            after_sequence=self.last_sequence,
            only_new=self._only_new and not self._acknowledged_once)
        self._call = self._client._stub.WatchEvents(
            request, wait_for_ready=True if self.reconnects else None)
        self.acknowledgement = None
        return True

    def _take(self, response):
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


class ReceiveStream(_Stream):
    """As sctpgw.ReceiveStream, with async for: lists of InboundMessage;
    messages() is an async generator of whole messages."""

    def __init__(self, client, association_id, endpoint_id, max_messages, max_bytes, timeout,
                 reconnect):
        super().__init__(client, "ReceiveStream", reconnect)
        self._request = client._pb.service.ReceiveRequest(
            session_id=client.session_id, max_messages=max_messages, max_bytes=max_bytes)
        if association_id:
            self._request.association_id = association_id
        else:
            self._request.endpoint_id = endpoint_id
        self._deadline = None if timeout is None else time.monotonic() + timeout

    def __aiter__(self):
        return self

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.cancel()

    async def messages(self, joiner=None):
        """Whole messages, pieces joined by `joiner` (a MessageJoiner)."""
        joiner = joiner or _messages.MessageJoiner()
        async for batch in self:
            for piece in batch:
                whole = joiner.add(piece)
                if whole is not None:
                    yield whole

    async def __anext__(self):
        while True:
            if self._ended or self._cancelled.is_set():
                raise StopAsyncIteration
            if self._call is None:
                timeout = (None if self._deadline is None
                           else max(0.0, self._deadline - time.monotonic()))
                self._call = self._client._stub.ReceiveStream(
                    self._request, timeout=timeout,
                    wait_for_ready=True if self.reconnects else None)
            response, error = await self._read()
            if response is not None:
                self._retry.connected()
                return list(response.messages)
            if error is None or self._cancelled.is_set():
                self._ended = True
                raise StopAsyncIteration
            if not await self._pause(error):
                self._ended = True
                raise error


class SendStream:
    """As sctpgw.SendStream: ``await send(batch)`` waits while sctpgw pushes
    back; ``await finish()`` returns the totals or raises the first error."""

    def __init__(self, client, association_id, timeout):
        self._client = client
        self._association_id = association_id
        self._cancelled = False
        self._error = None
        self.totals = client._pb.service.SendStreamResponse()
        self._call = client._stub.SendStream(timeout=timeout)
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self):
        try:
            while True:
                response = await self._call.read()
                if response is grpc.aio.EOF:
                    return
                self.totals = response
        except grpc.RpcError as rpc_error:
            if not self._cancelled:
                self._error = from_rpc_error(rpc_error, "SendStream")
        except asyncio.CancelledError:
            if not self._cancelled:
                raise

    async def __aenter__(self):
        return self

    async def __aexit__(self, kind, value, traceback):
        if kind is None:
            await self.finish()
        else:
            self.cancel()

    async def send(self, messages, *, association_id=None):
        """Sends a batch after every earlier one; raises the error that
        ended the stream, if it has ended."""
        request = self._client._pb.service.SendRequest(
            session_id=self._client.session_id,
            association_id=self._association_id if association_id is None else association_id,
            messages=[_messages.outbound(item) for item in messages])
        try:
            await self._call.write(request)
            return
        except (grpc.RpcError, asyncio.InvalidStateError):
            pass
        except asyncio.CancelledError:
            if not self._cancelled:
                raise
        await self._settle()
        raise self._ended_error()

    async def finish(self):
        """Half-closes, waits for every batch to be done and returns the
        totals (SendStreamResponse), or raises the first error."""
        if not self._cancelled:
            try:
                await self._call.done_writing()
            except (grpc.RpcError, asyncio.InvalidStateError):
                pass
        await self._settle()
        if self._error is not None or self._cancelled:
            raise self._ended_error()
        return self.totals

    def cancel(self):
        self._cancelled = True
        self._call.cancel()
        self._client._untrack(self)

    close = cancel

    async def _settle(self):
        try:
            await self._reader
        except asyncio.CancelledError:
            if not self._cancelled:
                raise
        self._client._untrack(self)

    def _ended_error(self):
        if self._error is not None:
            return self._error
        if self._cancelled:
            return make_error(grpc.StatusCode.CANCELLED, "", None, "the stream was cancelled",
                              "SendStream")
        return make_error(grpc.StatusCode.UNAVAILABLE, "", None,
                          "the stream ended before its requests were sent", "SendStream")


class CaptureStream:
    """A capture (Client.capture()): ``async for`` yields CaptureResponses;
    cancel() ends it."""

    def __init__(self, call):
        self._call = call
        self._cancelled = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            response = await self._call.read()
        except grpc.RpcError as rpc_error:
            if self._cancelled:
                raise StopAsyncIteration from None
            raise from_rpc_error(rpc_error, "Capture") from None
        if response is grpc.aio.EOF:
            raise StopAsyncIteration
        return response

    def cancel(self):
        self._cancelled = True
        self._call.cancel()
