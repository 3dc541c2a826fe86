#!/usr/bin/python3
"""Watches for an SCTP INIT arriving at this host over IP (protocol 132),
with a raw socket: needs no SCTP in this host's kernel, only CAP_NET_RAW.

  sctp_init_watch.py SECONDS [SOURCE]

Prints "ready" once it listens, then "INIT from ADDRESS:PORT to port PORT"
for the first INIT (from SOURCE, if given), or "none" after SECONDS.
"""
import socket
import struct
import sys
import time

raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
raw.settimeout(0.5)
print("ready", flush=True)
until = time.monotonic() + float(sys.argv[1])
while time.monotonic() < until:
    try:
        packet, (source, _) = raw.recvfrom(65536)
    except socket.timeout:
        continue
    header = (packet[0] & 0x0F) * 4
    if len(sys.argv) > 2 and source != sys.argv[2]:
        continue
    if len(packet) < header + 13:
        continue
    src_port, dst_port = struct.unpack_from("!HH", packet, header)
    if packet[header + 12] == 1:  # Chunk type INIT.
        print("INIT from %s:%d to port %d" % (source, src_port, dst_port), flush=True)
        sys.exit(0)
print("none", flush=True)
