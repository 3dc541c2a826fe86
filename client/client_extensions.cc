// Client's calls of the SCTP extensions: stream reconfiguration (RFC 6525),
// stream scheduling (RFC 8260), SCTP-AUTH keys (RFC 4895); and of the
// socket API's heartbeat on demand (RFC 6458 SPP_HB_DEMAND).
#include "sctpgw/client.h"

namespace sctpgw::client {

absl::Status Client::ResetStreams(uint64_t association_id, v1::StreamResetDirection direction,
                                  const std::vector<uint32_t>& streams,
                                  std::optional<Milliseconds> timeout) {
  v1::ResetStreamsRequest request;
  request.set_session_id(session_id_);
  request.set_association_id(association_id);
  request.set_direction(direction);
  for (uint32_t stream : streams) request.add_streams(stream);
  v1::ResetStreamsResponse response;
  return CallWith(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->ResetStreams(&context, request, &response));
  });
}

absl::Status Client::ResetAssociation(uint64_t association_id, std::optional<Milliseconds> timeout) {
  v1::ResetAssociationRequest request;
  request.set_session_id(session_id_);
  request.set_association_id(association_id);
  v1::ResetAssociationResponse response;
  return CallWith(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->ResetAssociation(&context, request, &response));
  });
}

absl::Status Client::AddStreams(uint64_t association_id, uint32_t outbound, uint32_t inbound,
                                std::optional<Milliseconds> timeout) {
  v1::AddStreamsRequest request;
  request.set_session_id(session_id_);
  request.set_association_id(association_id);
  request.set_outbound(outbound);
  request.set_inbound(inbound);
  v1::AddStreamsResponse response;
  return CallWith(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->AddStreams(&context, request, &response));
  });
}

absl::StatusOr<v1::ConfigureStreamsResponse> Client::ConfigureStreams(
    uint64_t association_id, v1::StreamScheduler scheduler,
    const std::vector<v1::StreamValue>& values, std::optional<Milliseconds> timeout) {
  v1::ConfigureStreamsRequest request;
  request.set_session_id(session_id_);
  request.set_association_id(association_id);
  request.set_scheduler(scheduler);
  for (const v1::StreamValue& value : values) *request.add_values() = value;
  v1::ConfigureStreamsResponse response;
  absl::Status status = CallWith(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->ConfigureStreams(&context, request, &response));
  });
  if (!status.ok()) return status;
  return response;
}

absl::Status Client::ChangeAuthKey(AuthKeyScope scope, uint64_t id, v1::AuthKeyAction action,
                                   uint32_t key_id, const std::string& secret,
                                   std::optional<Milliseconds> timeout) {
  v1::ChangeAuthKeyRequest request;
  request.set_session_id(session_id_);
  if (scope == AuthKeyScope::kEndpoint) {
    request.set_endpoint_id(id);
  } else {
    request.set_association_id(id);
  }
  request.set_action(action);
  request.set_key_id(key_id);
  request.set_secret(secret);
  v1::ChangeAuthKeyResponse response;
  return CallWith(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->ChangeAuthKey(&context, request, &response));
  });
}

absl::Status Client::RequestHeartbeat(uint64_t association_id, const std::string& peer_address,
                                      std::optional<Milliseconds> timeout) {
  v1::RequestHeartbeatRequest request;
  request.set_session_id(session_id_);
  request.set_association_id(association_id);
  request.set_peer_address(peer_address);
  v1::RequestHeartbeatResponse response;
  return CallWith(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->RequestHeartbeat(&context, request, &response));
  });
}

}  // namespace sctpgw::client
