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

std::vector<uint64_t> AssociationRegistry::AssociationIds() const {
  std::vector<uint64_t> ids;
  for (const auto& [id, association] : associations_) ids.push_back(id);
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

void AssociationRegistry::ExportTo(GatewayState* state, bool messages) const {
  for (const auto& [id, endpoint] : endpoints_) {
    EndpointRecord record;
    record.session = endpoint.session;
    record.closing = endpoint.closing;
    record.info = endpoint.info;
    record.socket = endpoint.socket;
    record.max_send_bytes = endpoint.max_send_bytes;
    record.next_receive_from = endpoint.next_receive_from;
    state->endpoints.push_back(std::move(record));
  }
  for (const auto& [id, association] : associations_) {
    AssociationRecord record;
    record.session = association.session();
    record.info = association.info();
    record.socket = association.socket();
    if (messages) record.queue = association.QueuedMessages();
    record.abort_detail = association.abort_detail;
    record.associate_interrupted = association.associate_interrupted;
    record.shutdown_interrupted = association.shutdown_interrupted;
    state->associations.push_back(std::move(record));
  }
  for (const auto& [socket, ids] : draining_) {
    state->draining.push_back({socket, ids.first, ids.second});
  }
  for (uint64_t id : ended_order_) state->ended.emplace_back(id, ended_.at(id));
  state->next_endpoint_id = next_endpoint_id_;
  state->next_association_id = next_association_id_;
}

absl::Status AssociationRegistry::Restore(const GatewayState& state, size_t queue_limit_bytes) {
  auto invalid = [this](const std::string& why) {
    *this = AssociationRegistry();
    return Error(Reason::kInvalidArgument, absl::StrCat("handover state: ", why));
  };
  if (!endpoints_.empty() || !associations_.empty()) return invalid("the registry is not empty");
  next_endpoint_id_ = state.next_endpoint_id;
  next_association_id_ = state.next_association_id;
  for (const EndpointRecord& record : state.endpoints) {
    const uint64_t id = record.info.id;
    if (id == 0 || id >= next_endpoint_id_ || endpoints_.count(id) != 0) {
      return invalid(absl::StrCat("endpoint id ", id, " repeated or out of range"));
    }
    if (record.socket == 0 || endpoint_sockets_.count(record.socket) != 0) {
      return invalid(absl::StrCat("endpoint ", id, " has no socket of its own"));
    }
    Endpoint endpoint;
    endpoint.session = record.session;
    endpoint.closing = record.closing;
    endpoint.info = record.info;
    endpoint.socket = record.socket;
    endpoint.max_send_bytes = record.max_send_bytes;
    endpoint.next_receive_from = record.next_receive_from;
    endpoint_sockets_.emplace(record.socket, id);
    endpoints_by_session_[record.session].insert(id);
    endpoints_.emplace(id, std::move(endpoint));
  }
  for (const AssociationRecord& record : state.associations) {
    const uint64_t id = record.info.id;
    if (id == 0 || id >= next_association_id_ || associations_.count(id) != 0) {
      return invalid(absl::StrCat("association id ", id, " repeated or out of range"));
    }
    Endpoint* endpoint = FindEndpoint(record.info.endpoint_id);
    if (endpoint == nullptr || endpoint->session != record.session) {
      return invalid(absl::StrCat("association ", id, " names endpoint ", record.info.endpoint_id,
                                  " of another session or none"));
    }
    if (record.socket != 0 &&
        (association_sockets_.count(record.socket) != 0 ||
         endpoint_sockets_.count(record.socket) != 0)) {
      return invalid(absl::StrCat("association ", id, " shares a socket"));
    }
    Association& association =
        associations_.try_emplace(id, record.session, record.info, queue_limit_bytes)
            .first->second;
    association.abort_detail = record.abort_detail;
    association.associate_interrupted = record.associate_interrupted;
    association.shutdown_interrupted = record.shutdown_interrupted;
    for (const net::InboundMessage& message : record.queue) association.Queue(message);
    endpoint->associations.insert(id);
    ++associations_by_session_[record.session];
    if (record.socket != 0) {
      association.set_socket(record.socket);
      association_sockets_[record.socket] = id;
    } else if (record.info.state == AssociationState::kConnecting) {
      endpoint->by_kernel_id[record.info.kernel_id] = id;
    }
  }
  for (const DrainingRecord& record : state.draining) {
    if (record.socket == 0 || association_sockets_.count(record.socket) != 0 ||
        endpoint_sockets_.count(record.socket) != 0 || draining_.count(record.socket) != 0) {
      return invalid("a draining socket is in use");
    }
    draining_[record.socket] = {record.endpoint_id, record.association_id};
  }
  for (const auto& [id, session] : state.ended) {
    if (ended_.count(id) != 0 || associations_.count(id) != 0) continue;
    ended_[id] = session;
    ended_order_.push_back(id);
  }
  while (ended_order_.size() > kEndedRemembered) {
    ended_.erase(ended_order_.front());
    ended_order_.pop_front();
  }
  return absl::OkStatus();
}

}  // namespace sctpgw::core
