"""The typed calls, written once for both clients.

Each method builds its request and hands it to ``self._unary`` (or
``self._paged``), which sctpgw.Client runs at once and sctpgw.aio.Client as
a coroutine: the same method then returns the result, or an awaitable of
it. Both transports share the retry policy below.
"""
import time

import grpc

from . import messages as _messages
from .errors import make_error

# The service's keepalive policy (docs/api.md, Sessions): pings every 10 s,
# answered within 5 s, allowed without calls in flight. Responses may carry
# up to 4 MiB of payload (Receive's max_bytes) plus their framing.
CHANNEL_OPTIONS = (
    ("grpc.keepalive_time_ms", 10000),
    ("grpc.keepalive_timeout_ms", 5000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.max_receive_message_length", 8 * 1024 * 1024),
)
DEFAULT_TARGET = "unix:/run/sctpgw/sctpgw.sock"


def channel_options(extra):
    """CHANNEL_OPTIONS with the application's own (which win)."""
    options = dict(CHANNEL_OPTIONS)
    options.update(dict(extra))
    return list(options.items())


DEFAULT_TIMEOUT = 10.0  # seconds: the deadline of a call given none

# What keeps a session alive (OpenSessionRequest.liveness): "connection" (an
# open stream holds it; any call renews it) or "application" (only
# RenewLease, which the event stream makes from the loop that iterates it,
# at least every lease / 3).
LIVENESS = ("connection", "application")


def liveness_value(service, liveness):
    """The SessionLiveness enum value of "connection" or "application"."""
    if liveness not in LIVENESS:
        raise ValueError(f"liveness must be one of {LIVENESS}, not {liveness!r}")
    return (service.SESSION_LIVENESS_APPLICATION if liveness == "application"
            else service.SESSION_LIVENESS_CONNECTION)


def renewal_progress_interval_ms(lease_ms):
    """The event stream's progress interval under application liveness: a
    chance to renew every lease / 3 even when no events come."""
    return max(1000, (lease_ms or 0) // 3)

# A unary call answered HANDED_OVER is made again, waiting for the new
# process, within its deadline: after 20 ms, doubling up to 200 ms.
FIRST_HANDOVER_RETRY = 0.02
MAX_HANDOVER_RETRY = 0.2
# A broken event or receive stream reconnects after 100 ms, doubling up to
# 5 s (back to 100 ms once a stream is up again); after HANDED_OVER at once.
FIRST_BACKOFF = 0.1
MAX_BACKOFF = 5.0

# Codes on which a stream is opened again rather than ended with an error:
# the service went away (restart, handover, network), not the request.
_TRANSIENT = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
                        grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL,
                        grpc.StatusCode.ABORTED})


def deadline_passed(name):
    """The error of a call whose deadline passed before it could be made."""
    return make_error(grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", None,
                      "the deadline passed before the call was made", name)


class UnaryRetry:
    """When to make a unary call again: answered HANDED_OVER (a new sctpgw
    process took over; the call did nothing more than its error says), or
    CANCELLED on a retry (the old process closing its connections), while
    the deadline leaves time."""

    def __init__(self, deadline):
        self.deadline = deadline
        self.retrying = False
        self._backoff = FIRST_HANDOVER_RETRY

    def delay(self, error):
        """Seconds to wait before the next attempt, or None: give up."""
        again = error.handed_over or (self.retrying and error.code == grpc.StatusCode.CANCELLED)
        if not again or time.monotonic() + self._backoff >= self.deadline:
            return None
        delay, self._backoff = self._backoff, min(self._backoff * 2, MAX_HANDOVER_RETRY)
        self.retrying = True
        return delay


class StreamRetry:
    """When a long-lived stream (events, received messages) is opened again."""

    def __init__(self):
        self._backoff = FIRST_BACKOFF
        self._handing_over = False

    def connected(self):
        self._backoff = FIRST_BACKOFF

    def delay(self, error):
        """Seconds to wait before reopening after `error` (None: the stream
        ended without one), or None when the error is final."""
        if error is not None and error.code not in _TRANSIENT:
            return None
        # A handover is brief; its CANCELLED is the old process closing.
        self._handing_over = error is not None and (
            error.handed_over or (self._handing_over and error.code == grpc.StatusCode.CANCELLED))
        if self._handing_over:
            return FIRST_HANDOVER_RETRY
        delay, self._backoff = self._backoff, min(self._backoff * 2, MAX_BACKOFF)
        return delay


