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
#include "server/net/socket_address.h"

namespace sctpgw::net {

// SCTP_GET_PEER_ADDR_INFO of one peer address.
struct PathInfo {
  SocketAddress address;
  int32_t state = 0;  // SCTP_ACTIVE, SCTP_INACTIVE, SCTP_UNCONFIRMED, SCTP_PF.
  uint32_t cwnd = 0;
  uint32_t srtt_ms = 0;
  uint32_t rto_ms = 0;
  uint32_t mtu = 0;
  // This path's own SCTP_PEER_ADDR_PARAMS and SCTP_PEER_ADDR_THLDS.
  uint32_t heartbeat_interval_ms = 0;
  bool heartbeat_enabled = false;
  uint16_t path_max_retransmissions = 0;
  uint16_t potentially_failed_threshold = 0;
};

// Timers and thresholds; an empty field is left as it is when setting.
struct PathParameters {
  // SCTP_RTOINFO, milliseconds.
  std::optional<uint32_t> rto_initial_ms;
  std::optional<uint32_t> rto_min_ms;
  std::optional<uint32_t> rto_max_ms;
  // SCTP_ASSOCINFO: retransmissions before the association fails.
  std::optional<uint16_t> association_max_retransmissions;
  // SCTP_PEER_ADDR_PARAMS, for every path.
  std::optional<uint32_t> heartbeat_interval_ms;
  std::optional<bool> heartbeat_enabled;
  std::optional<uint16_t> path_max_retransmissions;
  // SCTP_PEER_ADDR_THLDS: errors before a path is potentially failed.
  std::optional<uint16_t> potentially_failed_threshold;
  // SCTP_DELAYED_SACK.
  std::optional<uint32_t> sack_delay_ms;
  std::optional<uint32_t> sack_frequency;
};

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

 private:
  sctp_assoc_t Id(sctp_assoc_t assoc_id) const { return one_to_many_ ? assoc_id : 0; }
  absl::Status Get(int name, void* value, socklen_t length, const char* what) const;
  absl::Status Set(int name, const void* value, socklen_t length, const char* what);

  SysCalls& sys_;
  int fd_;
  bool one_to_many_;
};

}  // namespace sctpgw::net
