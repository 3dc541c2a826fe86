// Captured messages as pcap: the synthesised packets byte by byte, and a
// file read back by tshark (Wireshark's dissectors, a program sctpgw did not
// write) with every field and payload byte as captured.
#include "sctpgw/capture_pcap.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sctpgw::client {
namespace {

v1::CapturedMessage Message(v1::CaptureDirection direction, const std::string& payload) {
  v1::CapturedMessage m;
  m.mutable_time()->set_seconds(1764900000);
  m.mutable_time()->set_nanos(123456789);
  m.set_direction(direction);
  m.set_association_id(3);
  m.mutable_local()->set_ip("192.0.2.1");
  m.mutable_local()->set_port(5000);
  m.mutable_peer()->set_ip("198.51.100.7");
  m.mutable_peer()->set_port(40000);  // No dissector claims the port.
  m.set_stream(2);
  m.set_ppid(60);
  m.set_length(static_cast<uint32_t>(payload.size()));
  m.set_payload(payload);
  return m;
}

uint32_t Get32(const std::string& bytes, size_t at) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[at + i]);
  return value;
}

uint16_t Get16(const std::string& bytes, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(bytes[at]) << 8) |
                               static_cast<uint8_t>(bytes[at + 1]));
}

TEST(CapturePacketsTest, AnInboundMessageIsOneIpv4PacketWithOneDataChunk) {
  v1::CapturedMessage m = Message(v1::CAPTURE_DIRECTION_INBOUND, "hello");
  m.set_tsn(1000);
  m.set_ssn(7);
  m.set_unordered(true);
  auto packets = CapturePackets(m, m.tsn(), 7);
  ASSERT_EQ(packets.size(), 1u);
  const std::string& p = packets[0].bytes;
  // IPv4, from the peer to the local address, SCTP, padded to 4.
  ASSERT_EQ(p.size(), 20u + 12 + 16 + 8);
  EXPECT_EQ(packets[0].length, p.size());
  EXPECT_EQ(static_cast<uint8_t>(p[0]), 0x45);
  EXPECT_EQ(Get16(p, 2), 56);
  EXPECT_EQ(static_cast<uint8_t>(p[9]), 132);
  EXPECT_EQ(Get32(p, 12), 0xC6336407u);  // 198.51.100.7
  EXPECT_EQ(Get32(p, 16), 0xC0000201u);  // 192.0.2.1
  // SCTP common header: ports.
  EXPECT_EQ(Get16(p, 20), 40000);
  EXPECT_EQ(Get16(p, 22), 5000);
  // DATA: U, B and E; length 16 + 5; TSN, stream, SSN, PPID, payload.
  const size_t chunk = 32;
  EXPECT_EQ(static_cast<uint8_t>(p[chunk]), 0);
  EXPECT_EQ(static_cast<uint8_t>(p[chunk + 1]), 0x07);
  EXPECT_EQ(Get16(p, chunk + 2), 21);
  EXPECT_EQ(Get32(p, chunk + 4), 1000u);
  EXPECT_EQ(Get16(p, chunk + 8), 2);
  EXPECT_EQ(Get16(p, chunk + 10), 7);
  EXPECT_EQ(Get32(p, chunk + 12), 60u);
  EXPECT_EQ(p.substr(chunk + 16), std::string("hello\0\0\0", 8));
}

TEST(CapturePacketsTest, ALongMessageBecomesSeveralChunksFirstToLast) {
  v1::CapturedMessage m = Message(v1::CAPTURE_DIRECTION_OUTBOUND, std::string(140000, 'x'));
  m.mutable_local()->set_ip("2001:db8::1");
  m.mutable_peer()->set_ip("2001:db8::7");
  auto packets = CapturePackets(m, 50, 0);
  ASSERT_EQ(packets.size(), 3u);
  std::vector<int> flags;
  size_t data = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    const std::string& p = packets[i].bytes;
    EXPECT_EQ(static_cast<uint8_t>(p[0]) >> 4, 6);
    flags.push_back(static_cast<uint8_t>(p[40 + 12 + 1]));
    EXPECT_EQ(Get32(p, 40 + 12 + 4), 50u + i);  // Consecutive TSNs.
    data += p.size() - 40 - 12 - 16;
  }
  EXPECT_EQ(flags, (std::vector<int>{0x02, 0x00, 0x01}));
  EXPECT_EQ(data, 140000u);
}

