// Where the core finds what it holds: endpoints and associations by id, by
// the socket the net layer reports on, and (before they are peeled off) by
// the kernel's association id; which session owns each, and how many each
// session holds; the associations that ended recently, so that late calls
// learn that theirs has ended rather than that it never existed. Lookups on
// behalf of a session never find another session's objects. Runs on the
// core's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/core/association.h"
#include "server/core/endpoint.h"
#include "server/core/gateway_state.h"

namespace sctpgw::core {

// Whether `address` is one of `addresses`.
bool HasAddress(const std::vector<net::SocketAddress>& addresses,
                const net::SocketAddress& address);

class AssociationRegistry {
 public:
  // Associations remembered after they ended.
  static constexpr size_t kEndedRemembered = 4096;

  // Endpoints. Ids are never reused.
  Endpoint& AddEndpoint(Endpoint endpoint);
  Endpoint* FindEndpoint(uint64_t id);
  Endpoint* EndpointOnSocket(net::SocketId socket);
  // The session's endpoint `id`; ENDPOINT_NOT_FOUND for another session's,
  // one that is closing, or none.
  absl::StatusOr<Endpoint*> OwnedEndpoint(const std::string& session, uint64_t id);
  void RemoveEndpoint(uint64_t id);
  std::vector<uint64_t> EndpointIds() const;
  std::vector<uint64_t> AssociationIds() const;
  std::vector<uint64_t> EndpointsOf(const std::string& session) const;
  size_t endpoint_count() const { return endpoints_.size(); }
  // The ids the next endpoint and association will get.
  uint64_t next_endpoint_id() const { return next_endpoint_id_; }
  uint64_t next_association_id() const { return next_association_id_; }

  // Associations. Ids are never reused. A new association is known on its
  // endpoint by its kernel id until Attach() gives it its own socket.
  Association& AddAssociation(Endpoint& endpoint, net::AssocId kernel_id, bool incoming,
                              size_t queue_limit_bytes);
  Association* FindAssociation(uint64_t id);
  Association* AssociationOnSocket(net::SocketId socket);
  // The association of `endpoint` with `kernel_id`, not yet peeled off.
  Association* Unattached(Endpoint& endpoint, net::AssocId kernel_id);
  // The association was peeled off onto `socket`.
  void Attach(Association& association, net::SocketId socket);
  // The association's socket is handed back to be read out and closed;
  // what it still reports belongs to (endpoint, association). Returns the
  // socket (0 if it had none).
  net::SocketId Detach(Association& association);
  // A detached socket: its endpoint and association.
  std::optional<std::pair<uint64_t, uint64_t>> Draining(net::SocketId socket) const;
  void Drained(net::SocketId socket) { draining_.erase(socket); }
  std::vector<net::SocketId> DrainingSockets() const {
    std::vector<net::SocketId> sockets;
    for (const auto& [socket, ids] : draining_) sockets.push_back(socket);
    return sockets;
  }
  // Forgets the association (remembering that it ended). It must be detached.
  void RemoveAssociation(uint64_t id);
  // The session's association `id`: ASSOCIATION_NOT_FOUND for none or
  // another session's, ASSOCIATION_CLOSED for one that ended recently.
  absl::StatusOr<Association*> OwnedAssociation(const std::string& session, uint64_t id);
  absl::Status NotFound(const std::string& session, uint64_t id) const;
  // Associations of `session` (of one endpoint unless `endpoint_id` is 0).
  std::vector<const Association*> AssociationsOf(const std::string& session,
                                                 uint64_t endpoint_id) const;
  size_t AssociationCountOf(const std::string& session) const;
  // Whether `endpoint` has an association with any of `peers`.
  bool HasAssociationWith(const Endpoint& endpoint,
                          const std::vector<net::SocketAddress>& peers) const;
  size_t association_count() const { return associations_.size(); }
  const std::map<uint64_t, Association>& associations() const { return associations_; }

  // What the registry holds, into a GatewayState (its endpoints,
  // associations with their queues, draining sockets, ended associations and
  // next ids); and the same put back into a registry that holds nothing yet.
  // Restore() refuses a state that is not consistent (ids repeated or not
  // below the next ids, an association whose endpoint or session does not
  // match) with INVALID_ARGUMENT, and then holds nothing.
  // With `messages`, what each association has queued too.
  void ExportTo(GatewayState* state, bool messages = true) const;
  absl::Status Restore(const GatewayState& state, size_t queue_limit_bytes);

 private:
  std::map<uint64_t, Endpoint> endpoints_;
  std::map<uint64_t, Association> associations_;
  std::map<net::SocketId, uint64_t> endpoint_sockets_;
  std::map<net::SocketId, uint64_t> association_sockets_;
  // Sockets of ended associations being read out: endpoint and association.
  std::map<net::SocketId, std::pair<uint64_t, uint64_t>> draining_;
  std::map<std::string, std::set<uint64_t>> endpoints_by_session_;
  std::map<std::string, size_t> associations_by_session_;
  // Recently ended associations and their sessions. Bounded.
  std::deque<uint64_t> ended_order_;
  std::map<uint64_t, std::string> ended_;
  uint64_t next_endpoint_id_ = 1;
  uint64_t next_association_id_ = 1;
};

}  // namespace sctpgw::core
