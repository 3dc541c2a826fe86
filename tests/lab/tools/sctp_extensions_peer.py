#!/usr/bin/python3
"""An SCTP peer for the extensions' lab tests, written with nothing but
Python's kernel socket module and the socket API's options by number (RFC
6458; Linux's values): stream reconfiguration (RFC 6525), message
interleaving (RFC 8260) and SCTP-AUTH (RFC 4895).

  sctp_extensions_peer.py listen HOST [options]   print "port N", accept one
  sctp_extensions_peer.py connect HOST PORT [options]

Options, set before the association is set up:
  --reconfig          offer stream reconfiguration, allow every request
  --interleave        offer I-DATA (needs net.sctp.intl_enable = 1)
  --auth-key ID:TEXT  a shared key (and the one sent with); offers AUTH
  --auth-chunk N      a chunk type that must arrive authenticated

It prints what it receives as it arrives, from a reader thread:
  "got STREAM PPID TEXT"                a message (TEXT cut at 40 bytes)
  "big STREAM PPID LENGTH"              a message longer than 1000 bytes
  "late STREAM MS"                      a message "t=NANOSECONDS" on STREAM:
                                        how long ago (CLOCK_MONOTONIC) it was sent
  "note stream_reset FLAGS S1,S2"       STREAM_RESET (streams empty: all)
  "note assoc_reset FLAGS"              ASSOC_RESET
  "note stream_change FLAGS IN OUT"     STREAM_CHANGE
  "note auth INDICATION KEY"            AUTHENTICATION
  "eof" / "reset"                       the association ended
and obeys lines on stdin:
  "send STREAM PPID TEXT"   one message
  "reset out|in|both [S...]" SCTP_RESET_STREAMS; prints "ok" or "error ERRNO"
  "reset-assoc"             SCTP_RESET_ASSOC; "ok" or "error ERRNO"
  "add OUT IN"              SCTP_ADD_STREAMS; "ok" or "error ERRNO"
  "streams"                 prints "streams IN OUT" (SCTP_STATUS)
It closes gracefully when stdin ends.
"""
import errno
import socket
import struct
import sys
import threading
import time

IPPROTO_SCTP = 132
# Socket options.
SCTP_STATUS = 14
SCTP_FRAGMENT_INTERLEAVE = 18
SCTP_AUTH_CHUNK = 21
SCTP_AUTH_KEY = 23
SCTP_AUTH_ACTIVE_KEY = 24
SCTP_RECVRCVINFO = 32
SCTP_INITMSG = 2
SCTP_RECONFIG_SUPPORTED = 117
SCTP_ENABLE_STREAM_RESET = 118
SCTP_RESET_STREAMS = 119
SCTP_RESET_ASSOC = 120
SCTP_ADD_STREAMS = 121
SCTP_INTERLEAVING_SUPPORTED = 125
SCTP_EVENT = 127
SCTP_AUTH_SUPPORTED = 129
# Control messages.
SCTP_SNDINFO = 2
SCTP_RCVINFO = 3
MSG_NOTIFICATION = 0x8000
# Notifications.
SCTP_ASSOC_CHANGE = 0x8001
SCTP_AUTHENTICATION_EVENT = 0x8008
SCTP_STREAM_RESET_EVENT = 0x800A
SCTP_ASSOC_RESET_EVENT = 0x800B
SCTP_STREAM_CHANGE_EVENT = 0x800C

SNDINFO = struct.Struct("=HHIIi")
RCVINFO = struct.Struct("@HHHIIIIi")
ASSOC_VALUE = struct.Struct("=iI")

out_lock = threading.Lock()


def say(*words):
    with out_lock:
        print(*words, flush=True)


def set_value(sock, option, value):
    sock.setsockopt(IPPROTO_SCTP, option, ASSOC_VALUE.pack(0, value))


def setup(sock, options):
    sock.setsockopt(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1)
    sock.setsockopt(IPPROTO_SCTP, SCTP_INITMSG, struct.pack("=HHHH", 10, 10, 0, 0))
    for kind in (SCTP_AUTHENTICATION_EVENT, SCTP_STREAM_RESET_EVENT, SCTP_ASSOC_RESET_EVENT,
                 SCTP_STREAM_CHANGE_EVENT):
        sock.setsockopt(IPPROTO_SCTP, SCTP_EVENT, struct.pack("=iHBx", 0, kind, 1))
    if options["reconfig"]:
        set_value(sock, SCTP_RECONFIG_SUPPORTED, 1)
        set_value(sock, SCTP_ENABLE_STREAM_RESET, 7)
    if options["interleave"]:
        sock.setsockopt(IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, 2)
        set_value(sock, SCTP_INTERLEAVING_SUPPORTED, 1)
    if options["keys"] or options["chunks"]:
        set_value(sock, SCTP_AUTH_SUPPORTED, 1)
    for chunk in options["chunks"]:
        sock.setsockopt(IPPROTO_SCTP, SCTP_AUTH_CHUNK, struct.pack("B", chunk))
    for key_id, secret in options["keys"]:
        sock.setsockopt(IPPROTO_SCTP, SCTP_AUTH_KEY,
                        struct.pack("=iHH", 0, key_id, len(secret)) + secret)
        sock.setsockopt(IPPROTO_SCTP, SCTP_AUTH_ACTIVE_KEY, struct.pack("=iHxx", 0, key_id))


