"""Building requests' parts: outbound messages, enum values by name, nested
messages from dicts; and joining messages that arrive in pieces.

The rule throughout the library: a keyword argument named after a field of
the request takes what the field takes; a nested message may also be given
as a dict of its fields (``init={"outbound_streams": 8}``), an enum as its
value name with or without the enum's prefix (``stream_scheduler="priority"``
or ``"STREAM_SCHEDULER_PRIORITY"``) or as its number.
"""
from . import _stubs

# Pieces of one message may come to this much before the joiner refuses
# them (MessageTooLarge): a peer could otherwise send a message without end.
DEFAULT_MAX_JOINED_BYTES = 64 * 1024 * 1024


def payload_bytes(payload):
    """bytes for a payload given as bytes, bytearray, memoryview or str
    (encoded as UTF-8)."""
    if isinstance(payload, str):
        return payload.encode()
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    raise TypeError(f"a payload is bytes or str, not {type(payload).__name__}")


def message(payload, *, stream=0, ppid=0, unordered=False, lifetime_ms=0,
            max_retransmissions=None, priority=None, peer_address="", context=0):
    """An OutboundMessage, for send_batch and send streams.

    stream, ppid (host byte order), unordered; at most one PR-SCTP policy of
    lifetime_ms (0 = reliable), max_retransmissions and priority (None =
    unset); peer_address to send to that peer address instead of the primary
    path; context, returned in a SEND_FAILED event. docs/api.md says what
    each does.
    """
    outbound = _stubs.load().service.OutboundMessage(
        payload=payload_bytes(payload), stream=stream, ppid=ppid, unordered=unordered,
        lifetime_ms=lifetime_ms, peer_address=peer_address, context=context)
    if max_retransmissions is not None:
        outbound.max_retransmissions = max_retransmissions
    if priority is not None:
        outbound.priority = priority
    return outbound


def outbound(item):
    """An OutboundMessage from one, or from a payload (default options)."""
    if isinstance(item, _stubs.load().service.OutboundMessage):
        return item
    return message(item)


def reply_options(inbound):
    """The stream, PPID and ordering of a received message, as keyword
    arguments for send() or message(): ``client.send(a, data,
    **reply_options(received))``."""
    return {"stream": inbound.stream, "ppid": inbound.ppid, "unordered": inbound.unordered}


def enum_value(enum, value, prefix):
    """The number of an enum value given as a number, or as its name with or
    without `prefix` (any case). None is 0 (unspecified)."""
    if value is None:
        return 0
    if isinstance(value, str):
        name = value.upper()
        if not name.startswith(prefix):
            name = prefix + name
        try:
            return enum.Value(name)
        except ValueError:
            names = ", ".join(n.removeprefix(prefix) for n in enum.keys())
            raise ValueError(f"{value!r} is none of {names}") from None
    return int(value)


def nested(message_class, value):
    """A message of message_class from one, or from a dict of its fields;
    None stays None."""
    if value is None or isinstance(value, message_class):
        return value
    if isinstance(value, dict):
        return message_class(**value)
    raise TypeError(f"{message_class.DESCRIPTOR.name} is given as a dict or a message, "
                    f"not {type(value).__name__}")


def auth_options(value):
    """AuthOptions from one, True (offered, no keys), or a dict whose "keys"
    may also be a dict of key id to secret."""
    service = _stubs.load().service
    if value is True:
        return service.AuthOptions(enabled=True)
    if isinstance(value, dict) and isinstance(value.get("keys"), dict):
        value = dict(value, keys=[{"key_id": key_id, "secret": payload_bytes(secret)}
                                  for key_id, secret in value["keys"].items()])
    return nested(service.AuthOptions, value)


class IncompleteMessage(ValueError):
    """A piece that does not continue what was gathered for its association,
    stream and ordering (e.g. receiving began in the middle of a message)."""

    def __init__(self, text, piece):
        super().__init__(text)
        self.piece = piece


class MessageTooLarge(ValueError):
    """The pieces of one message exceed the joiner's max_message_bytes."""


class MessageJoiner:
    """Joins InboundMessages delivered in pieces (docs/api.md, "Large
    incoming messages"): pieces of one message come in order, with
    `offset` their place in it and `more_follows` on all but the last;
    messages of other associations, streams or ordering may come between.

        joiner = MessageJoiner()
        for piece in client.receive(association_id):
            whole = joiner.add(piece)
            if whole is not None: ...

    add() returns each whole message (a message not in pieces at once, as
    it is) and None while a message is incomplete; it raises
    IncompleteMessage for a piece that does not continue its message (the
    gathered part is dropped) and MessageTooLarge past max_message_bytes.
    """

    def __init__(self, max_message_bytes=DEFAULT_MAX_JOINED_BYTES):
        self.max_message_bytes = max_message_bytes
        self._partial = {}  # (association, stream, unordered) -> [first piece, payloads, size]

    def add(self, piece):
        key = (piece.association_id, piece.stream, piece.unordered)
        gathered = self._partial.get(key)
        if piece.offset == 0 and not piece.more_follows and gathered is None:
            return piece
        if piece.offset == 0:
            if gathered is not None:
                del self._partial[key]
                raise IncompleteMessage(
                    f"association {piece.association_id} stream {piece.stream}: a new message "
                    f"began after {gathered[2]} bytes of one whose last piece never came", piece)
            gathered = self._partial[key] = [piece, [], 0]
        elif gathered is None or gathered[2] != piece.offset:
            self._partial.pop(key, None)
            have = 0 if gathered is None else gathered[2]
            raise IncompleteMessage(
                f"association {piece.association_id} stream {piece.stream}: a piece at offset "
                f"{piece.offset} after {have} bytes of its message", piece)
        gathered[1].append(piece.payload)
        gathered[2] += len(piece.payload)
        if gathered[2] > self.max_message_bytes:
            del self._partial[key]
            raise MessageTooLarge(
                f"association {piece.association_id} stream {piece.stream}: a message above "
                f"{self.max_message_bytes} bytes")
        if piece.more_follows:
            return None
        del self._partial[key]
        whole = type(piece)()
        whole.CopyFrom(gathered[0])
        whole.payload = b"".join(gathered[1])
        whole.more_follows = False
        whole.offset = 0
        return whole

    def pending(self):
        """How many messages are partly gathered."""
        return len(self._partial)

    def discard(self, association_id=None):
        """Drops what was gathered (of one association, or of all): after its
        end, or before receiving anew."""
        for key in [k for k in self._partial if association_id in (None, k[0])]:
            del self._partial[key]

    def join(self, messages):
        """Generator: the whole messages of an iterable of InboundMessages
        and/or of lists of them (as ReceiveStream yields)."""
        for item in messages:
            for piece in (item if isinstance(item, (list, tuple)) else (item,)):
                whole = self.add(piece)
                if whole is not None:
                    yield whole
