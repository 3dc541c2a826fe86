#include "server/rpc/status.h"

#include <gtest/gtest.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/core/errors.h"
#include "server/core/receive_dispatcher.h"
#include "server/net/errno_status.h"
#include "server/rpc/convert.h"

namespace sctpgw::rpc {
namespace {

TEST(StatusTest, ErrorsCarryCodeReasonAndMetadata) {
  absl::Status error = core::Error(core::Reason::kStreamOutOfRange, "stream 9 is beyond 4",
                                   {{"field", "messages[0].stream"}});
  grpc::Status status = ToGrpcStatus(error);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "stream 9 is beyond 4");
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  EXPECT_EQ(details.code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "STREAM_OUT_OF_RANGE");
  EXPECT_EQ(info.domain(), "sctpgw.dev");
  EXPECT_EQ(info.metadata().at("field"), "messages[0].stream");
}

TEST(StatusTest, KernelErrorsGetAReason) {
  grpc::Status status =
      ToGrpcStatus(core::FromKernel(net::ErrnoStatus(EADDRINUSE, "sctp_bindx"), "opening"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  status = ToGrpcStatus(core::FromKernel(net::ErrnoStatus(EADDRNOTAVAIL, "sctp_bindx"), "opening"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(ConvertTest, EndpointRequestsAreValidatedFieldByField) {
  v1::OpenEndpointRequest request;
  EXPECT_EQ(core::ErrorReason(ToEndpointSpec(request).status()), "INVALID_ADDRESS");
  request.add_local_addresses("192.0.2.1");
  request.add_local_addresses("2001:db8::1");
  request.set_port(38412);
  auto spec = ToEndpointSpec(request);
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->addresses.size(), 2u);
  EXPECT_EQ(spec->addresses[1].ToString(), "[2001:db8::1]:38412");
  EXPECT_EQ(spec->backlog, 128);

  request.set_port(65536);
  EXPECT_EQ(core::ErrorReason(ToEndpointSpec(request).status()), "INVALID_PORT");
  request.set_port(1);
  request.mutable_init()->set_outbound_streams(70000);
  auto bad = ToEndpointSpec(request);
  EXPECT_EQ(core::ErrorMetadataOf(bad.status())["field"], "init.outbound_streams");
  request.mutable_init()->set_outbound_streams(10);
  request.add_local_addresses("not-an-address");
  bad = ToEndpointSpec(request);
  EXPECT_EQ(core::ErrorReason(bad.status()), "INVALID_ADDRESS");
  EXPECT_EQ(core::ErrorMetadataOf(bad.status())["field"], "local_addresses[2]");
}

TEST(ConvertTest, UdpEncapsulationPortIsAUdpPort) {
  v1::OpenEndpointRequest request;
  request.add_local_addresses("192.0.2.1");
  request.set_udp_encapsulation_port(9899);
  auto spec = ToEndpointSpec(request);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->udp_encapsulation_port, 9899);
  request.set_udp_encapsulation_port(65536);
  auto bad = ToEndpointSpec(request);
  EXPECT_EQ(ToGrpcStatus(bad.status()).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(core::ErrorReason(bad.status()), "INVALID_PORT");
  EXPECT_EQ(core::ErrorMetadataOf(bad.status())["field"], "udp_encapsulation_port");
}

TEST(ConvertTest, OnePathTakesOnlyPerPathParameters) {
  v1::PathParameters parameters;
  parameters.set_heartbeat_interval_ms(500);
  parameters.set_path_max_retransmissions(3);
  EXPECT_TRUE(CheckPerPathParameters(parameters, "parameters").ok());
  parameters.set_sack_delay_ms(10);
  absl::Status status = CheckPerPathParameters(parameters, "parameters");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core::ErrorMetadataOf(status)["field"], "parameters.sack_delay_ms");
}

TEST(ConvertTest, AssociateNeedsAPeerPort) {
  v1::AssociateRequest request;
  request.add_peer_addresses("198.51.100.1");
  EXPECT_EQ(core::ErrorReason(ToAssociateSpec(request).status()), "INVALID_PORT");
  request.set_peer_port(36412);
  EXPECT_TRUE(ToAssociateSpec(request).ok());
}

// The target is checked once, by the core (ReceiveDispatcher::Validate):
// a request without one maps to a spec the core refuses.
TEST(ConvertTest, ReceiveNeedsATarget) {
  v1::ReceiveRequest request;
  auto none = ToReceiveSpec(request);
  ASSERT_TRUE(none.ok());
  auto refused = core::ReceiveDispatcher::Validate(*none, core::Limits{});
  EXPECT_EQ(core::ErrorReason(refused.status()), "INVALID_ARGUMENT");
  EXPECT_EQ(core::ErrorMetadataOf(refused.status())["field"], "target");
  request.set_endpoint_id(3);
  auto spec = ToReceiveSpec(request);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->endpoint_id, 3u);
}

}  // namespace
}  // namespace sctpgw::rpc
