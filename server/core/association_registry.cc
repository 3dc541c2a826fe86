#include "server/core/association_registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"

namespace sctpgw::core {

bool HasAddress(const std::vector<net::SocketAddress>& addresses,
                const net::SocketAddress& address) {
  return std::find(addresses.begin(), addresses.end(), address) != addresses.end();
}

Endpoint& AssociationRegistry::AddEndpoint(Endpoint endpoint) {
  uint64_t id = next_endpoint_id_++;
  endpoint.info.id = id;
  endpoint_sockets_.emplace(endpoint.socket, id);
  endpoints_by_session_[endpoint.session].insert(id);
  return endpoints_.emplace(id, std::move(endpoint)).first->second;
}

Endpoint* AssociationRegistry::FindEndpoint(uint64_t id) {
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? nullptr : &it->second;
}

Endpoint* AssociationRegistry::EndpointOnSocket(net::SocketId socket) {
  auto it = endpoint_sockets_.find(socket);
  return it == endpoint_sockets_.end() ? nullptr : FindEndpoint(it->second);
}

absl::StatusOr<Endpoint*> AssociationRegistry::OwnedEndpoint(const std::string& session,
                                                             uint64_t id) {
  Endpoint* endpoint = FindEndpoint(id);
  if (endpoint == nullptr || endpoint->session != session || endpoint->closing) {
    return Error(Reason::kEndpointNotFound, absl::StrCat("no endpoint ", id),
                 {{"endpoint_id", absl::StrCat(id)}});
  }
  return endpoint;
}

void AssociationRegistry::RemoveEndpoint(uint64_t id) {
  auto it = endpoints_.find(id);
  if (it == endpoints_.end()) return;
  endpoint_sockets_.erase(it->second.socket);
  auto owned = endpoints_by_session_.find(it->second.session);
  if (owned != endpoints_by_session_.end()) {
    owned->second.erase(id);
    if (owned->second.empty()) endpoints_by_session_.erase(owned);
  }
  endpoints_.erase(it);
}

std::vector<uint64_t> AssociationRegistry::EndpointIds() const {
  std::vector<uint64_t> ids;
  for (const auto& [id, endpoint] : endpoints_) ids.push_back(id);
  return ids;
}

std::vector<uint64_t> AssociationRegistry::EndpointsOf(const std::string& session) const {
  auto it = endpoints_by_session_.find(session);
  if (it == endpoints_by_session_.end()) return {};
  return std::vector<uint64_t>(it->second.begin(), it->second.end());
}

Association& AssociationRegistry::AddAssociation(Endpoint& endpoint, net::AssocId kernel_id,
                                                 bool incoming, size_t queue_limit_bytes) {
  AssociationInfo info;
  info.id = next_association_id_++;
  info.endpoint_id = endpoint.info.id;
  info.kernel_id = kernel_id;
  info.incoming = incoming;
  endpoint.associations.insert(info.id);
  endpoint.by_kernel_id[kernel_id] = info.id;
  ++associations_by_session_[endpoint.session];
  uint64_t id = info.id;
  return associations_.try_emplace(id, endpoint.session, std::move(info), queue_limit_bytes)
      .first->second;
}

Association* AssociationRegistry::FindAssociation(uint64_t id) {
  auto it = associations_.find(id);
  return it == associations_.end() ? nullptr : &it->second;
}

Association* AssociationRegistry::AssociationOnSocket(net::SocketId socket) {
  auto it = association_sockets_.find(socket);
  return it == association_sockets_.end() ? nullptr : FindAssociation(it->second);
}

Association* AssociationRegistry::Unattached(Endpoint& endpoint, net::AssocId kernel_id) {
  auto it = endpoint.by_kernel_id.find(kernel_id);
  return it == endpoint.by_kernel_id.end() ? nullptr : FindAssociation(it->second);
}

void AssociationRegistry::Attach(Association& association, net::SocketId socket) {
  if (Endpoint* endpoint = FindEndpoint(association.endpoint_id())) {
    endpoint->by_kernel_id.erase(association.kernel_id());
  }
  association.set_socket(socket);
  association_sockets_[socket] = association.id();
}

net::SocketId AssociationRegistry::Detach(Association& association) {
  net::SocketId socket = association.socket();
  if (socket == 0) return 0;
  association_sockets_.erase(socket);
  draining_[socket] = {association.endpoint_id(), association.id()};
  association.set_socket(0);
  return socket;
}

std::optional<std::pair<uint64_t, uint64_t>> AssociationRegistry::Draining(
    net::SocketId socket) const {
  auto it = draining_.find(socket);
  if (it == draining_.end()) return std::nullopt;
  return it->second;
}

void AssociationRegistry::RemoveAssociation(uint64_t id) {
  auto it = associations_.find(id);
  if (it == associations_.end()) return;
  Association& association = it->second;
  if (Endpoint* endpoint = FindEndpoint(association.endpoint_id())) {
    endpoint->associations.erase(id);
    auto kernel = endpoint->by_kernel_id.find(association.kernel_id());
    if (kernel != endpoint->by_kernel_id.end() && kernel->second == id) {
      endpoint->by_kernel_id.erase(kernel);
    }
  }
  auto count = associations_by_session_.find(association.session());
  if (count != associations_by_session_.end() && --count->second == 0) {
    associations_by_session_.erase(count);
  }
  ended_[id] = association.session();
  ended_order_.push_back(id);
  while (ended_order_.size() > kEndedRemembered) {
    ended_.erase(ended_order_.front());
    ended_order_.pop_front();
  }
  associations_.erase(it);
}

absl::StatusOr<Association*> AssociationRegistry::OwnedAssociation(const std::string& session,
                                                                   uint64_t id) {
  Association* association = FindAssociation(id);
  if (association == nullptr || association->session() != session) return NotFound(session, id);
  return association;
}

absl::Status AssociationRegistry::NotFound(const std::string& session, uint64_t id) const {
  if (auto ended = ended_.find(id); ended != ended_.end() && ended->second == session) {
    return Error(Reason::kAssociationClosed, absl::StrCat("association ", id, " has ended"),
                 {{"association_id", absl::StrCat(id)}});
  }
  return Error(Reason::kAssociationNotFound, absl::StrCat("no association ", id),
               {{"association_id", absl::StrCat(id)}});
}

std::vector<const Association*> AssociationRegistry::AssociationsOf(const std::string& session,
                                                                    uint64_t endpoint_id) const {
  std::vector<const Association*> result;
  for (const auto& [id, association] : associations_) {
    if (association.session() != session) continue;
    if (endpoint_id != 0 && association.endpoint_id() != endpoint_id) continue;
    result.push_back(&association);
  }
  return result;
}

size_t AssociationRegistry::AssociationCountOf(const std::string& session) const {
  auto it = associations_by_session_.find(session);
  return it == associations_by_session_.end() ? 0 : it->second;
}

bool AssociationRegistry::HasAssociationWith(const Endpoint& endpoint,
                                             const std::vector<net::SocketAddress>& peers) const {
  for (uint64_t id : endpoint.associations) {
    auto it = associations_.find(id);
    if (it == associations_.end()) continue;
    for (const net::SocketAddress& peer : peers) {
      if (HasAddress(it->second.info().peer_addresses, peer)) return true;
    }
  }
  return false;
}

}  // namespace sctpgw::core