def note(data):
    kind, flags, _length = struct.unpack_from("=HHI", data)
    if kind == SCTP_STREAM_RESET_EVENT:
        count = (len(data) - 12) // 2
        streams = struct.unpack_from("=%dH" % count, data, 12)
        say("note stream_reset", flags, ",".join(str(s) for s in streams))
    elif kind == SCTP_ASSOC_RESET_EVENT:
        say("note assoc_reset", flags)
    elif kind == SCTP_STREAM_CHANGE_EVENT:
        inbound, outbound = struct.unpack_from("=HH", data, 12)
        say("note stream_change", flags, inbound, outbound)
    elif kind == SCTP_AUTHENTICATION_EVENT:
        key, _alt, indication = struct.unpack_from("=HHI", data, 8)
        say("note auth", indication, key)


def deliver(stream, ppid, data):
    if data.startswith(b"t="):
        sent = int(data[2:].split(b"|")[0])
        late = (time.clock_gettime_ns(time.CLOCK_MONOTONIC) - sent) / 1e6
        say("late", stream, "%.3f" % late)
    elif len(data) > 1000:
        say("big", stream, ppid, len(data))
    else:
        say("got", stream, ppid, data[:40].decode(errors="replace"))


def reader(sock):
    # Pieces of messages of several streams may arrive in turn (I-DATA):
    # joined per stream and ordering.
    pending = {}
    notification = b""
    try:
        while True:
            chunk, ancillary, flags, _ = sock.recvmsg(1 << 16, socket.CMSG_SPACE(RCVINFO.size))
            if not chunk and not ancillary:
                say("eof")
                return
            if flags & MSG_NOTIFICATION:
                notification += chunk
                if flags & socket.MSG_EOR:
                    note(notification)
                    notification = b""
                continue
            key, ppid = (0, 0), 0
            for level, kind, value in ancillary:
                if level == IPPROTO_SCTP and kind == SCTP_RCVINFO:
                    sid, _ssn, rflags, raw_ppid, *_ = RCVINFO.unpack(value[:RCVINFO.size])
                    key, ppid = (sid, rflags & 1), socket.ntohl(raw_ppid)
            # The PPID is the first piece's (later pieces of an I-DATA
            # message may not carry it).
            first_ppid, data = pending.get(key, (ppid, b""))
            pending[key] = (first_ppid, data + chunk)
            if flags & socket.MSG_EOR:
                first_ppid, data = pending.pop(key)
                deliver(key[0], first_ppid, data)
    except ConnectionResetError:
        say("reset")
    except OSError:
        say("eof")


def command(sock, words):
    try:
        if words[0] == "send":
            stream, ppid = int(words[1]), int(words[2])
            text = " ".join(words[3:]).encode()
            info = SNDINFO.pack(stream, 0, socket.htonl(ppid), 0, 0)
            sock.sendmsg([text], [(IPPROTO_SCTP, SCTP_SNDINFO, info)])
            return
        if words[0] == "reset":
            flags = {"in": 1, "out": 2, "both": 3}[words[1]]
            streams = [int(w) for w in words[2:]]
            raw = struct.pack("=iHH", 0, flags, len(streams)) + struct.pack(
                "=%dH" % len(streams), *streams)
            sock.setsockopt(IPPROTO_SCTP, SCTP_RESET_STREAMS, raw)
        elif words[0] == "reset-assoc":
            sock.setsockopt(IPPROTO_SCTP, SCTP_RESET_ASSOC, struct.pack("=i", 0))
        elif words[0] == "add":
            sock.setsockopt(IPPROTO_SCTP, SCTP_ADD_STREAMS,
                            struct.pack("=iHH", 0, int(words[2]), int(words[1])))
        elif words[0] == "streams":
            raw = sock.getsockopt(IPPROTO_SCTP, SCTP_STATUS, 256)
            _assoc, _state, _rwnd, _unacked, _pending, inbound, outbound = struct.unpack_from(
                "=iiIHHHH", raw)
            say("streams", inbound, outbound)
            return
        say("ok")
    except OSError as e:
        say("error", errno.errorcode.get(e.errno, e.errno))


def main():
    args = sys.argv[1:]
    mode, host = args[0], args[1]
    rest = args[3:] if mode == "connect" else args[2:]
    options = {"reconfig": False, "interleave": False, "keys": [], "chunks": []}
    i = 0
    while i < len(rest):
        if rest[i] == "--reconfig":
            options["reconfig"] = True
        elif rest[i] == "--interleave":
            options["interleave"] = True
        elif rest[i] == "--auth-key":
            i += 1
            key_id, secret = rest[i].split(":", 1)
            options["keys"].append((int(key_id), secret.encode()))
        elif rest[i] == "--auth-chunk":
            i += 1
            options["chunks"].append(int(rest[i]))
        i += 1
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if mode == "connect":
        sock = socket.socket(family, socket.SOCK_STREAM, IPPROTO_SCTP)
        setup(sock, options)
        sock.connect((host, int(args[2])))
    else:
        server = socket.socket(family, socket.SOCK_STREAM, IPPROTO_SCTP)
        setup(server, options)
        server.bind((host, 0))
        server.listen(1)
        say("port", server.getsockname()[1])
        sock, _ = server.accept()
    say("up")
    thread = threading.Thread(target=reader, args=(sock,), daemon=True)
    thread.start()
    for line in sys.stdin:
        words = line.split()
        if words:
            command(sock, words)
    sock.close()
    thread.join(timeout=5)


if __name__ == "__main__":
    main()
