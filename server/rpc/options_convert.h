// The socket API's remaining options between the API's messages and the
// core's types, validated (INVALID_ARGUMENT naming the field): PR-SCTP
// policies and the destination of a message (RFC 7496, RFC 6458 section
// 5.3), an endpoint's socket settings and oversized-message policy, the
// kernel's association counters, and the heartbeat on demand.
#pragma once

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "sctpgw/v1/gateway_service.pb.h"
#include "server/core/gateway_types.h"

namespace sctpgw::rpc {

// Limits (docs/api.md).
inline constexpr uint32_t kMaxPrValue = 65535;
inline constexpr uint32_t kMaxCookieLifeMs = 3'600'000;
inline constexpr uint32_t kMinReceiveWindowBytes = 4096;
inline constexpr uint32_t kMaxReceiveWindowBytes = 64u << 20;
inline constexpr uint32_t kMaxSegmentBytes = 65535;
inline constexpr int kMaxCounterStreams = 256;

// The PR-SCTP policy and destination of message `index` into `out`.
absl::Status ToMessageOptions(const v1::OutboundMessage& message, int index,
                              core::OutboundMessage* out);
// OpenEndpoint's socket_settings and oversized_messages into `spec`.
absl::Status ToSocketOptions(const v1::OpenEndpointRequest& request, core::EndpointSpec* spec);
void SocketOptionsToProto(const core::EndpointInfo& info, v1::Endpoint* out);

// GetAssociation's streams.
absl::StatusOr<std::vector<uint16_t>> ToCounterStreams(const v1::GetAssociationRequest& request);
void ToProto(const net::AssociationStatistics& statistics, v1::AssociationStatistics* out);
void ToProto(const net::PrSctpStatus& status, v1::PrSctpStatus* out);

// RequestHeartbeat's peer address (none: every path).
absl::StatusOr<std::optional<net::SocketAddress>> ToHeartbeatTarget(
    const v1::RequestHeartbeatRequest& request);

}  // namespace sctpgw::rpc