TEST(CapturePacketsTest, ASnappedPayloadIsAPacketCapturedInPart) {
  v1::CapturedMessage m = Message(v1::CAPTURE_DIRECTION_OUTBOUND, "abc");
  m.set_length(1000);
  auto packets = CapturePackets(m, 1, 0);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0].bytes.size(), 20u + 12 + 16 + 3);
  EXPECT_EQ(packets[0].length, 20u + 12 + 16 + 1000);
  EXPECT_EQ(Get16(packets[0].bytes, 20 + 12 + 2), 16 + 1000);  // The chunk's real length.
}

// tshark's output for `arguments` (after -r); fails the test if it fails.
std::string Tshark(const std::string& arguments) {
  // (tshark's warnings go to the test's standard error.)
  std::string command = absl::StrCat("tshark -n -o sctp.checksum:CRC-32C -r ", arguments);
  FILE* tshark = popen(command.c_str(), "r");
  EXPECT_NE(tshark, nullptr);
  if (tshark == nullptr) return "";
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), tshark)) > 0) output.append(buffer, n);
  int status = pclose(tshark);
  EXPECT_EQ(status, 0) << "tshark (scripts/install-deps.sh installs it): " << output;
  return output;
}

// tshark reads the file: fields and payload bytes as written, the checksum
// right, and the PPID decoded (60: NGAP).
TEST(PcapWriterTest, TsharkReadsWhatWasCaptured) {
  char path[] = "/tmp/sctpgw-capture-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE* file = fdopen(fd, "wb");
  ASSERT_NE(file, nullptr);
  auto writer = PcapWriter::Open(file);
  ASSERT_TRUE(writer.ok()) << writer.status();
  v1::CapturedMessage out = Message(v1::CAPTURE_DIRECTION_OUTBOUND, "request");
  v1::CapturedMessage in = Message(v1::CAPTURE_DIRECTION_INBOUND, "answer!");
  in.set_tsn(4242);
  in.set_ssn(0);
  v1::CapturedMessage unordered = out;
  unordered.set_unordered(true);
  unordered.set_stream(0);
  unordered.set_ppid(18);
  EXPECT_EQ((*writer)->Write(out), 1u);
  EXPECT_EQ((*writer)->Write(in), 1u);
  EXPECT_EQ((*writer)->Write(out), 1u);
  EXPECT_EQ((*writer)->Write(unordered), 1u);
  writer->reset();

  // Each message's fields; then, with the PPIDs' dissectors off, its bytes.
  std::string fields = Tshark(absl::StrCat(
      path, " -T fields -E separator=, -e ip.src -e sctp.srcport -e sctp.dstport",
      " -e sctp.data_tsn_raw -e sctp.data_sid -e sctp.data_ssn -e sctp.data_payload_proto_id",
      " -e sctp.data_u_bit -e sctp.data_b_bit -e sctp.data_e_bit -e sctp.checksum.status",
      " -e frame.protocols"));
  std::string bytes = Tshark(absl::StrCat(
      path, " --disable-protocol ngap --disable-protocol s1ap -T fields -e data.data"));
  unlink(path);
  std::vector<std::string> lines = absl::StrSplit(fields, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << fields;
  // Outbound TSNs and SSNs are numbered by the writer; the checksum is
  // good (1); PPID 60 is decoded as NGAP and 18 as S1AP.
  EXPECT_EQ(lines[0], "192.0.2.1,5000,40000,1,0x0002,0,60,0,1,1,1,raw:ip:sctp:ngap");
  EXPECT_EQ(lines[1], "198.51.100.7,40000,5000,4242,0x0002,0,60,0,1,1,1,raw:ip:sctp:ngap");
  EXPECT_EQ(lines[2], "192.0.2.1,5000,40000,2,0x0002,1,60,0,1,1,1,raw:ip:sctp:ngap");
  EXPECT_EQ(lines[3], "192.0.2.1,5000,40000,3,0x0000,0,18,1,1,1,1,raw:ip:sctp:s1ap");
  EXPECT_EQ(bytes, absl::StrCat(absl::BytesToHexString("request"), "\n",
                                absl::BytesToHexString("answer!"), "\n",
                                absl::BytesToHexString("request"), "\n",
                                absl::BytesToHexString("request"), "\n"));
}

}  // namespace
}  // namespace sctpgw::client
