// Captured messages (the Capture RPC) as a packet capture that Wireshark and
// tshark open: each message becomes an IPv4 or IPv6 packet carrying an SCTP
// common header and a DATA chunk with the message's stream, SSN, TSN, PPID
// and unordered flag, so that Wireshark's dissectors decode the payload by
// its PPID (NGAP 60, S1AP 18, Diameter 46, M3UA 3, ...). The file is pcap
// (LINKTYPE_RAW, nanosecond timestamps), written by libpcap.
//
// What is synthesised: the packets are the messages as sctpgw passed them,
// not the wire's packets (no SACKs, no bundling, no retransmissions). A
// message longer than fits one IP packet becomes several DATA chunks, first
// to last (B and E flags). The verification tag is 0; the CRC32c checksum
// is right. Inbound messages carry the kernel's TSN and SSN; the kernel does
// not tell them for outbound ones, so the writer numbers those itself per
// association (TSN from 1) and per stream (SSN from 0, ordered messages).
// A payload shorter than the message (snap_bytes) is recorded as a packet
// captured in part (its caplen below its length).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "sctpgw/v1/gateway_service.pb.h"

struct pcap;
struct pcap_dumper;

namespace sctpgw::client {

// One synthesised packet: the bytes kept and the packet's whole length.
struct CapturePacket {
  std::string bytes;
  size_t length = 0;
};

// The packets of one captured message, its chunks numbered from `tsn` (and
// `ssn`, when the message has none of its own).
std::vector<CapturePacket> CapturePackets(const v1::CapturedMessage& message, uint32_t tsn,
                                          uint16_t ssn);

class PcapWriter {
 public:
  // Writes to `file`, which the writer owns (and closes) from then on.
  static absl::StatusOr<std::unique_ptr<PcapWriter>> Open(FILE* file);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Appends the message's packets; returns how many.
  size_t Write(const v1::CapturedMessage& message);
  // Pushes what was written to the file (a pipe's reader sees it now).
  absl::Status Flush();

 private:
  PcapWriter(struct pcap* pcap, struct pcap_dumper* dumper) : pcap_(pcap), dumper_(dumper) {}

  struct pcap* pcap_;
  struct pcap_dumper* dumper_;
  // Outbound numbering: the next TSN per association, the next SSN per
  // association and stream.
  std::map<uint64_t, uint32_t> next_tsn_;
  std::map<std::pair<uint64_t, uint32_t>, uint16_t> next_ssn_;
};

}  // namespace sctpgw::client
