#!/usr/bin/python3
"""An SCTP peer written with nothing but Python's kernel socket module, for
interoperability tests: it sets stream and PPID per message with an
SCTP_SNDINFO control message and reads SCTP_RCVINFO back (RFC 6458).

  sctp_peer.py connect HOST PORT   associate to HOST:PORT
  sctp_peer.py listen HOST         listen on HOST, print "port N", accept one

Then, either way: send every message given on stdin as lines
"STREAM PPID TEXT" until a line "recv N", at which point it receives N
messages and prints each as "got STREAM PPID TEXT", then "done", and closes
gracefully after stdin ends. If the association ends while receiving, it
prints "eof" (the peer shut down gracefully) or "reset" (the peer aborted)
and exits 0; "refused" likewise when the association cannot be set up.
"""
import socket
import struct
import sys

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


def setup(sock):
    sock.setsockopt(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1)
    # 10 outbound, 10 inbound streams.
    sock.setsockopt(IPPROTO_SCTP, SCTP_INITMSG, struct.pack("=HHHH", 10, 10, 0, 0))


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


def main():
    family = socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET
    if sys.argv[1] == "connect":
        sock = socket.socket(family, socket.SOCK_STREAM, IPPROTO_SCTP)
        setup(sock)
        try:
            sock.connect((sys.argv[2], int(sys.argv[3])))
        except (ConnectionRefusedError, ConnectionResetError):
            print("refused", flush=True)
            return
    else:
        server = socket.socket(family, socket.SOCK_STREAM, IPPROTO_SCTP)
        setup(server)
        server.bind((sys.argv[2], 0))
        server.listen(1)
        print("port", server.getsockname()[1], flush=True)
        sock, _ = server.accept()
    for line in sys.stdin:
        words = line.split(" ", 2)
        if words[0] == "recv":
            try:
                for _ in range(int(words[1])):
                    stream, ppid, data = receive(sock)
                    print("got", stream, ppid, data.decode(), flush=True)
            except EOFError:
                print("eof", flush=True)
                return
            except ConnectionResetError:
                print("reset", flush=True)
                return
            print("done", flush=True)
        else:
            try:
                send(sock, int(words[0]), int(words[1]), words[2].rstrip("\n").encode())
            except (ConnectionResetError, BrokenPipeError):
                print("reset", flush=True)
                return
    sock.close()


if __name__ == "__main__":
    main()
