#include "server/net/notification.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>  // Before netinet/sctp.h, which needs it.
#include <netinet/sctp.h>

#include <cstring>
#include <random>
#include <vector>

namespace sctpgw::net {
namespace {

template <typename T>
std::vector<uint8_t> Bytes(const T& value, const std::string& tail = "") {
  std::vector<uint8_t> bytes(sizeof(T) + tail.size());
  std::memcpy(bytes.data(), &value, sizeof(T));
  std::memcpy(bytes.data() + sizeof(T), tail.data(), tail.size());
  // Fix up the length field (third field of every notification header).
  uint32_t length = static_cast<uint32_t>(bytes.size());
  std::memcpy(bytes.data() + 4, &length, sizeof(length));
  return bytes;
}

TEST(NotificationTest, AssociationChangeWithInfo) {
  sctp_assoc_change change{};
  change.sac_type = SCTP_ASSOC_CHANGE;
  change.sac_state = SCTP_COMM_LOST;
  change.sac_error = 12;
  change.sac_outbound_streams = 5;
  change.sac_inbound_streams = 6;
  change.sac_assoc_id = 42;
  auto n = DecodeNotification(Bytes(change, "cause"));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->type, NotificationType::kAssociationChange);
  EXPECT_EQ(n->association_change, AssociationChange::kCommLost);
  EXPECT_EQ(n->error, 12u);
  EXPECT_EQ(n->outbound_streams, 5);
  EXPECT_EQ(n->inbound_streams, 6);
  EXPECT_EQ(n->assoc_id, 42);
  EXPECT_EQ(n->data, "cause");
  EXPECT_STREQ(AssociationChangeName(n->association_change), "COMM_LOST");
}

TEST(NotificationTest, PeerAddressChangeCarriesTheAddress) {
  sctp_paddr_change change{};
  change.spc_type = SCTP_PEER_ADDR_CHANGE;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(2905);
  inet_pton(AF_INET, "198.51.100.7", &address.sin_addr);
  std::memcpy(&change.spc_aaddr, &address, sizeof(address));
  change.spc_state = SCTP_ADDR_UNREACHABLE;
  change.spc_error = 3;
  change.spc_assoc_id = 9;
  auto n = DecodeNotification(Bytes(change));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->type, NotificationType::kPeerAddressChange);
  ASSERT_TRUE(n->address.has_value());
  EXPECT_EQ(n->address->ToString(), "198.51.100.7:2905");
  EXPECT_EQ(n->address_state, PeerAddressState::kUnreachable);
  EXPECT_EQ(n->assoc_id, 9);
}

TEST(NotificationTest, SendFailedEventCarriesTheMessage) {
  sctp_send_failed_event failed{};
  failed.ssf_type = SCTP_SEND_FAILED_EVENT;
  failed.ssf_flags = SCTP_DATA_UNSENT;
  failed.ssf_error = 1;
  failed.ssfe_info.snd_sid = 3;
  failed.ssfe_info.snd_ppid = htonl(46);
  failed.ssfe_info.snd_context = 777;
  failed.ssf_assoc_id = 5;
  auto n = DecodeNotification(Bytes(failed, "undelivered"));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->type, NotificationType::kSendFailed);
  EXPECT_EQ(n->stream, 3);
  EXPECT_EQ(n->ppid, 46u);
  EXPECT_EQ(n->context, 777u);
  EXPECT_EQ(n->data, "undelivered");
}

TEST(NotificationTest, RemoteErrorAndStreamReset) {
  sctp_remote_error error{};
  error.sre_type = SCTP_REMOTE_ERROR;
  error.sre_error = htons(13);
  auto n = DecodeNotification(Bytes(error, "tlv"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->error, 13u);
  EXPECT_EQ(n->data, "tlv");

  sctp_stream_reset_event reset{};
  reset.strreset_type = SCTP_STREAM_RESET_EVENT;
  uint16_t streams[2] = {1, 4};
  std::string tail(reinterpret_cast<const char*>(streams), sizeof(streams));
  n = DecodeNotification(Bytes(reset, tail));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->streams, (std::vector<uint16_t>{1, 4}));
}

TEST(NotificationTest, MalformedInputIsAnErrorNotACrash) {
  EXPECT_FALSE(DecodeNotification({}).ok());
  sctp_assoc_change change{};
  change.sac_type = SCTP_ASSOC_CHANGE;
  std::vector<uint8_t> bytes = Bytes(change);
  // Truncated.
  EXPECT_FALSE(DecodeNotification(absl::MakeSpan(bytes.data(), 10)).ok());
  // A length field larger than what was received.
  uint32_t length = 1000;
  std::memcpy(bytes.data() + 4, &length, sizeof(length));
  EXPECT_FALSE(DecodeNotification(bytes).ok());
  // Unknown type.
  bytes = Bytes(change);
  uint16_t type = 0x1234;
  std::memcpy(bytes.data(), &type, sizeof(type));
  EXPECT_FALSE(DecodeNotification(bytes).ok());

  // Random bytes with every known type in front never crash.
  std::mt19937 random(12345);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> noise(random() % 300);
    for (auto& b : noise) b = static_cast<uint8_t>(random());
    if (noise.size() >= 2) {
      uint16_t t = static_cast<uint16_t>(SCTP_SN_TYPE_BASE + random() % 16);
      std::memcpy(noise.data(), &t, sizeof(t));
    }
    (void)DecodeNotification(noise);
  }
}

}  // namespace
}  // namespace sctpgw::net
