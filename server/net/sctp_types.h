// The plain values the net layer hands to the layers above it: how a message
// is sent, what SCTP_STATUS and the path options say, the parameters of new
// associations. Kernel values (SCTP_* constants, sctp_assoc_t) are decoded
// into these types inside net; nothing above net includes <netinet/sctp.h>.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/net/socket_address.h"

namespace sctpgw::net {

// The kernel's id of an association on a one-to-many socket (sctp_assoc_t).
using AssocId = int32_t;

// SCTP_INITMSG; zero leaves the kernel's default.
struct InitParams {
  uint16_t num_ostreams = 0;
  uint16_t max_instreams = 0;
  uint16_t max_attempts = 0;
  uint16_t max_init_timeout_ms = 0;
};

// How one message is sent.
struct SendInfo {
  AssocId assoc_id = 0;        // Ignored on one-to-one sockets.
  uint16_t stream = 0;
  uint32_t ppid = 0;           // Host byte order; sent in network order.
  bool unordered = false;
  // PR-SCTP (RFC 7496, SCTP_PRINFO): when the message may be abandoned.
  // kTimed: after pr_value milliseconds; kRetransmissions: after pr_value
  // retransmissions; kPriority: to make room for a message with a smaller
  // pr_value when the send buffer is full.
  enum class PrPolicy { kReliable, kTimed, kRetransmissions, kPriority };
  PrPolicy pr_policy = PrPolicy::kReliable;
  uint32_t pr_value = 0;
  uint32_t context = 0;        // Returned in a SEND_FAILED notification.
  // Sent to this peer address rather than the primary (SCTP_ADDR_OVER);
  // unset: the primary path.
  std::optional<SocketAddress> destination;
  // Instead of data: the SHUTDOWN handshake (SCTP_EOF) or an ABORT whose
  // user-initiated cause carries the data (SCTP_ABORT).
  enum class Control { kNone, kEndOfFile, kAbort };
  Control control = Control::kNone;
};

// The state of one peer address (enum sctp_spinfo_state).
enum class PathState { kUnknown, kActive, kInactive, kUnconfirmed, kPotentiallyFailed };

// The association's protocol state as SCTP_STATUS gives it (enum
// sctp_sstat_state, RFC 9260 section 4).
enum class ProtocolState {
  kUnknown,
  kClosed,
  kCookieWait,
  kCookieEchoed,
  kEstablished,
  kShutdownPending,
  kShutdownSent,
  kShutdownReceived,
  kShutdownAckSent,
};

// SCTP_STATUS of one association (RFC 6458 section 8.2.1).
struct AssociationStatus {
  ProtocolState state = ProtocolState::kUnknown;
  uint32_t peer_rwnd = 0;
  uint16_t unacked_chunks = 0;
  uint16_t pending_chunks = 0;
  uint16_t inbound_streams = 0;
  uint16_t outbound_streams = 0;
  uint32_t fragmentation_point = 0;
  // The primary path.
  SocketAddress primary_address;
  PathState primary_state = PathState::kUnknown;
  uint32_t primary_cwnd = 0;
  uint32_t primary_srtt_ms = 0;
  uint32_t primary_rto_ms = 0;
  uint32_t primary_mtu = 0;
  // The peer's UDP port when the association runs over UDP (RFC 6951,
  // SCTP_REMOTE_UDP_ENCAPS_PORT); 0 = directly over IP.
  uint16_t udp_encapsulation_port = 0;
};

// SCTP_GET_PEER_ADDR_INFO of one peer address.
struct PathInfo {
  SocketAddress address;
  PathState state = PathState::kUnknown;
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

// Stream reconfiguration (RFC 6525): the requests an endpoint's
// associations make and accept (SCTP_ENABLE_STREAM_RESET).
struct StreamReconfiguration {
  bool reset_streams = false;      // SCTP_ENABLE_RESET_STREAM_REQ
  bool reset_association = false;  // SCTP_ENABLE_RESET_ASSOC_REQ
  bool add_streams = false;        // SCTP_ENABLE_CHANGE_ASSOC_REQ
  bool any() const { return reset_streams || reset_association || add_streams; }
};

// One reconfiguration request of a live association.
struct StreamReconfigRequest {
  enum class Kind { kResetStreams, kResetAssociation, kAddStreams };
  Kind kind = Kind::kResetStreams;
  // kResetStreams: which directions, and which streams (empty: all).
  bool outgoing = false;
  bool incoming = false;
  std::vector<uint16_t> streams;
  // kAddStreams.
  uint16_t add_outbound = 0;
  uint16_t add_inbound = 0;
};

// SCTP_SS_*; kDefault leaves the kernel's.
enum class StreamScheduler { kDefault, kFirstCome, kPriority, kRoundRobin, kFairCapacity, kWeightedFair };

// A stream's priority or weight (SCTP_STREAM_SCHEDULER_VALUE).
struct StreamValue {
  uint16_t stream = 0;
  uint16_t value = 0;
};

// Stream settings of a live association as the kernel has them.
struct StreamSettings {
  StreamScheduler scheduler = StreamScheduler::kDefault;
  bool interleaving = false;  // I-DATA in use.
  StreamReconfiguration reconfiguration;
  std::vector<StreamValue> values;  // Those asked for.
};

// SCTP-AUTH (RFC 4895).
struct AuthKey {
  uint16_t id = 0;
  std::string secret;
};

struct AuthConfig {
  bool enabled = false;
  std::vector<uint8_t> chunk_types;
  std::vector<AuthKey> keys;
  std::optional<uint16_t> active_key;
};

struct AuthKeyChange {
  enum class Action { kAdd, kActivate, kDeactivate, kDelete };
  Action action = Action::kAdd;
  uint16_t key_id = 0;
  std::string secret;  // kAdd.
};

// Settings of the socket API (RFC 6458) an endpoint's associations take;
// an empty field keeps the default.
struct SocketSettings {
  std::optional<uint32_t> cookie_life_ms;         // SCTP_ASSOCINFO sasoc_cookie_life.
  std::optional<uint32_t> receive_window_bytes;   // SO_RCVBUF (the kernel derives rwnd).
  std::optional<uint32_t> max_segment_bytes;      // SCTP_MAXSEG; 0 = the path MTU's.
  bool disable_fragments = false;                 // SCTP_DISABLE_FRAGMENTS.
  std::optional<uint32_t> partial_delivery_point_bytes;  // SCTP_PARTIAL_DELIVERY_POINT.
  bool bundle_messages = false;                   // SCTP_NODELAY off.
};

// An association's counters (SCTP_GET_ASSOC_STATS).
struct AssociationStatistics {
  uint64_t retransmitted_chunks = 0;
  uint64_t gap_reports = 0;
  uint64_t out_of_sequence_tsns = 0;
  uint64_t sacks_sent = 0;
  uint64_t sacks_received = 0;
  uint64_t control_chunks_sent = 0;
  uint64_t control_chunks_received = 0;
  uint64_t ordered_chunks_sent = 0;
  uint64_t ordered_chunks_received = 0;
  uint64_t unordered_chunks_sent = 0;
  uint64_t unordered_chunks_received = 0;
  uint64_t duplicate_chunks_received = 0;
  uint64_t packets_sent = 0;
  uint64_t packets_received = 0;
  // The largest RTO seen (the kernel's since its previous read; the stack
  // keeps the largest of all reads) and its path.
  uint32_t max_rto_ms = 0;
  std::optional<SocketAddress> max_rto_path;
};

// Messages abandoned under PR-SCTP (SCTP_PR_ASSOC_STATUS,
// SCTP_PR_STREAM_STATUS), in all and by policy.
struct AbandonedMessages {
  uint64_t unsent = 0;
  uint64_t sent = 0;
};

struct AbandonedByPolicy {
  AbandonedMessages total;
  AbandonedMessages timed;
  AbandonedMessages retransmissions;
  AbandonedMessages priority;
};

struct StreamAbandoned {
  uint16_t stream = 0;
  AbandonedByPolicy abandoned;
};

struct PrSctpStatus {
  bool peer_supports_pr_sctp = false;
  AbandonedByPolicy abandoned;
  std::vector<StreamAbandoned> streams;
};

struct AuthStatus {
  bool peer_supports_auth = false;
  uint16_t active_key = 0;
  std::vector<uint8_t> local_chunk_types;
  std::vector<uint8_t> peer_chunk_types;
};

}  // namespace sctpgw::net
