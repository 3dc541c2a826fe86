#include "server/rpc/options_convert.h"

#include <gtest/gtest.h>

#include <string>

#include "server/core/errors.h"

namespace sctpgw::rpc {
namespace {

std::string FieldOf(const absl::Status& status) {
  return core::ErrorMetadataOf(status)["field"];
}

TEST(OptionsConvertTest, EachPrSctpPolicyAndTheDestinationAreTaken) {
  core::OutboundMessage out;
  v1::OutboundMessage message;
  message.set_max_retransmissions(0);
  message.set_peer_address("192.0.2.7");
  ASSERT_TRUE(ToMessageOptions(message, 0, &out).ok());
  EXPECT_EQ(out.pr_policy, net::SendInfo::PrPolicy::kRetransmissions);
  EXPECT_EQ(out.pr_value, 0u);
  ASSERT_TRUE(out.peer_address.has_value());
  EXPECT_EQ(out.peer_address->Ip(), "192.0.2.7");

  out = {};
  message.Clear();
  message.set_priority(3);
  ASSERT_TRUE(ToMessageOptions(message, 0, &out).ok());
  EXPECT_EQ(out.pr_policy, net::SendInfo::PrPolicy::kPriority);
  EXPECT_EQ(out.pr_value, 3u);
  EXPECT_FALSE(out.peer_address.has_value());

  out = {};
  message.Clear();
  message.set_lifetime_ms(250);
  ASSERT_TRUE(ToMessageOptions(message, 0, &out).ok());
  EXPECT_EQ(out.pr_policy, net::SendInfo::PrPolicy::kTimed);
  EXPECT_EQ(out.pr_value, 250u);

  out = {};
  message.Clear();
  ASSERT_TRUE(ToMessageOptions(message, 0, &out).ok());
  EXPECT_EQ(out.pr_policy, net::SendInfo::PrPolicy::kReliable);
}

TEST(OptionsConvertTest, BadMessageOptionsAreRefusedNamingTheField) {
  core::OutboundMessage out;
  v1::OutboundMessage message;
  message.set_lifetime_ms(100);
  message.set_max_retransmissions(2);
  absl::Status two = ToMessageOptions(message, 3, &out);
  EXPECT_EQ(two.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(two), "messages[3].max_retransmissions");
  message.Clear();
  message.set_max_retransmissions(65536);
  EXPECT_EQ(FieldOf(ToMessageOptions(message, 0, &out)), "messages[0].max_retransmissions");
  message.Clear();
  message.set_priority(70000);
  EXPECT_EQ(FieldOf(ToMessageOptions(message, 0, &out)), "messages[0].priority");
  message.Clear();
  message.set_peer_address("peer.example");
  absl::Status address = ToMessageOptions(message, 1, &out);
  EXPECT_EQ(core::ErrorReason(address), "INVALID_ADDRESS");
  EXPECT_EQ(FieldOf(address), "messages[1].peer_address");
}

TEST(OptionsConvertTest, SocketSettingsAreTakenAndRangeChecked) {
  v1::OpenEndpointRequest request;
  v1::SocketSettings* settings = request.mutable_socket_settings();
  settings->set_cookie_life_ms(30000);
  settings->set_receive_window_bytes(65536);
  settings->set_max_segment_bytes(1000);
  settings->set_disable_fragments(true);
  settings->set_partial_delivery_point_bytes(4096);
  settings->set_bundle_messages(true);
  request.set_oversized_messages(v1::OVERSIZED_MESSAGES_ABORT);
  core::EndpointSpec spec;
  ASSERT_TRUE(ToSocketOptions(request, &spec).ok());
  EXPECT_EQ(spec.settings.cookie_life_ms, 30000u);
  EXPECT_EQ(spec.settings.receive_window_bytes, 65536u);
  EXPECT_EQ(spec.settings.max_segment_bytes, 1000u);
  EXPECT_TRUE(spec.settings.disable_fragments);
  EXPECT_EQ(spec.settings.partial_delivery_point_bytes, 4096u);
  EXPECT_TRUE(spec.settings.bundle_messages);
  EXPECT_TRUE(spec.abort_oversized_messages);

  // Unset fields stay unset: the kernel's defaults.
  core::EndpointSpec plain;
  ASSERT_TRUE(ToSocketOptions(v1::OpenEndpointRequest(), &plain).ok());
  EXPECT_FALSE(plain.settings.cookie_life_ms.has_value());
  EXPECT_FALSE(plain.settings.receive_window_bytes.has_value());
  EXPECT_FALSE(plain.abort_oversized_messages);

  auto refused = [](auto set) {
    v1::OpenEndpointRequest bad;
    set(bad.mutable_socket_settings());
    core::EndpointSpec ignored;
    return FieldOf(ToSocketOptions(bad, &ignored));
  };
  EXPECT_EQ(refused([](v1::SocketSettings* s) { s->set_cookie_life_ms(0); }),
            "socket_settings.cookie_life_ms");
  EXPECT_EQ(refused([](v1::SocketSettings* s) { s->set_receive_window_bytes(100); }),
            "socket_settings.receive_window_bytes");
  EXPECT_EQ(refused([](v1::SocketSettings* s) { s->set_max_segment_bytes(70000); }),
            "socket_settings.max_segment_bytes");
  EXPECT_EQ(refused([](v1::SocketSettings* s) {
              s->set_receive_window_bytes(8192);
              s->set_partial_delivery_point_bytes(9000);
            }),
            "socket_settings.partial_delivery_point_bytes");
  v1::OpenEndpointRequest unknown;
  unknown.set_oversized_messages(static_cast<v1::OversizedMessages>(9));
  core::EndpointSpec ignored;
  EXPECT_EQ(FieldOf(ToSocketOptions(unknown, &ignored)), "oversized_messages");
}

TEST(OptionsConvertTest, CounterStreamsAndTheHeartbeatTarget) {
  v1::GetAssociationRequest get;
  get.add_streams(2);
  get.add_streams(70000);
  EXPECT_EQ(FieldOf(ToCounterStreams(get).status()), "streams[1]");
  get.clear_streams();
  for (int i = 0; i < 257; ++i) get.add_streams(1);
  EXPECT_EQ(FieldOf(ToCounterStreams(get).status()), "streams");

  v1::RequestHeartbeatRequest heartbeat;
  auto every = ToHeartbeatTarget(heartbeat);
  ASSERT_TRUE(every.ok());
  EXPECT_FALSE(every->has_value());
  heartbeat.set_peer_address("not an address");
  EXPECT_EQ(core::ErrorReason(ToHeartbeatTarget(heartbeat).status()), "INVALID_ADDRESS");
}

}  // namespace
}  // namespace sctpgw::rpc
