#include "server/rpc/extensions_convert.h"

#include <gtest/gtest.h>

#include <string>

#include "server/core/errors.h"

namespace sctpgw::rpc {
namespace {

std::string FieldOf(const absl::Status& status) {
  return core::ErrorMetadataOf(status)["field"];
}

v1::OpenEndpointRequest WithAuth() {
  v1::OpenEndpointRequest request;
  v1::AuthKey* key = request.mutable_auth()->add_keys();
  key->set_key_id(1);
  key->set_secret("secret");
  request.mutable_auth()->add_chunk_types(0);
  request.mutable_auth()->set_active_key_id(1);
  return request;
}

TEST(ExtensionsConvertTest, EndpointOptionsAreTakenWhole) {
  v1::OpenEndpointRequest request = WithAuth();
  request.mutable_stream_reconfiguration()->set_add_streams(true);
  request.set_interleaving(true);
  request.set_stream_scheduler(v1::STREAM_SCHEDULER_PRIORITY);
  core::EndpointSpec spec;
  ASSERT_TRUE(ToExtensions(request, &spec).ok());
  EXPECT_TRUE(spec.stream_reconfiguration.add_streams);
  EXPECT_FALSE(spec.stream_reconfiguration.reset_streams);
  EXPECT_TRUE(spec.interleaving);
  EXPECT_EQ(spec.scheduler, net::StreamScheduler::kPriority);
  ASSERT_EQ(spec.auth.keys.size(), 1u);
  EXPECT_EQ(spec.auth.keys[0].secret, "secret");
  EXPECT_EQ(spec.auth.active_key, 1);
  EXPECT_EQ(spec.auth.chunk_types, std::vector<uint8_t>{0});
}

// Each bad field is named; a secret is never echoed.
TEST(ExtensionsConvertTest, BadEndpointOptionsAreRefusedNamingTheField) {
  core::EndpointSpec spec;
  v1::OpenEndpointRequest request = WithAuth();
  request.mutable_auth()->set_chunk_types(0, 15);
  EXPECT_EQ(FieldOf(ToExtensions(request, &spec)), "auth.chunk_types[0]");
  request = WithAuth();
  request.mutable_auth()->set_chunk_types(0, 256);
  EXPECT_EQ(FieldOf(ToExtensions(request, &spec)), "auth.chunk_types[0]");
  request = WithAuth();
  request.mutable_auth()->mutable_keys(0)->set_secret(std::string(129, 'S'));
  absl::Status status = ToExtensions(request, &spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()).find("SSSS"), std::string::npos);
  request = WithAuth();
  *request.mutable_auth()->add_keys() = request.auth().keys(0);
  EXPECT_EQ(FieldOf(ToExtensions(request, &spec)), "auth.keys[1].key_id");
  request = WithAuth();
  request.mutable_auth()->set_active_key_id(7);
  EXPECT_EQ(FieldOf(ToExtensions(request, &spec)), "auth.active_key_id");
  request = WithAuth();
  request.set_stream_scheduler(static_cast<v1::StreamScheduler>(99));
  EXPECT_EQ(FieldOf(ToExtensions(request, &spec)), "stream_scheduler");
}

TEST(ExtensionsConvertTest, ReconfigurationRequestsAreChecked) {
  v1::ResetStreamsRequest reset;
  EXPECT_EQ(FieldOf(ToStreamReset(reset).status()), "direction");
  reset.set_direction(v1::STREAM_RESET_DIRECTION_BOTH);
  reset.add_streams(70000);
  EXPECT_EQ(FieldOf(ToStreamReset(reset).status()), "streams[0]");
  reset.set_streams(0, 3);
  auto taken = ToStreamReset(reset);
  ASSERT_TRUE(taken.ok());
  EXPECT_TRUE(taken->incoming && taken->outgoing);
  EXPECT_EQ(taken->streams, std::vector<uint16_t>{3});
  v1::AddStreamsRequest add;
  EXPECT_EQ(FieldOf(ToStreamAddition(add).status()), "outbound");
  add.set_inbound(70000);
  EXPECT_EQ(FieldOf(ToStreamAddition(add).status()), "inbound");
}

TEST(ExtensionsConvertTest, StreamValuesAreChecked) {
  v1::ConfigureStreamsRequest request;
  v1::StreamValue* value = request.add_values();
  value->set_stream(1);
  value->set_value(70000);
  absl::Status status = ToStreamScheduling(request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(FieldOf(status), "values[0].value");
  value->set_value(7);
  request.set_scheduler(static_cast<v1::StreamScheduler>(42));
  EXPECT_EQ(FieldOf(ToStreamScheduling(request).status()), "scheduler");
}

TEST(ExtensionsConvertTest, AuthKeyChangesNeedOneTargetAndAnAction) {
  v1::ChangeAuthKeyRequest request;
  request.set_action(v1::AUTH_KEY_ACTION_ADD);
  request.set_secret("k");
  EXPECT_EQ(FieldOf(ToAuthKeyChange(request).status()), "endpoint_id");
  request.set_endpoint_id(1);
  request.set_association_id(2);
  EXPECT_EQ(FieldOf(ToAuthKeyChange(request).status()), "endpoint_id");
  request.clear_association_id();
  ASSERT_TRUE(ToAuthKeyChange(request).ok());
  request.set_action(v1::AUTH_KEY_ACTION_DELETE);
  EXPECT_EQ(FieldOf(ToAuthKeyChange(request).status()), "secret");
  request.clear_secret();
  request.set_key_id(65536);
  EXPECT_EQ(FieldOf(ToAuthKeyChange(request).status()), "key_id");
  request.set_key_id(2);
  request.set_action(v1::AUTH_KEY_ACTION_UNSPECIFIED);
  EXPECT_EQ(FieldOf(ToAuthKeyChange(request).status()), "action");
}

}  // namespace
}  // namespace sctpgw::rpc
