#!/usr/bin/python3
"""Counts the SCTP chunks arriving at this host over IPv4, by chunk type and
the packet's source and destination address, with a raw socket (IP protocol
132): needs CAP_NET_RAW, and sees packets whether or not this host's kernel
has SCTP. On the loopback interface every packet between two local
addresses arrives once, so a test in a network namespace of its own sees
all of its SCTP traffic, both ways.

  sctp_chunk_watch.py

Prints "ready" once it listens, then answers lines on stdin (an ADDRESS of
"*" matches any):
  count ID TYPE SOURCE DESTINATION
        at once: "ID: N end ID", N the chunks of TYPE seen so far
  await ID TYPE SOURCE DESTINATION N
        "ID: M end ID" as soon as M >= N such chunks have been seen
Chunk types (RFC 9260, 3758): 0 DATA, 3 SACK, 4 HEARTBEAT, 5 HEARTBEAT ACK,
192 FORWARD TSN. A GSO packet (several SCTP packets the kernel hands the
loopback device at once) counts every chunk of each. Exits when stdin ends.
"""
import os
import select
import socket
import struct
import sys

SO_RCVBUFFORCE = 33

counts = {}   # (type, source, destination) -> chunks seen
waiting = []  # [ident, type, source, destination, n] not answered yet


def seen(kind, source, destination):
    return sum(n for (t, s, d), n in counts.items()
               if t == kind and source in ("*", s) and destination in ("*", d))


def answer(ident, n):
    print("%s: %d end %s" % (ident, n, ident), flush=True)


def take(packet):
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return
    header = (packet[0] & 0x0F) * 4
    source = socket.inet_ntoa(packet[12:16])
    destination = socket.inet_ntoa(packet[16:20])
    at = header + 12  # Past the SCTP common header.
    while at + 4 <= len(packet):
        kind, _flags, length = struct.unpack_from("!BBH", packet, at)
        if length < 4:
            break
        key = (kind, source, destination)
        counts[key] = counts.get(key, 0) + 1
        at += (length + 3) & ~3


def obey(line):
    words = line.split()
    if not words:
        return
    if words[0] == "count" and len(words) == 5:
        answer(words[1], seen(int(words[2]), words[3], words[4]))
    elif words[0] == "await" and len(words) == 6:
        waiting.append([words[1], int(words[2]), words[3], words[4], int(words[5])])
    else:
        sys.exit("unknown command %r" % line)


def main():
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
    try:  # Room for bursts: a full buffer would drop packets uncounted.
        raw.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    except PermissionError:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    print("ready", flush=True)
    pending = b""
    while True:
        readable, _, _ = select.select([raw, 0], [], [])
        if raw in readable:
            while True:
                try:
                    packet = raw.recv(1 << 18, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                take(packet)
        if 0 in readable:
            data = os.read(0, 4096)
            if not data:
                return
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                obey(line.decode())
        for wait in list(waiting):
            n = seen(wait[1], wait[2], wait[3])
            if n >= wait[4]:
                waiting.remove(wait)
                answer(wait[0], n)


if __name__ == "__main__":
    main()
