// The values the core's callers hand in and get back: what to open, what an
// endpoint or association looks like now, messages both ways, statistics,
// and the completion callback of the operations that wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/net/sctp_stack.h"

namespace sctpgw::core {

// What keeps a session alive: its connection (an open stream holds it, any
// call renews it) or only the application's own renewals (RenewLease), so
// that an application whose loop hangs loses its associations.
enum class SessionLiveness { kConnection, kApplication };

struct SessionInfo {
  std::string id;  // 128 random bits, hex: what the application is given.
  // How calls name the session (SessionKey): the id, bound to the identity
  // that opened it when there was one.
  std::string key;
  std::chrono::milliseconds lease{0};
  SessionLiveness liveness = SessionLiveness::kConnection;
};

struct EndpointSpec {
  std::vector<net::SocketAddress> addresses;  // All with the endpoint's port.
  bool listen = false;
  int backlog = 128;
  net::InitParams init;
  // Timers and thresholds for the endpoint's associations.
  net::PathParameters path_parameters;
  // RFC 5061 ASCONF offered to peers.
  bool address_reconfiguration = false;
  // SCTP over UDP (RFC 6951): the peer's UDP port; 0 = directly over IP.
  uint16_t udp_encapsulation_port = 0;
  // Stream reconfiguration (RFC 6525), message interleaving (RFC 8260), the
  // stream scheduler and SCTP-AUTH (RFC 4895) of the endpoint's
  // associations.
  net::StreamReconfiguration stream_reconfiguration;
  bool interleaving = false;
  net::StreamScheduler scheduler = net::StreamScheduler::kDefault;
  net::AuthConfig auth;
  // The socket API's remaining settings; incoming messages longer than
  // Limits::max_message_bytes abort their association rather than arrive in
  // parts.
  net::SocketSettings settings;
  bool abort_oversized_messages = false;
};

struct EndpointInfo {
  uint64_t id = 0;
  std::vector<net::SocketAddress> local_addresses;
  uint16_t port = 0;
  bool listening = false;
  bool address_reconfiguration = false;
  uint16_t udp_encapsulation_port = 0;
  net::StreamReconfiguration stream_reconfiguration;
  bool interleaving = false;
  net::StreamScheduler scheduler = net::StreamScheduler::kDefault;
  // SCTP-AUTH offered; the chunk types required authenticated and the ids
  // of the keys given when it was opened (never the secrets).
  bool auth = false;
  std::vector<uint8_t> auth_chunk_types;
  std::vector<uint16_t> auth_key_ids;
  // The socket settings as the kernel reported them when it was opened.
  net::SocketSettings settings;
  bool abort_oversized_messages = false;
  size_t association_count = 0;
};

enum class AssociationState { kConnecting, kEstablished, kShuttingDown, kClosed };
const char* AssociationStateName(AssociationState state);

struct AssociationInfo {
  uint64_t id = 0;
  uint64_t endpoint_id = 0;
  net::AssocId kernel_id = 0;
  AssociationState state = AssociationState::kConnecting;
  bool incoming = false;
  uint16_t inbound_streams = 0;
  uint16_t outbound_streams = 0;
  std::vector<net::SocketAddress> local_addresses;
  std::vector<net::SocketAddress> peer_addresses;
  uint16_t peer_port = 0;
  size_t queued_messages = 0;
  size_t queued_bytes = 0;
  size_t waiting_receives = 0;
};

// An association as sctpgw holds it and, while it is up, as the kernel
// sees it: SCTP_STATUS, every path, the timers and thresholds in force. The
// addresses in `association` are then read afresh (ASCONF and peer restarts
// change them).
struct AssociationDescription {
  AssociationInfo association;
  std::optional<net::AssociationStatus> status;
  std::vector<net::PathInfo> paths;
  std::optional<net::PathParameters> parameters;
  std::optional<net::StreamSettings> streams;
  std::optional<net::AuthStatus> auth;
  std::optional<net::AssociationStatistics> statistics;
  std::optional<net::PrSctpStatus> pr_sctp;
};

// The target of a SCTP-AUTH key change: an endpoint (its associations to
// come and those it has) or one association; exactly one is set.
struct AuthKeyTarget {
  uint64_t endpoint_id = 0;
  uint64_t association_id = 0;
};

struct PathConfiguration {
  net::PathParameters parameters;    // The association's.
  std::optional<net::PathInfo> path;  // The path configured, if one was named.
};

struct AssociateSpec {
  uint64_t endpoint_id = 0;
  std::vector<net::SocketAddress> peers;  // All with the peer's port.
  net::InitParams init;
};

struct OutboundMessage {
  uint32_t stream = 0;  // Wider than SCTP's 16 bits so out-of-range values are caught, not wrapped.
  uint32_t ppid = 0;
  bool unordered = false;
  // PR-SCTP: how and after what the message may be abandoned.
  net::SendInfo::PrPolicy pr_policy = net::SendInfo::PrPolicy::kReliable;
  uint32_t pr_value = 0;
  uint32_t context = 0;
  std::string payload;
  // Sent to this peer address (its port is the association's) rather than
  // the primary; it must be one of the association's.
  std::optional<net::SocketAddress> peer_address;
};

struct ReceivedMessage {
  uint64_t association_id = 0;
  net::InboundMessage message;
};

struct ReceiveSpec {
  // Exactly one of the two: one association, or any association of an
  // endpoint.
  uint64_t association_id = 0;
  uint64_t endpoint_id = 0;
  size_t max_messages = 0;  // 0 = Limits::default_messages_per_receive.
  size_t max_bytes = 0;     // 0 = Limits::default_bytes_per_receive.
};

// One live association's kernel counters, for metrics.
struct AssociationCountersSnapshot {
  uint64_t association_id = 0;
  uint64_t endpoint_id = 0;
  net::AssociationStatistics statistics;
  net::AbandonedByPolicy abandoned;
};

// What the gateway holds now and has done since it started, for metrics.
struct GatewayStats {
  size_t sessions = 0;
  size_t endpoints = 0;
  std::map<AssociationState, size_t> associations;  // By state.
  size_t queued_messages = 0;  // Received, waiting for Receive.
  size_t queued_bytes = 0;
  size_t waiting_operations = 0;  // Associate/Send/Receive/Shutdown calls waiting.
  // Since start.
  uint64_t messages_received = 0;
  uint64_t bytes_received = 0;
  uint64_t messages_sent = 0;  // Accepted by the kernel.
  uint64_t bytes_sent = 0;
  uint64_t send_errors = 0;  // Refused by the kernel (not counting a full buffer).
  uint64_t sessions_opened = 0;
  // Notifications by type and, for association and peer address changes,
  // state: {"assoc_change", "COMM_UP"}, {"peer_addr_change", "ADDR_UNREACHABLE"},
  // {"send_failed", ""}, ...
  std::map<std::pair<std::string, std::string>, uint64_t> events;
  // Every live association's counters (Gateway::ReadCounters()).
  std::vector<AssociationCountersSnapshot> association_counters;
};

// Where the gateway stands, as a whole.
enum class GatewayCondition {
  kServing,
  kHandingOver,  // Frozen for a handover (Freeze() until Thaw() or Release()).
  kHandedOver,   // Released: another process holds everything.
  kStopping,     // Close(): the service is stopping.
};

// How an operation that waits reports its end: exactly once, on the core's
// thread, and never inside the call that started the operation.
template <typename T>
using Done = std::function<void(absl::StatusOr<T>)>;
using OperationId = uint64_t;
using Deadline = std::chrono::steady_clock::time_point;

}  // namespace sctpgw::core
