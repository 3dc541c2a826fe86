#!/usr/bin/env bash
# Writes the seed corpora of the fuzz targets: well-formed inputs of every
# kind each target reads, from which libFuzzer mutates. The seeds are kept
# in the source tree (corpus/); rerun this after changing the proto or the
# notification layouts. Crash inputs added as regression cases live beside
# them under names starting "crash-" and are not touched here.
#
#   tests/fuzz/make_seeds.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto_dir="$here/../../proto"
corpus="$here/corpus"
mkdir -p "$corpus/notification_fuzzer" "$corpus/request_fuzzer" "$corpus/settings_fuzzer"

# Notifications, laid out as in linux/sctp.h (little-endian x86-64).
/usr/bin/python3 - "$corpus/notification_fuzzer" <<'PY'
import os, socket, struct, sys
out = sys.argv[1]
def write(name, body):
    with open(os.path.join(out, name), "wb") as f:
        f.write(body)
def header(kind, flags, rest):
    return struct.pack("<HHI", kind, flags, 8 + len(rest)) + rest
def sockaddr_in(ip, port):
    return struct.pack("<H", socket.AF_INET) + struct.pack(">H", port) + socket.inet_aton(ip)
def sockaddr_in6(ip, port):
    return (struct.pack("<H", socket.AF_INET6) + struct.pack(">HI", port, 0) +
            socket.inet_pton(socket.AF_INET6, ip) + struct.pack("<I", 0))
def storage(sa):
    return sa + bytes(128 - len(sa))
for state, name in [(0, "comm_up"), (1, "comm_lost"), (2, "restart"), (3, "shutdown_comp"),
                    (4, "cant_str_assoc")]:
    info = b"" if state == 0 else b"\x00\x0c\x00\x08abcd"
    write("assoc_change_" + name, header(0x8001, 0, struct.pack("<HHHHi", state, 0, 10, 10, 7) + info))
for state in range(7):
    write("peer_addr_change_v4_%d" % state,
          header(0x8002, 0, storage(sockaddr_in("10.0.0.1", 2905)) + struct.pack("<IIi", state, 0, 7)))
write("peer_addr_change_v6", header(0x8002, 0,
      storage(sockaddr_in6("2001:db8::1", 36412)) + struct.pack("<IIi", 1, 5, 7)))
sndinfo = struct.pack("<HHIIi", 3, 0, socket.htonl(18), 42, 7)
write("send_failed_event", header(0x800d, 1, struct.pack("<I", 0) + sndinfo + struct.pack("<i", 7) + b"undelivered"))
# The older SCTP_SEND_FAILED carries struct sctp_sndrcvinfo (32 bytes).
sndrcvinfo = struct.pack("<HHHIIIIIi", 3, 0, 0, socket.htonl(18), 42, 0, 0, 0, 7)
sndrcvinfo += bytes(32 - len(sndrcvinfo))
write("send_failed", header(0x8003, 2, struct.pack("<I", 0) + sndrcvinfo + struct.pack("<i", 7) + b"old"))
write("remote_error", header(0x8004, 0, struct.pack(">H", 1) + struct.pack("<i", 7) + b"\x00\x01\x00\x08\x00\x05\x00\x00"))
write("shutdown_event", header(0x8005, 0, struct.pack("<i", 7)))
write("partial_delivery", header(0x8006, 0, struct.pack("<IIIi", 0, 2, 9, 7)))
write("adaptation", header(0x8007, 0, struct.pack("<Ii", 0x01020304, 7)))
write("authentication", header(0x8008, 0, struct.pack("<HHIi", 1, 0, 2, 7)))
write("sender_dry", header(0x8009, 0, struct.pack("<i", 7)))
write("stream_reset", header(0x800a, 1, struct.pack("<i", 7) + struct.pack("<HHH", 1, 2, 3)))
write("assoc_reset", header(0x800b, 0, struct.pack("<iII", 7, 100, 200)))
write("stream_change", header(0x800c, 0, struct.pack("<iHH", 7, 20, 20)))
write("truncated", header(0x8001, 0, struct.pack("<HH", 0, 0))[:10])
PY

# Requests: the first byte picks the message (see request_fuzzer.cc), the
# rest is the message in protobuf's binary encoding.
request() {
  local name=$1 selector=$2 type=$3 text=$4
  {
    printf "\\x$(printf %02x "$selector")"
    printf '%s' "$text" | protoc -I"$proto_dir" --encode="sctpgw.v1.$type" sctpgw/v1/gateway_service.proto
  } >"$corpus/request_fuzzer/$name"
}
request open_endpoint 0 OpenEndpointRequest 'session_id: "s" local_addresses: "127.0.0.1" local_addresses: "::1" port: 2905 listen: true backlog: 16 init { outbound_streams: 10 max_inbound_streams: 10 } path_parameters { rto_min_ms: 100 rto_max_ms: 400 heartbeat_interval_ms: 1000 }'
request open_endpoint_bad 0 OpenEndpointRequest 'local_addresses: "300.1.1.1" port: 65536'
request associate 1 AssociateRequest 'endpoint_id: 1 peer_addresses: "10.0.0.1" peer_addresses: "fe80::1%eth0" peer_port: 36412 init { outbound_streams: 65535 }'
request send 2 SendRequest 'association_id: 3 messages { stream: 1 ppid: 18 payload: "hello" } messages { stream: 70000 unordered: true lifetime_ms: 10 }'
request receive 3 ReceiveRequest 'association_id: 3 max_messages: 64 max_bytes: 1048576'
request receive_endpoint 3 ReceiveRequest 'endpoint_id: 1'
request configure_paths 4 ConfigurePathsRequest 'association_id: 3 peer_address: "10.0.0.2" parameters { rto_initial_ms: 500 rto_min_ms: 100 rto_max_ms: 1000 path_max_retransmissions: 2 potentially_failed_threshold: 1 sack_delay_ms: 200 sack_frequency: 2 heartbeat_enabled: false }'
request update_addresses 5 UpdateEndpointAddressesRequest 'endpoint_id: 1 add_addresses: "10.0.1.1" remove_addresses: "10.0.0.1"'
request list_associations 6 ListAssociationsRequest 'endpoint_id: 1 page_size: 10 page_token: "42"'
printf '\x07\x00\x00\x00\x00\x00\x00\x00\x80' >"$corpus/request_fuzzer/deadline_min"
printf '\x07\xff\xff\xff\xff\xff\xff\xff\x7f' >"$corpus/request_fuzzer/deadline_max"

# Settings files: the example configuration and small variations.
cp "$here/../../deploy/sctpgw.toml" "$corpus/settings_fuzzer/example.toml"
printf '[server]\nlisten = ["unix:/tmp/s.sock", "127.0.0.1:50051"]\nunix_socket_mode = "0600"\nlog_format = "json"\n' \
  >"$corpus/settings_fuzzer/listen.toml"
printf '[sessions]\ndefault_lease_ms = 1000\nmax_lease_ms = 2000\n[limits]\nmax_message_bytes = 65536\nevent_history = 10\n' \
  >"$corpus/settings_fuzzer/limits.toml"
printf '[keepalive]\ntime_ms = 100\n[tls]\ncert_file = "a"\nkey_file = "b"\n' >"$corpus/settings_fuzzer/tls.toml"
