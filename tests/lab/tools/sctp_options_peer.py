#!/usr/bin/python3
"""An SCTP peer for the socket-option lab tests
(tests/lab/rpc/socket_options_lab_test.cc), written with nothing but
Python's kernel socket module and the socket API's options by number (RFC
6458; Linux's values).

  sctp_options_peer.py [OPTIONS] listen HOST[,HOST...]

binds the first address (the kernel chooses the port), adds the others with
sctp_bindx() (SCTP_SOCKOPT_BINDX_ADD), so that the association has one peer
address per HOST; prints "port N" and accepts one association.

Options, set before the association is set up:
  --rcvbuf BYTES   SO_RCVBUF (the kernel doubles it): a small receive window
  --sndbuf BYTES   SO_SNDBUFFORCE (SO_SNDBUF without CAP_NET_ADMIN): room to
                   send one large message at once
  --hold           read nothing until the command "read" (the receive
                   window closes meanwhile)

Prints "up" once associated, then, from a reader thread, each message as it
arrives:
  "got STREAM PPID LENGTH HASH TEXT"
        HASH: FNV-1a (32 bits, 8 hex digits) of the whole payload; TEXT: its
        first 60 bytes, each byte outside ' '..'~' shown as '?'
  "eof" / "reset"   the association ended (SHUTDOWN / ABORT)
and obeys lines on stdin:
  "send STREAM PPID TEXT"       one message, TEXT as given
  "pattern STREAM PPID LENGTH"  one message of LENGTH bytes, byte I being
                                (31 I + 7) mod 251; prints "sent LENGTH" once
                                the kernel took it
  "read"                        starts reading (after --hold)
  "status ID"                   SCTP_STATUS of the association, as
                                "ID: RWND UNACKED PENDING INSTREAMS OUTSTREAMS
                                FRAGPOINT end ID"; RWND is the window the other
                                side advertises, less what is in flight to it
A send that fails prints "reset". It closes gracefully when stdin ends.
"""
import errno
import socket
import struct
import sys
import threading

IPPROTO_SCTP = 132
# Socket options.
SCTP_INITMSG = 2
SCTP_STATUS = 14
SCTP_RECVRCVINFO = 32
SCTP_SOCKOPT_BINDX_ADD = 100
SO_SNDBUFFORCE = 32
# Control messages.
SCTP_SNDINFO = 2
SCTP_RCVINFO = 3
MSG_NOTIFICATION = 0x8000

# struct sctp_sndinfo { u16 sid; u16 flags; u32 ppid; u32 context; s32 assoc_id; }
SNDINFO = struct.Struct("=HHIIi")
# struct sctp_rcvinfo { u16 sid, ssn, flags; u32 ppid, tsn, cumtsn, context; s32 assoc_id; }
RCVINFO = struct.Struct("@HHHIIIIi")
# struct sctp_status, up to sstat_fragmentation_point.
STATUS = struct.Struct("=iiIHHHHI")

out_lock = threading.Lock()


def say(*words):
    with out_lock:
        print(*words, flush=True)


def fnv1a(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return "%08x" % h


# The pattern has period 251 (prime, so it never lines up with a power of two).
PATTERN_PERIOD = bytes((31 * i + 7) % 251 for i in range(251))


def pattern(length):
    return (PATTERN_PERIOD * (length // 251 + 1))[:length]


def shown(data):
    return "".join(chr(b) if 0x20 <= b <= 0x7E else "?" for b in data[:60])


def sockaddr_in(host, port):
    # struct sockaddr_in, as sctp_bindx() takes it (family in host order).
    return struct.pack("=HH4s8x", socket.AF_INET, socket.htons(port), socket.inet_aton(host))


def reader(sock, start):
    start.wait()
    data = b""
    info = (0, 0)
    try:
        while True:
            chunk, ancillary, flags, _ = sock.recvmsg(1 << 20, socket.CMSG_SPACE(RCVINFO.size))
            if not chunk and not ancillary:
                say("eof")
                return
            if flags & MSG_NOTIFICATION:
                continue
            if not data:  # The first piece's stream and PPID.
                for level, kind, value in ancillary:
                    if level == IPPROTO_SCTP and kind == SCTP_RCVINFO:
                        sid, _ssn, _flags, ppid, *_ = RCVINFO.unpack(value[:RCVINFO.size])
                        info = (sid, socket.ntohl(ppid))
            data += chunk
            if flags & socket.MSG_EOR:
                say("got", info[0], info[1], len(data), fnv1a(data), shown(data))
                data = b""
    except (ConnectionResetError, ConnectionAbortedError):
        say("reset")
    except OSError:
        say("eof")


def send(sock, stream, ppid, payload):
    info = SNDINFO.pack(stream, 0, socket.htonl(ppid), 0, 0)
    sock.sendmsg([payload], [(IPPROTO_SCTP, SCTP_SNDINFO, info)])


def command(sock, words, start):
    try:
        if words[0] == "send":
            send(sock, int(words[1]), int(words[2]), " ".join(words[3:]).encode())
        elif words[0] == "pattern":
            length = int(words[3])
            send(sock, int(words[1]), int(words[2]), pattern(length))
            say("sent", length)
        elif words[0] == "read":
            start.set()
        elif words[0] == "status":
            raw = sock.getsockopt(IPPROTO_SCTP, SCTP_STATUS, 256)
            _assoc, _state, rwnd, unacked, pending, inbound, outbound, frag = (
                STATUS.unpack_from(raw))
            ident = words[1]
            say("%s:" % ident, rwnd, unacked, pending, inbound, outbound, frag, "end", ident)
        else:
            sys.exit("unknown command %r" % " ".join(words))
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        say("reset")
    except OSError as e:
        say("error", errno.errorcode.get(e.errno, e.errno))


def main():
    args = sys.argv[1:]
    rcvbuf = sndbuf = 0
    hold = False
    while args and args[0].startswith("--"):
        option = args.pop(0)
        if option == "--rcvbuf":
            rcvbuf = int(args.pop(0))
        elif option == "--sndbuf":
            sndbuf = int(args.pop(0))
        elif option == "--hold":
            hold = True
        else:
            sys.exit("unknown option %s" % option)
    if len(args) != 2 or args[0] != "listen":
        sys.exit(__doc__)
    hosts = args[1].split(",")

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_SCTP)
    server.setsockopt(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1)
    # 10 outbound, 10 inbound streams.
    server.setsockopt(IPPROTO_SCTP, SCTP_INITMSG, struct.pack("=HHHH", 10, 10, 0, 0))
    if rcvbuf:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if sndbuf:
        try:
            server.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, sndbuf)
        except PermissionError:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    server.bind((hosts[0], 0))
    port = server.getsockname()[1]
    for host in hosts[1:]:
        server.setsockopt(IPPROTO_SCTP, SCTP_SOCKOPT_BINDX_ADD, sockaddr_in(host, port))
    server.listen(1)
    say("port", port)
    sock, _ = server.accept()  # Inherits the options above.
    say("up")

    start = threading.Event()
    if not hold:
        start.set()
    thread = threading.Thread(target=reader, args=(sock, start), daemon=True)
    thread.start()
    for line in sys.stdin:
        words = line.split()
        if words:
            command(sock, words, start)
    start.set()
    sock.close()
    thread.join(timeout=5)


if __name__ == "__main__":
    main()
