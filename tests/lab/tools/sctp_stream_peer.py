#!/usr/bin/python3
"""A traffic peer written with nothing but Python's kernel socket module: it
sends numbered messages continuously on three streams and reports every
message and association notification it receives, so that a test can check
what crossed an association while the other side changed hands.

  sctp_stream_peer.py listen HOST INTERVAL_MS [PAD]
      listen on HOST, print "port N", accept one association; messages are
      sent every INTERVAL_MS (0: as fast as the association takes them),
      padded with "|" and PAD bytes when PAD is given

Commands on stdin, one per line:
  start   send "STREAM:N" on streams 0, 1 and 2 in turn (PPID 40 + STREAM,
          N counting from 0 on each stream), one every INTERVAL_MS
  stop    stop sending; print "sent N0 N1 N2" (messages sent per stream)
End of stdin closes the association gracefully and exits.

Printed meanwhile, one line each:
  got STREAM PPID TEXT          a message received
  note assoc_change STATE       SCTP_ASSOC_CHANGE (0 COMM_UP, 1 COMM_LOST,
                                2 RESTART, 3 SHUTDOWN_COMP, 4 CANT_STR_ASSOC)
  note shutdown                 SCTP_SHUTDOWN_EVENT: the other side shut down
  eof / reset                   the association ended (graceful / ABORT)
"""
import socket
import struct
import sys
import threading
import time

IPPROTO_SCTP = 132
SCTP_EVENTS = 11        # sockopt: struct sctp_event_subscribe
SCTP_RECVRCVINFO = 32   # sockopt
SCTP_SNDINFO = 2        # cmsg type
SCTP_RCVINFO = 3        # cmsg type
SCTP_INITMSG = 2        # sockopt
MSG_NOTIFICATION = 0x8000
SCTP_ASSOC_CHANGE = 0x8001
SCTP_SHUTDOWN_EVENT = 0x8005

SNDINFO = struct.Struct("=HHIIi")
RCVINFO = struct.Struct("@HHHIIIIi")
# struct sctp_assoc_change { u16 type, flags; u32 length; u16 state, error,
# outbound_streams, inbound_streams; s32 assoc_id; }
ASSOC_CHANGE = struct.Struct("=HHIHHHHi")

print_lock = threading.Lock()


def say(*words):
    with print_lock:
        print(*words, flush=True)


def receive_loop(sock):
    data = b""
    info = (0, 0)
    while True:
        try:
            chunk, ancillary, flags, _ = sock.recvmsg(1 << 20, socket.CMSG_SPACE(RCVINFO.size))
        except ConnectionResetError:
            say("reset")
            return
        except OSError:
            return  # Closed by the main thread.
        if not chunk and not ancillary:
            say("eof")
            return
        if flags & MSG_NOTIFICATION:
            kind = struct.unpack_from("=H", chunk)[0]
            if kind == SCTP_ASSOC_CHANGE:
                say("note assoc_change", ASSOC_CHANGE.unpack_from(chunk)[3])
            elif kind == SCTP_SHUTDOWN_EVENT:
                say("note shutdown")
            continue
        data += chunk
        for level, kind, value in ancillary:
            if level == IPPROTO_SCTP and kind == SCTP_RCVINFO:
                sid, _ssn, _flags, ppid, *_ = RCVINFO.unpack(value[:RCVINFO.size])
                info = (sid, socket.ntohl(ppid))
        if flags & socket.MSG_EOR:
            say("got", info[0], info[1], data.decode(errors="replace"))
            data = b""


def send_loop(sock, interval, pad, sending, stopped, counts):
    stream = 0
    while True:
        sending.wait()
        if stopped.is_set():
            return
        info = SNDINFO.pack(stream, 0, socket.htonl(40 + stream), 0, 0)
        payload = f"{stream}:{counts[stream]}".encode() + pad
        try:
            sock.sendmsg([payload], [(IPPROTO_SCTP, SCTP_SNDINFO, info)])
        except OSError as error:
            say("send failed", error)
            return
        counts[stream] += 1
        stream = (stream + 1) % 3
        if interval > 0:
            time.sleep(interval)  # Pacing of the traffic, not a synchronisation.


def main():
    host, interval = sys.argv[2], int(sys.argv[3]) / 1000.0
    pad = b"|" + b"x" * int(sys.argv[4]) if len(sys.argv) > 4 else b""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM, IPPROTO_SCTP)
    server.setsockopt(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1)
    server.setsockopt(IPPROTO_SCTP, SCTP_INITMSG, struct.pack("=HHHH", 10, 10, 0, 0))
    # data_io, association, address, send_failure, peer_error, shutdown
    server.setsockopt(IPPROTO_SCTP, SCTP_EVENTS, bytes([0, 1, 0, 0, 0, 1]))
    server.bind((host, 0))
    server.listen(1)
    say("port", server.getsockname()[1])
    sock, _ = server.accept()
    receiver = threading.Thread(target=receive_loop, args=(sock,), daemon=True)
    receiver.start()
    sending, stopped = threading.Event(), threading.Event()
    counts = [0, 0, 0]
    sender = threading.Thread(target=send_loop, args=(sock, interval, pad, sending, stopped, counts))
    sender.start()
    for line in sys.stdin:
        command = line.strip()
        if command == "start":
            sending.set()
        elif command == "stop":
            stopped.set()
            sending.set()
            sender.join()
            say("sent", *counts)
    stopped.set()
    sending.set()
    sender.join()
    try:
        sock.shutdown(socket.SHUT_RDWR)  # SCTP: a graceful SHUTDOWN.
    except OSError:
        pass
    receiver.join(timeout=30)
    sock.close()


if __name__ == "__main__":
    main()
