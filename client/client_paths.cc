// Client's calls of paths and addresses: timers and thresholds of an
// association or of one path (ConfigurePaths), an endpoint's local
// addresses (UpdateEndpointAddresses, RFC 5061) and the peer's primary
// path (RequestPeerPrimaryPath, ASCONF SET_PRIMARY).
#include "sctpgw/client.h"

namespace sctpgw::client {

absl::StatusOr<v1::ConfigurePathsResponse> Client::ConfigurePaths(
    uint64_t association_id, const v1::PathParameters& parameters, const std::string& peer_address,
    std::optional<Milliseconds> timeout) {
  v1::ConfigurePathsRequest request;
  request.set_session_id(session_id_);
  request.set_association_id(association_id);
  *request.mutable_parameters() = parameters;
  request.set_peer_address(peer_address);
  v1::ConfigurePathsResponse response;
  absl::Status status = CallWith(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->ConfigurePaths(&context, request, &response));
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::Endpoint> Client::UpdateEndpointAddresses(
    uint64_t endpoint_id, const std::vector<std::string>& add,
    const std::vector<std::string>& remove, std::optional<Milliseconds> timeout) {
  v1::UpdateEndpointAddressesRequest request;
  request.set_session_id(session_id_);
  request.set_endpoint_id(endpoint_id);
  for (const std::string& address : add) request.add_add_addresses(address);
  for (const std::string& address : remove) request.add_remove_addresses(address);
  v1::UpdateEndpointAddressesResponse response;
  absl::Status status = CallWith(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->UpdateEndpointAddresses(&context, request, &response));
  });
  if (!status.ok()) return status;
  return response.endpoint();
}

absl::Status Client::RequestPeerPrimaryPath(uint64_t association_id,
                                            const std::string& local_address,
                                            std::optional<Milliseconds> timeout) {
  v1::RequestPeerPrimaryPathRequest request;
  request.set_session_id(session_id_);
  request.set_association_id(association_id);
  request.set_local_address(local_address);
  v1::RequestPeerPrimaryPathResponse response;
  return CallWith(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->RequestPeerPrimaryPath(&context, request, &response));
  });
}

}  // namespace sctpgw::client
