// Proto <-> core conversion for GatewayService, with the validation of every
// request field that the proto's types cannot express (address syntax, port
// and stream ranges, enum values). Errors name the field at fault.
#pragma once

#include "absl/status/statusor.h"
#include "sctpgw/v1/gateway_service.pb.h"
#include "server/core/event_log.h"
#include "server/core/gateway_types.h"
#include "server/rpc/limits.h"

namespace sctpgw::rpc {

absl::StatusOr<core::EndpointSpec> ToEndpointSpec(const v1::OpenEndpointRequest& request);
// Numeric addresses from `field` (may be empty), port 0.
absl::StatusOr<std::vector<net::SocketAddress>> ToAddresses(
    const google::protobuf::RepeatedPtrField<std::string>& ips, const char* field);
absl::StatusOr<core::AssociateSpec> ToAssociateSpec(const v1::AssociateRequest& request);
absl::StatusOr<std::vector<core::OutboundMessage>> ToOutboundMessages(v1::SendRequest* request);
absl::StatusOr<core::ReceiveSpec> ToReceiveSpec(const v1::ReceiveRequest& request);
// `field` names the message in errors ("path_parameters", "parameters").
absl::StatusOr<net::PathParameters> ToPathParameters(const v1::PathParameters& parameters,
                                                     const std::string& field);
// With a peer address only per-path fields may be set: INVALID_ARGUMENT
// naming the first association-wide one.
absl::Status CheckPerPathParameters(const v1::PathParameters& parameters, absl::string_view field);

// OpenSessionRequest.liveness; INVALID_ARGUMENT for a value not in the enum.
absl::StatusOr<core::SessionLiveness> ToSessionLiveness(v1::SessionLiveness liveness);
v1::SessionLiveness ToProto(core::SessionLiveness liveness);

void ToProto(const net::SocketAddress& address, v1::TransportAddress* out);
void ToProto(const core::EndpointInfo& info, v1::Endpoint* out);
void ToProto(const core::AssociationInfo& info, v1::Association* out);
void ToProto(const core::AssociationDescription& description, v1::GetAssociationResponse* out);
void ToProto(const net::AssociationStatus& status, v1::AssociationStatus* out);
void ToProto(const net::PathInfo& path, v1::PeerPath* out);
void ToProto(const net::PathParameters& parameters, v1::PathParameters* out);
// Moves the payload.
void ToProto(core::ReceivedMessage&& message, v1::InboundMessage* out);
// A message of a response that was never written, back in the core's form
// (Gateway::ReturnUnwritten).
core::ReceivedMessage FromProto(v1::InboundMessage&& message);
void ToProto(const core::Event& event, v1::Event* out);

// A call's gRPC deadline on the core's clock; without one (or beyond
// kNoDeadlineCap) kNoDeadlineCap.
core::Deadline ToDeadline(std::chrono::system_clock::time_point deadline);

// page_token <-> the last id of the previous page.
absl::StatusOr<uint64_t> ParsePageToken(const std::string& token);
absl::StatusOr<int> PageSize(int requested);

}  // namespace sctpgw::rpc