def _addresses(value):
    return [value] if isinstance(value, str) else list(value)


def _init(service, streams, init):
    """InitOptions from `init` (None, a dict or a message, left as it is)
    with `streams` as the stream counts it leaves at 0; None if neither."""
    given = _messages.nested(service.InitOptions, init)
    if given is None and not streams:
        return None
    options = service.InitOptions()
    if given is not None:
        options.CopyFrom(given)
    options.outbound_streams = options.outbound_streams or streams
    options.max_inbound_streams = options.max_inbound_streams or streams
    return options


class Calls:
    """Every GatewayService call but the streams, typed. Subclasses provide
    _unary, _paged, _pb (the stubs), session_id and timeout; liveness,
    lease_ms, _clock and _last_renewal for renewals."""

    # ------------------------------------------------------------ shared

    def _renewal_timeout(self):
        """Under application liveness, when a third of the lease has passed
        since the last renewal: the timeout (seconds) of the renewal to make
        now, counted as made from this attempt (one failure leaves two
        chances). Otherwise None."""
        if self.liveness != "application" or not self.lease_ms:
            return None
        interval = self.lease_ms / 3000
        now = self._clock()
        if now - self._last_renewal < interval:
            return None
        self._last_renewal = now
        return min(self.timeout, interval)

    def _capture_request(self, association_id, endpoint_id, snap_bytes, buffer_messages):
        """The CaptureRequest of one association, one endpoint's, or (neither)
        the whole session's."""
        request = self._pb.service.CaptureRequest(session_id=self.session_id,
                                                  snap_bytes=snap_bytes,
                                                  buffer_messages=buffer_messages)
        if association_id:
            request.association_id = association_id
        elif endpoint_id:
            request.endpoint_id = endpoint_id
        return request

    # ------------------------------------------------------------ endpoints

    def renew_lease(self, handled_sequence=0, *, timeout=None):
        """Renews the session's lease (RenewLease), saying the last event
        sequence handled; returns the RenewLeaseResponse. A session opened
        with liveness="application" is renewed by nothing else: the event
        stream does it from the loop that iterates it (see Client)."""
        return self._unary("RenewLease", self._pb.service.RenewLeaseRequest(
            session_id=self.session_id, handled_sequence=handled_sequence), timeout)

    def open_endpoint(self, local_addresses, port=0, *, listen=False, backlog=0, streams=0,
                      init=None, path_parameters=None, address_reconfiguration=False,
                      udp_encapsulation_port=0, stream_reconfiguration=None,
                      interleaving=False, stream_scheduler=None, auth=None,
                      socket_settings=None, oversized_messages=None, timeout=None):
        """Opens an endpoint (OpenEndpoint) and returns its Endpoint, with
        the port the kernel chose and socket_settings as the kernel has them.

        local_addresses: one numeric address or several (multi-homed);
        "0.0.0.0" or "::" for every address. port: 0 = the kernel chooses.
        streams: outbound and maximum inbound streams (sets init's two
        stream counts). The other keywords are OpenEndpointRequest's fields:
        init (InitOptions), path_parameters (PathParameters),
        stream_reconfiguration (e.g. {"reset_streams": True}), auth
        (AuthOptions, True, or {"chunk_types": [0], "keys": {1: b"secret"},
        "active_key_id": 1}), socket_settings (e.g. {"cookie_life_ms": 30000,
        "bundle_messages": True}), stream_scheduler ("priority", ...),
        oversized_messages ("deliver_in_pieces" or "abort"); docs/api.md.
        """
        service, types = self._pb.service, self._pb.types
        request = service.OpenEndpointRequest(
            session_id=self.session_id, local_addresses=_addresses(local_addresses), port=port,
            listen=listen, backlog=backlog, address_reconfiguration=address_reconfiguration,
            udp_encapsulation_port=udp_encapsulation_port, interleaving=interleaving,
            stream_scheduler=_messages.enum_value(types.StreamScheduler, stream_scheduler,
                                                  "STREAM_SCHEDULER_"),
            oversized_messages=_messages.enum_value(types.OversizedMessages, oversized_messages,
                                                    "OVERSIZED_MESSAGES_"),
            init=_init(service, streams, init),
            path_parameters=_messages.nested(service.PathParameters, path_parameters),
            stream_reconfiguration=_messages.nested(service.StreamReconfiguration,
                                                    stream_reconfiguration),
            auth=_messages.auth_options(auth),
            socket_settings=_messages.nested(types.SocketSettings, socket_settings))
        return self._unary("OpenEndpoint", request, timeout, lambda response: response.endpoint)

    def close_endpoint(self, endpoint_id, abort=False, *, timeout=None):
        """Closes an endpoint and its associations (gracefully, or by ABORT)."""
        request = self._pb.service.CloseEndpointRequest(
            session_id=self.session_id, endpoint_id=endpoint_id, abort=abort)
        return self._unary("CloseEndpoint", request, timeout, _nothing)

    def list_endpoints(self, *, timeout=None):
        """The session's endpoints, every page (each page its own deadline)."""
        service = self._pb.service
        return self._paged("ListEndpoints", lambda token: service.ListEndpointsRequest(
            session_id=self.session_id, page_token=token), "endpoints", timeout)

    def update_endpoint_addresses(self, endpoint_id, add=(), remove=(), *, timeout=None):
        """Adds and removes local addresses of a live endpoint; returns the
        Endpoint as it is then."""
        request = self._pb.service.UpdateEndpointAddressesRequest(
            session_id=self.session_id, endpoint_id=endpoint_id,
            add_addresses=_addresses(add), remove_addresses=_addresses(remove))
        return self._unary("UpdateEndpointAddresses", request, timeout,
                           lambda response: response.endpoint)

    # --------------------------------------------------------- associations

    def associate(self, endpoint_id, peer_addresses, peer_port, *, streams=0, init=None,
                  timeout=None):
        """Sets up an association and returns it (Association) once up.

        peer_addresses: one numeric address or several (a multi-homed
        peer). streams: outbound and maximum inbound streams. init:
        InitOptions or a dict of outbound_streams, max_inbound_streams,
        max_init_attempts, max_init_timeout_ms (0 keeps the endpoint's).
        Fails with Unavailable / ASSOCIATE_FAILED when the peer refuses or
        cannot be reached; when the deadline passes first nothing is left.
        """
        service = self._pb.service
        request = service.AssociateRequest(
            session_id=self.session_id, endpoint_id=endpoint_id,
            peer_addresses=_addresses(peer_addresses), peer_port=peer_port,
            init=_init(service, streams, init))
        return self._unary("Associate", request, timeout, lambda response: response.association)

    def send(self, association_id, payload, *, stream=0, ppid=0, unordered=False,
             lifetime_ms=0, max_retransmissions=None, priority=None, peer_address="",
             context=0, timeout=None):
        """Sends one message; returns 1 once the kernel has accepted it.
        Options as in sctpgw.message()."""
        outbound = _messages.message(
            payload, stream=stream, ppid=ppid, unordered=unordered, lifetime_ms=lifetime_ms,
            max_retransmissions=max_retransmissions, priority=priority,
            peer_address=peer_address, context=context)
        return self.send_batch(association_id, [outbound], timeout=timeout)

    def send_batch(self, association_id, messages, *, timeout=None):
        """Sends messages in order (OutboundMessages from sctpgw.message(),
        or payloads with the default options); returns how many the kernel
        accepted: all of them. After HANDED_OVER only those not accepted go
        again; a final error's metadata "accepted_messages" counts every
        attempt's, so that the caller knows what not to send again."""
        batch = [_messages.outbound(item) for item in messages]
        service = self._pb.service
        accepted = [0]

        def request():
            return service.SendRequest(session_id=self.session_id, association_id=association_id,
                                       messages=batch[accepted[0]:])

        def done(response):
            accepted[0] += response.accepted_messages
            return accepted[0]

        def failed(error):
            taken = error.metadata.get("accepted_messages")
            if taken is not None and taken.isdigit():
                accepted[0] += min(int(taken), len(batch) - accepted[0])
            if accepted[0] or taken is not None:
                error.metadata["accepted_messages"] = str(accepted[0])

        return self._unary("Send", request, timeout, done, on_error=failed)

    def receive(self, association_id, *, max_messages=0, max_bytes=0, timeout=None):
        """Waits up to the deadline for the next messages of an association
        and returns them (a list of InboundMessage; empty when none came in
        time). A message above sctpgw's max_message_bytes comes in pieces:
        see MessageJoiner."""
        request = self._pb.service.ReceiveRequest(
            session_id=self.session_id, association_id=association_id,
            max_messages=max_messages, max_bytes=max_bytes)
        return self._unary("Receive", request, timeout, _message_list, on_deadline=list)

    def receive_from_endpoint(self, endpoint_id, *, max_messages=0, max_bytes=0, timeout=None):
        """As receive(), from any association of an endpoint."""
        request = self._pb.service.ReceiveRequest(
            session_id=self.session_id, endpoint_id=endpoint_id,
            max_messages=max_messages, max_bytes=max_bytes)
        return self._unary("Receive", request, timeout, _message_list, on_deadline=list)

    def shutdown(self, association_id, *, timeout=None):
        """Ends an association gracefully; returns on SHUTDOWN_COMP."""
        return self._end(association_id, "SHUTDOWN_MODE_GRACEFUL", "", timeout)

    def abort(self, association_id, reason="", *, timeout=None):
        """Ends an association by ABORT, with a reason for the peer."""
        return self._end(association_id, "SHUTDOWN_MODE_ABORT", reason, timeout)

    def _end(self, association_id, mode, reason, timeout):
        service = self._pb.service
        request = service.ShutdownRequest(
            session_id=self.session_id, association_id=association_id,
            mode=service.ShutdownMode.Value(mode), abort_reason=reason)
        return self._unary("Shutdown", request, timeout, _nothing)

    def list_associations(self, endpoint_id=0, *, timeout=None):
        """The session's associations (of one endpoint, or all), every page."""
        service = self._pb.service
        return self._paged("ListAssociations", lambda token: service.ListAssociationsRequest(
            session_id=self.session_id, endpoint_id=endpoint_id, page_token=token),
            "associations", timeout)

    def get_association(self, association_id, streams=(), *, timeout=None):
        """GetAssociationResponse: the association, its SCTP_STATUS, every
        path, timers, stream settings, AUTH, statistics and PR-SCTP counters
        (with `streams`, also those outbound streams')."""
        request = self._pb.service.GetAssociationRequest(
            session_id=self.session_id, association_id=association_id, streams=list(streams))
        return self._unary("GetAssociation", request, timeout)

    # ---------------------------------------------------------------- paths

    def set_primary_path(self, association_id, peer_address, *, timeout=None):
        """Makes one of the peer's addresses the primary path."""
        request = self._pb.service.SetPrimaryPathRequest(
            session_id=self.session_id, association_id=association_id, peer_address=peer_address)
        return self._unary("SetPrimaryPath", request, timeout, _nothing)

    def request_peer_primary_path(self, association_id, local_address, *, timeout=None):
        """Asks the peer to send to one of this side's addresses (ASCONF)."""
        request = self._pb.service.RequestPeerPrimaryPathRequest(
            session_id=self.session_id, association_id=association_id,
            local_address=local_address)
        return self._unary("RequestPeerPrimaryPath", request, timeout, _nothing)

    def configure_paths(self, association_id, parameters=None, *, peer_address="",
                        timeout=None, **fields):
        """Changes an association's timers and thresholds, or with
        peer_address one path's; returns the ConfigurePathsResponse (what is
        in force). parameters: PathParameters or a dict; or its fields as
        keywords: configure_paths(a, rto_min_ms=100, heartbeat_interval_ms=500)."""
        service = self._pb.service
        merged = service.PathParameters()
        if parameters is not None:
            merged.CopyFrom(_messages.nested(service.PathParameters, parameters))
        if fields:
            merged.MergeFrom(service.PathParameters(**fields))
        request = service.ConfigurePathsRequest(
            session_id=self.session_id, association_id=association_id, parameters=merged,
            peer_address=peer_address)
        return self._unary("ConfigurePaths", request, timeout)

    def request_heartbeat(self, association_id, peer_address="", *, timeout=None):
        """Sends a HEARTBEAT now to one peer address, or to every one."""
        request = self._pb.service.RequestHeartbeatRequest(
            session_id=self.session_id, association_id=association_id, peer_address=peer_address)
        return self._unary("RequestHeartbeat", request, timeout, _nothing)

    # ------------------------------------------------------- SCTP extensions

    def reset_streams(self, association_id, direction="outgoing", streams=(), *, timeout=None):
        """Resets streams (RFC 6525): direction "outgoing", "incoming" or
        "both"; streams empty: every one. The peer's answer is a
        STREAM_RESET event."""
        service = self._pb.service
        request = service.ResetStreamsRequest(
            session_id=self.session_id, association_id=association_id,
            direction=_messages.enum_value(service.StreamResetDirection, direction,
                                           "STREAM_RESET_DIRECTION_"),
            streams=list(streams))
        return self._unary("ResetStreams", request, timeout, _nothing)

    def reset_association(self, association_id, *, timeout=None):
        """Resets the association's TSNs and every stream (RFC 6525)."""
        request = self._pb.service.ResetAssociationRequest(
            session_id=self.session_id, association_id=association_id)
        return self._unary("ResetAssociation", request, timeout, _nothing)

    def add_streams(self, association_id, outbound=0, inbound=0, *, timeout=None):
        """Adds streams in each direction (RFC 6525); STREAM_CHANGE follows."""
        request = self._pb.service.AddStreamsRequest(
            session_id=self.session_id, association_id=association_id, outbound=outbound,
            inbound=inbound)
        return self._unary("AddStreams", request, timeout, _nothing)

    def configure_streams(self, association_id, scheduler=None, values=None, *, timeout=None):
        """The stream scheduler (None keeps it) and stream priorities or
        weights: values as {stream: value} or (stream, value) pairs. Returns
        the ConfigureStreamsResponse (what is in force)."""
        service, types = self._pb.service, self._pb.types
        pairs = values.items() if isinstance(values, dict) else (values or ())
        request = service.ConfigureStreamsRequest(
            session_id=self.session_id, association_id=association_id,
            scheduler=_messages.enum_value(types.StreamScheduler, scheduler,
                                           "STREAM_SCHEDULER_"),
            values=[pair if isinstance(pair, service.StreamValue)
                    else service.StreamValue(stream=pair[0], value=pair[1]) for pair in pairs])
        return self._unary("ConfigureStreams", request, timeout)

    def change_auth_key(self, action, key_id, *, endpoint_id=0, association_id=0, secret=b"",
                        timeout=None):
        """SCTP-AUTH keys of an endpoint or of one association (exactly one of
        endpoint_id, association_id): action "add" (with secret),
        "activate", "deactivate" or "delete"."""
        service = self._pb.service
        request = service.ChangeAuthKeyRequest(
            session_id=self.session_id, endpoint_id=endpoint_id, association_id=association_id,
            action=_messages.enum_value(service.AuthKeyAction, action, "AUTH_KEY_ACTION_"),
            key_id=key_id, secret=_messages.payload_bytes(secret))
        return self._unary("ChangeAuthKey", request, timeout, _nothing)

    # -------------------------------------------------------------- service

    def service_status(self, *, timeout=None):
        """GetServiceStatusResponse: version, state, how it started, what it
        holds. Needs no session."""
        return self._unary("GetServiceStatus", self._pb.service.GetServiceStatusRequest(),
                           timeout)


def _nothing(response):
    return None


def _message_list(response):
    return list(response.messages)
