// Paths and timers of SCTP associations (RFC 6458 section 8): the state of
// every peer address, the primary path, and the retransmission, heartbeat,
// failure-threshold and SACK settings. On an endpoint's socket the settings
// apply to associations made afterwards; on an association's socket, to it.
#pragma once

#include <netinet/in.h>  // Before netinet/sctp.h, which needs it.
#include <netinet/sctp.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "server/net/sctp_socket.h"
#include "server/net/sctp_types.h"
#include "server/net/socket_address.h"

namespace sctpgw::net {

class PathControl {
 public:
  PathControl(SysCalls& sys, int fd, bool one_to_many) : sys_(sys), fd_(fd), one_to_many_(one_to_many) {}

  absl::StatusOr<PathInfo> Path(sctp_assoc_t assoc_id, const SocketAddress& peer) const;
  absl::Status SetPrimary(sctp_assoc_t assoc_id, const SocketAddress& peer);
  absl::StatusOr<PathParameters> Parameters(sctp_assoc_t assoc_id) const;
  // With `path`, only that peer address's heartbeat, path retransmission and
  // potentially-failed settings change; the association-wide fields of
  // `parameters` must then be empty.
  absl::Status SetParameters(sctp_assoc_t assoc_id, const PathParameters& parameters,
                             const SocketAddress* path = nullptr);
  // SCTP_SET_PEER_PRIMARY_ADDR: asks the peer (ASCONF SET_PRIMARY) to make
  // `local`, one of this side's addresses, its primary destination.
  absl::Status SetPeerPrimary(sctp_assoc_t assoc_id, const SocketAddress& local);
  // Sends a HEARTBEAT now to `peer`, or without it to every peer address
  // (SCTP_PEER_ADDR_PARAMS with SPP_HB_DEMAND alone: nothing else changes).
  absl::Status RequestHeartbeat(sctp_assoc_t assoc_id, const SocketAddress* peer);

 private:
  sctp_assoc_t Id(sctp_assoc_t assoc_id) const { return one_to_many_ ? assoc_id : 0; }
  absl::Status Get(int name, void* value, socklen_t length, const char* what) const;
  absl::Status Set(int name, const void* value, socklen_t length, const char* what);

  SysCalls& sys_;
  int fd_;
  bool one_to_many_;
};

}  // namespace sctpgw::net
