// The paths of live associations and the addresses of live endpoints:
// what the kernel says of each path, the primary path on both sides, the
// timers and thresholds in force, and local addresses added or removed
// (with ASCONF, on the live associations too). The façade finds and checks
// the association or endpoint; this does the work on its socket. Runs on the
// core's thread.
#pragma once

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/core/association_registry.h"
#include "server/core/gateway_types.h"
#include "server/net/sctp_stack.h"

namespace sctpgw::core {

class PathManager {
 public:
  PathManager(net::SctpStack& stack, AssociationRegistry& registry)
      : stack_(stack), registry_(registry) {}

  // SCTP_STATUS, every path and the parameters of a live association; its
  // addresses are read afresh and kept.
  absl::StatusOr<AssociationDescription> Describe(Association& association);
  absl::Status SetPrimary(Association& association, const net::SocketAddress& peer);
  absl::Status RequestPeerPrimary(Association& association, const net::SocketAddress& local);
  // A HEARTBEAT now to `peer` (one of the association's addresses; its
  // port is the association's) or to every peer address.
  absl::Status RequestHeartbeat(Association& association,
                                const std::optional<net::SocketAddress>& peer);
  absl::StatusOr<PathConfiguration> Configure(Association& association,
                                              const net::PathParameters& parameters,
                                              std::optional<net::SocketAddress> peer);
  // Adds and removes local addresses: first on the endpoint's live
  // associations (with ASCONF), then on the endpoint; undone where done if
  // one fails.
  absl::Status ChangeAddresses(Endpoint& endpoint, std::vector<net::SocketAddress> add,
                               std::vector<net::SocketAddress> remove);

 private:
  // Reads the peer addresses afresh; `peer` must be one of them.
  absl::Status CheckPeer(Association& association, const net::SocketAddress& peer);

  net::SctpStack& stack_;
  AssociationRegistry& registry_;
};

}  // namespace sctpgw::core
