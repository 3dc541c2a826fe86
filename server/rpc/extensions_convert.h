// The SCTP extensions' requests and answers (stream reconfiguration, RFC
// 6525; message interleaving and stream scheduling, RFC 8260; SCTP-AUTH,
// RFC 4895) between the API's messages and the core's types, validated:
// INVALID_ARGUMENT naming the field for anything out of range.
#pragma once

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "sctpgw/v1/gateway_service.pb.h"
#include "server/core/gateway_types.h"

namespace sctpgw::rpc {

// Limits of one request (docs/api.md).
inline constexpr int kMaxStreamsPerRequest = 256;
inline constexpr int kMaxAuthChunkTypes = 32;
inline constexpr int kMaxAuthKeys = 16;
inline constexpr size_t kMaxAuthSecretBytes = 128;

// OpenEndpoint's stream_reconfiguration, interleaving, stream_scheduler and
// auth, into `spec`.
absl::Status ToExtensions(const v1::OpenEndpointRequest& request, core::EndpointSpec* spec);
void ExtensionsToProto(const core::EndpointInfo& info, v1::Endpoint* out);

absl::StatusOr<net::StreamReconfigRequest> ToStreamReset(const v1::ResetStreamsRequest& request);
absl::StatusOr<net::StreamReconfigRequest> ToStreamAddition(const v1::AddStreamsRequest& request);
absl::StatusOr<std::pair<net::StreamScheduler, std::vector<net::StreamValue>>> ToStreamScheduling(
    const v1::ConfigureStreamsRequest& request);
absl::StatusOr<std::pair<core::AuthKeyTarget, net::AuthKeyChange>> ToAuthKeyChange(
    const v1::ChangeAuthKeyRequest& request);

v1::StreamScheduler ToProto(net::StreamScheduler scheduler);
void ToProto(const net::StreamSettings& settings, v1::StreamSettings* out);
void ToProto(const net::AuthStatus& status, v1::AuthStatus* out);

}  // namespace sctpgw::rpc
