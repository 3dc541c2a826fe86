#include "server/core/path_manager.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/net/errno_status.h"

namespace sctpgw::core {

absl::StatusOr<AssociationDescription> PathManager::Describe(Association& association) {
  net::SocketId socket = association.socket();
  net::AssocId kernel_id = association.kernel_id();
  AssociationInfo& info = association.info();
  AssociationDescription description;
  auto status = stack_.Status(socket, kernel_id);
  if (!status.ok()) return FromKernel(status.status(), "getsockopt(SCTP_STATUS)");
  description.status = *status;
  // Addresses can change (ASCONF, peer restart): read them afresh.
  if (auto peers = stack_.PeerAddresses(socket, kernel_id); peers.ok()) {
    info.peer_addresses = *peers;
  }
  if (auto local = stack_.LocalAddresses(socket, kernel_id); local.ok()) {
    info.local_addresses = *local;
  }
  for (const net::SocketAddress& peer : info.peer_addresses) {
    auto path = stack_.Path(socket, kernel_id, peer);
    if (path.ok()) description.paths.push_back(*path);
  }
  auto parameters = stack_.Parameters(socket, kernel_id);
  if (!parameters.ok()) return FromKernel(parameters.status(), "reading path parameters");
  description.parameters = *parameters;
  description.association = association.Snapshot();
  // The peers as the paths report them: the addresses the kernel answered for.
  description.association.peer_addresses.clear();
  for (const net::PathInfo& path : description.paths) {
    description.association.peer_addresses.push_back(path.address);
  }
  return description;
}

absl::Status PathManager::CheckPeer(Association& association, const net::SocketAddress& peer) {
  if (!HasAddress(association.info().peer_addresses, peer)) {
    return Error(Reason::kInvalidAddress,
                 absl::StrCat(peer.Ip(), " is not a peer address of association ",
                              association.id()),
                 {{"field", "peer_address"}});
  }
  return absl::OkStatus();
}

absl::Status PathManager::SetPrimary(Association& association, const net::SocketAddress& peer) {
  net::SocketAddress target = peer;
  target.set_port(association.info().peer_port);
  if (absl::Status known = CheckPeer(association, target); !known.ok()) return known;
  return FromKernel(stack_.SetPrimary(association.socket(), association.kernel_id(), target),
                    "setting the primary path");
}

absl::Status PathManager::RequestHeartbeat(Association& association,
                                           const std::optional<net::SocketAddress>& peer) {
  std::optional<net::SocketAddress> target = peer;
  if (target.has_value()) {
    target->set_port(association.info().peer_port);
    if (absl::Status known = CheckPeer(association, *target); !known.ok()) return known;
  }
  return FromKernel(stack_.RequestHeartbeat(association.socket(), association.kernel_id(), target),
                    "requesting a heartbeat");
}

absl::Status PathManager::RequestPeerPrimary(Association& association,
                                             const net::SocketAddress& local) {
  Endpoint* endpoint = registry_.FindEndpoint(association.endpoint_id());
  if (endpoint == nullptr || !endpoint->info.address_reconfiguration) {
    return Error(Reason::kReconfigurationUnsupported,
                 absl::StrCat("endpoint ", association.endpoint_id(),
                              " was opened without address_reconfiguration"));
  }
  net::SocketAddress target = local;
  target.set_port(endpoint->info.port);
  auto addresses = stack_.LocalAddresses(association.socket(), association.kernel_id());
  if (!addresses.ok()) return FromKernel(addresses.status(), "reading the local addresses");
  association.info().local_addresses = *addresses;
  if (!HasAddress(*addresses, target)) {
    return Error(Reason::kInvalidAddress,
                 absl::StrCat(target.Ip(), " is not a local address of association ",
                              association.id()),
                 {{"field", "local_address"}});
  }
  absl::Status status =
      stack_.SetPeerPrimary(association.socket(), association.kernel_id(), target);
  if (net::StatusErrno(status) == EPERM) {
    return Error(Reason::kReconfigurationUnsupported,
                 absl::StrCat("the peer of association ", association.id(),
                              " does not support address reconfiguration (ASCONF with AUTH)"));
  }
  return FromKernel(status, "asking the peer to change its primary path");
}

absl::StatusOr<PathConfiguration> PathManager::Configure(Association& association,
                                                         const net::PathParameters& parameters,
                                                         std::optional<net::SocketAddress> peer) {
  net::SocketId socket = association.socket();
  net::AssocId kernel_id = association.kernel_id();
  PathConfiguration result;
  if (peer.has_value()) {
    peer->set_port(association.info().peer_port);
    if (auto peers = stack_.PeerAddresses(socket, kernel_id); peers.ok()) {
      association.info().peer_addresses = *peers;
    }
    if (absl::Status known = CheckPeer(association, *peer); !known.ok()) return known;
    absl::Status status = stack_.SetPathParameters(socket, kernel_id, *peer, parameters);
    if (!status.ok()) return FromKernel(status, "setting the path's parameters");
    auto path = stack_.Path(socket, kernel_id, *peer);
    if (!path.ok()) return FromKernel(path.status(), "reading the path");
    result.path = *path;
  } else {
    absl::Status status = stack_.SetParameters(socket, kernel_id, parameters);
    if (!status.ok()) return FromKernel(status, "setting path parameters");
  }
  auto now = stack_.Parameters(socket, kernel_id);
  if (!now.ok()) return FromKernel(now.status(), "reading path parameters");
  result.parameters = *now;
  return result;
}

absl::Status PathManager::ChangeAddresses(Endpoint& endpoint, std::vector<net::SocketAddress> add,
                                          std::vector<net::SocketAddress> remove) {
  if (add.empty() && remove.empty()) {
    return Error(Reason::kInvalidArgument, "nothing to add or remove",
                 {{"field", "add_addresses"}});
  }
  for (auto* list : {&add, &remove}) {
    for (net::SocketAddress& address : *list) address.set_port(endpoint.info.port);
  }
  // With ASCONF, live associations change too (their peers are told). Their
  // sockets bind new addresses before the endpoint's: a listening socket
  // holding an address keeps any other socket from binding it.
  std::vector<net::SocketId> sockets;
  if (endpoint.info.address_reconfiguration) {
    for (uint64_t association_id : endpoint.associations) {
      Association* association = registry_.FindAssociation(association_id);
      if (association != nullptr && association->socket() != 0 &&
          association->state() == AssociationState::kEstablished) {
        sockets.push_back(association->socket());
      }
    }
  }
  sockets.push_back(endpoint.socket);
  for (size_t i = 0; i < sockets.size(); ++i) {
    absl::Status status = stack_.ChangeAddresses(sockets[i], add, remove);
    if (!status.ok()) {
      for (size_t j = 0; j < i; ++j) (void)stack_.ChangeAddresses(sockets[j], remove, add);
      return FromKernel(status, sockets[i] == endpoint.socket
                                    ? "changing the endpoint's addresses"
                                    : "changing the addresses of a live association");
    }
  }
  if (auto local = stack_.LocalAddresses(endpoint.socket, 0); local.ok()) {
    endpoint.info.local_addresses = *local;
  }
  return absl::OkStatus();
}

}  // namespace sctpgw::core
