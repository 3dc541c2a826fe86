#include "sctpgw/capture_pcap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace sctpgw::client {
namespace {

constexpr uint8_t kIpProtoSctp = 132;
constexpr size_t kIpv4HeaderBytes = 20;
constexpr size_t kIpv6HeaderBytes = 40;
constexpr size_t kSctpCommonHeaderBytes = 12;
constexpr size_t kDataChunkHeaderBytes = 16;
// User data per DATA chunk, so that each packet stays within IP's 65535.
constexpr size_t kMaxChunkData = 65000;
constexpr int kSnapLength = 262144;

// CRC32c (Castagnoli), as SCTP's checksum (RFC 9260 appendix A).
uint32_t Crc32c(const std::string& bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t crc = i;
      for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) != 0 ? 0x82F63B78u : 0);
      t[i] = crc;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

uint16_t Ipv4HeaderChecksum(const uint8_t* header) {
  uint32_t sum = 0;
  for (size_t i = 0; i < kIpv4HeaderBytes; i += 2) sum += (header[i] << 8) | header[i + 1];
  while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void Put16(std::string& out, size_t at, uint16_t value) {
  out[at] = static_cast<char>(value >> 8);
  out[at + 1] = static_cast<char>(value & 0xFF);
}

void Put32(std::string& out, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((value >> (24 - 8 * i)) & 0xFF);
}

// An address as raw bytes: 4 (IPv4) or 16 (IPv6); empty if not numeric.
std::string RawAddress(const v1::TransportAddress& address) {
  std::string raw(16, '\0');
  std::string ip = address.ip().substr(0, address.ip().find('%'));  // No zone.
  if (inet_pton(AF_INET, ip.c_str(), raw.data()) == 1) return raw.substr(0, 4);
  if (inet_pton(AF_INET6, ip.c_str(), raw.data()) == 1) return raw;
  return "";
}

// Source and destination of the message's packets, of one family.
struct Ends {
  std::string source, destination;  // Raw addresses.
  uint16_t source_port = 0, destination_port = 0;
};

Ends EndsOf(const v1::CapturedMessage& message) {
  std::string local = RawAddress(message.local());
  std::string peer = RawAddress(message.peer());
  // Unknown or of the other family: the unspecified address of the family
  // of the one known (IPv4 when neither is).
  size_t family = !peer.empty() ? peer.size() : (!local.empty() ? local.size() : 4);
  if (local.size() != family) local.assign(family, '\0');
  if (peer.size() != family) peer.assign(family, '\0');
  Ends ends;
  bool outbound = message.direction() == v1::CAPTURE_DIRECTION_OUTBOUND;
  ends.source = outbound ? local : peer;
  ends.destination = outbound ? peer : local;
  ends.source_port = static_cast<uint16_t>(outbound ? message.local().port() : message.peer().port());
  ends.destination_port =
      static_cast<uint16_t>(outbound ? message.peer().port() : message.local().port());
  return ends;
}

// One packet: IP header, SCTP common header, one DATA chunk of `data_length`
// bytes of which `kept` are known.
CapturePacket Packet(const Ends& ends, uint8_t flags, uint32_t tsn, uint16_t stream, uint16_t ssn,
                     uint32_t ppid, size_t data_length, const std::string& kept) {
  const bool v6 = ends.source.size() == 16;
  const size_t ip_header = v6 ? kIpv6HeaderBytes : kIpv4HeaderBytes;
  const size_t chunk_length = kDataChunkHeaderBytes + data_length;
  const size_t padded = (chunk_length + 3) & ~size_t{3};
  const size_t sctp_length = kSctpCommonHeaderBytes + padded;
  CapturePacket packet;
  packet.length = ip_header + sctp_length;

  // The SCTP packet, whole (the checksum covers it), then cut to what is kept.
  std::string sctp(sctp_length, '\0');
  Put16(sctp, 0, ends.source_port);
  Put16(sctp, 2, ends.destination_port);
  // Verification tag 0; checksum below.
  const size_t chunk = kSctpCommonHeaderBytes;
  sctp[chunk] = 0;  // DATA
  sctp[chunk + 1] = static_cast<char>(flags);
  Put16(sctp, chunk + 2, static_cast<uint16_t>(chunk_length));
  Put32(sctp, chunk + 4, tsn);
  Put16(sctp, chunk + 8, stream);
  Put16(sctp, chunk + 10, ssn);
  Put32(sctp, chunk + 12, ppid);
  std::memcpy(sctp.data() + chunk + kDataChunkHeaderBytes, kept.data(), kept.size());
  uint32_t crc = Crc32c(sctp);
  // Stored little-endian (RFC 9260 appendix A).
  for (int i = 0; i < 4; ++i) sctp[8 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  if (kept.size() < data_length) {  // Snapped: the rest (and the padding) is not known.
    sctp.resize(kSctpCommonHeaderBytes + kDataChunkHeaderBytes + kept.size());
  }

  std::string ip(ip_header, '\0');
  if (v6) {
    ip[0] = 0x60;
    Put16(ip, 4, static_cast<uint16_t>(sctp_length));
    ip[6] = static_cast<char>(kIpProtoSctp);
    ip[7] = 64;  // Hop limit.
    std::memcpy(ip.data() + 8, ends.source.data(), 16);
    std::memcpy(ip.data() + 24, ends.destination.data(), 16);
  } else {
    ip[0] = 0x45;
    Put16(ip, 2, static_cast<uint16_t>(packet.length));
    Put16(ip, 6, 0x4000);  // Don't fragment.
    ip[8] = 64;            // TTL.
    ip[9] = static_cast<char>(kIpProtoSctp);
    std::memcpy(ip.data() + 12, ends.source.data(), 4);
    std::memcpy(ip.data() + 16, ends.destination.data(), 4);
    Put16(ip, 10, Ipv4HeaderChecksum(reinterpret_cast<const uint8_t*>(ip.data())));
  }
  packet.bytes = ip + sctp;
  return packet;
}

}  // namespace

std::vector<CapturePacket> CapturePackets(const v1::CapturedMessage& message, uint32_t tsn,
                                          uint16_t ssn) {
  const Ends ends = EndsOf(message);
  const size_t length = std::max<size_t>(message.length(), message.payload().size());
  // A piece of a message delivered in pieces starts or ends it only where
  // it is its first or last piece.
  const bool message_begins = message.offset() == 0;
  const bool message_ends = !message.more_follows();
  std::vector<CapturePacket> packets;
  size_t at = 0;
  do {
    size_t data = std::min(kMaxChunkData, length - at);
    uint8_t flags = message.unordered() ? 0x04 : 0;
    if (at == 0 && message_begins) flags |= 0x02;
    if (at + data == length && message_ends) flags |= 0x01;
    std::string kept;
    if (at < message.payload().size()) {
      kept = message.payload().substr(at, std::min(data, message.payload().size() - at));
    }
    packets.push_back(Packet(ends, flags, tsn++, static_cast<uint16_t>(message.stream()), ssn,
                             message.ppid(), data, kept));
    at += data;
  } while (at < length);
  return packets;
}

absl::StatusOr<std::unique_ptr<PcapWriter>> PcapWriter::Open(FILE* file) {
  pcap_t* pcap =
      pcap_open_dead_with_tstamp_precision(DLT_RAW, kSnapLength, PCAP_TSTAMP_PRECISION_NANO);
  if (pcap == nullptr) {
    std::fclose(file);
    return absl::InternalError("pcap_open_dead failed");
  }
  pcap_dumper_t* dumper = pcap_dump_fopen(pcap, file);
  if (dumper == nullptr) {
    std::string error = pcap_geterr(pcap);
    pcap_close(pcap);
    std::fclose(file);
    return absl::InternalError(absl::StrCat("cannot write a pcap file: ", error));
  }
  return std::unique_ptr<PcapWriter>(new PcapWriter(pcap, dumper));
}

PcapWriter::~PcapWriter() {
  pcap_dump_close(dumper_);  // Closes the file.
  pcap_close(pcap_);
}

size_t PcapWriter::Write(const v1::CapturedMessage& message) {
  uint32_t tsn = message.tsn();
  uint16_t ssn = static_cast<uint16_t>(message.ssn());
  const size_t length = std::max<size_t>(message.length(), message.payload().size());
  const size_t chunks = std::max<size_t>(1, (length + kMaxChunkData - 1) / kMaxChunkData);
  if (message.direction() == v1::CAPTURE_DIRECTION_OUTBOUND) {
    uint32_t& next = next_tsn_.try_emplace(message.association_id(), 1).first->second;
    tsn = next;
    next += static_cast<uint32_t>(chunks);
    if (!message.unordered()) {
      ssn = next_ssn_[{message.association_id(), message.stream()}]++;
    }
  }
  std::vector<CapturePacket> packets = CapturePackets(message, tsn, ssn);
  for (const CapturePacket& packet : packets) {
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(message.time().seconds());
    header.ts.tv_usec = static_cast<suseconds_t>(message.time().nanos());  // Nanosecond file.
    header.caplen = static_cast<bpf_u_int32>(packet.bytes.size());
    header.len = static_cast<bpf_u_int32>(packet.length);
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &header,
              reinterpret_cast<const u_char*>(packet.bytes.data()));
  }
  return packets.size();
}

absl::Status PcapWriter::Flush() {
  if (pcap_dump_flush(dumper_) != 0) return absl::UnavailableError("writing the capture failed");
  return absl::OkStatus();
}

}  // namespace sctpgw::client
