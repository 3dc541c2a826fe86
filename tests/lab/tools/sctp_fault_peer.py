#!/usr/bin/python3
"""A scripted SCTP peer for fault tests, written with nothing but Python's
kernel socket module: stream and PPID per message with SCTP_SNDINFO, read
back with SCTP_RCVINFO (RFC 6458).

  sctp_fault_peer.py [OPTIONS] listen HOST [PORT]
        listen on HOST (PORT 0 or none: any), print "port N", accept one
  sctp_fault_peer.py [OPTIONS] connect HOST PORT
        print "connecting" (bound, about to send INIT), associate to
        HOST:PORT ("refused" and exit 0 if it cannot)

Options:
  --local HOST:PORT  bind to this address and port before connecting
  --abortive-close   SO_LINGER 0: any close of the socket, the death of the
                     process included, ends the association with ABORT and
                     drops this side's state at once
  --rcvbuf BYTES     SO_RCVBUF (the kernel doubles it): a small receive
                     window, which closes soon when nothing is read

Prints "up" once the association is up, then runs the commands read from
stdin, one a line:

  send COUNT STREAMS TAG SIZE
        sends COUNT numbered messages: message I goes on stream I % STREAMS
        with PPID I and payload "TAG-I-" padded with "." to SIZE bytes;
        then prints "sent COUNT"
  recv COUNT
        receives COUNT messages in the background (sends go on meanwhile),
        printing each as "got STREAM PPID LENGTH TEXT", TEXT being the
        payload without its trailing "." padding (so that any other byte
        there shows), then "received COUNT"
  wait  waits for the background receive to finish
  abort ABORTs the association (SO_LINGER 0, then close: a one-to-one
        socket cannot send SCTP_ABORT), prints "aborted" and exits; only
        while no background receive is running

When stdin ends it waits for the background receive and closes gracefully.
If the association ends while receiving it prints "eof" (the other side
shut down) or "reset" (ABORT); a send that fails prints "reset"; either way
it then exits 0.
"""
import socket
import struct
import sys
import threading

IPPROTO_SCTP = 132
SCTP_RECVRCVINFO = 32   # sockopt
SCTP_SNDINFO = 2        # cmsg type
SCTP_RCVINFO = 3        # cmsg type
SCTP_INITMSG = 2        # sockopt
MSG_NOTIFICATION = 0x8000

# struct sctp_sndinfo { u16 sid; u16 flags; u32 ppid; u32 context; s32 assoc_id; }
SNDINFO = struct.Struct("=HHIIi")
# struct sctp_rcvinfo { u16 sid, ssn, flags; u32 ppid, tsn, cumtsn, context; s32 assoc_id; }
RCVINFO = struct.Struct("@HHHIIIIi")

output = threading.Lock()


def say(*words):
    with output:
        print(*words, flush=True)


def setup(sock, abortive_close, rcvbuf):
    sock.setsockopt(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    # 10 outbound, 10 inbound streams.
    sock.setsockopt(IPPROTO_SCTP, SCTP_INITMSG, struct.pack("=HHHH", 10, 10, 0, 0))
    if abortive_close:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def send(sock, stream, ppid, data):
    info = SNDINFO.pack(stream, 0, socket.htonl(ppid), 0, 0)
    sock.sendmsg([data], [(IPPROTO_SCTP, SCTP_SNDINFO, info)])


def receive(sock):
    data = b""
    while True:
        chunk, ancillary, flags, _ = sock.recvmsg(1 << 20, socket.CMSG_SPACE(RCVINFO.size))
        if not chunk and not ancillary:
            raise EOFError("association ended")
        if flags & MSG_NOTIFICATION:
            continue
        data += chunk
        for level, kind, value in ancillary:
            if level == IPPROTO_SCTP and kind == SCTP_RCVINFO:
                sid, _ssn, _flags, ppid, *_ = RCVINFO.unpack(value[:RCVINFO.size])
                info = (sid, socket.ntohl(ppid))
        if flags & socket.MSG_EOR:
            return info[0], info[1], data


def receive_count(sock, count):
    try:
        for _ in range(count):
            stream, ppid, data = receive(sock)
            say("got", stream, ppid, len(data), data.rstrip(b".").decode())
    except EOFError:
        say("eof")
        return
    except (ConnectionResetError, ConnectionAbortedError, OSError):
        say("reset")
        return
    say("received", count)


def send_numbered(sock, count, streams, tag, size):
    for i in range(count):
        payload = f"{tag}-{i}-".encode()
        payload += b"." * max(0, size - len(payload))
        send(sock, i % streams, i, payload)
    say("sent", count)


def main():
    args = sys.argv[1:]
    local = None
    abortive_close = False
    rcvbuf = 0
    while args and args[0].startswith("--"):
        option = args.pop(0)
        if option == "--local":
            host, port = args.pop(0).rsplit(":", 1)
            local = (host, int(port))
        elif option == "--abortive-close":
            abortive_close = True
        elif option == "--rcvbuf":
            rcvbuf = int(args.pop(0))
        else:
            sys.exit(f"unknown option {option}")
    family = socket.AF_INET6 if ":" in args[1] else socket.AF_INET
    if args[0] == "connect":
        sock = socket.socket(family, socket.SOCK_STREAM, IPPROTO_SCTP)
        setup(sock, abortive_close, rcvbuf)
        if local is not None:
            sock.bind(local)
        say("connecting")
        try:
            sock.connect((args[1], int(args[2])))
        except (ConnectionRefusedError, ConnectionResetError, TimeoutError):
            say("refused")
            return
    else:
        server = socket.socket(family, socket.SOCK_STREAM, IPPROTO_SCTP)
        setup(server, abortive_close, rcvbuf)
        server.bind((args[1], int(args[2]) if len(args) > 2 else 0))
        server.listen(1)
        say("port", server.getsockname()[1])
        sock, _ = server.accept()
        setup(sock, abortive_close, rcvbuf)
    say("up")

    receiver = None
    for line in sys.stdin:
        words = line.rstrip("\n").split(" ", 1)
        if words[0] == "send":
            count, streams, tag, size = words[1].split(" ")
            try:
                send_numbered(sock, int(count), int(streams), tag, int(size))
            except (ConnectionResetError, BrokenPipeError, OSError):
                say("reset")
                return
        elif words[0] == "recv":
            receiver = threading.Thread(target=receive_count, args=(sock, int(words[1])))
            receiver.start()
        elif words[0] == "wait":
            if receiver is not None:
                receiver.join()
        elif words[0] == "abort":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            say("aborted")
            return
        else:
            sys.exit(f"unknown command {line!r}")
    if receiver is not None:
        receiver.join()
    sock.close()


if __name__ == "__main__":
    main()
