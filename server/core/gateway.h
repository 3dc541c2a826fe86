// The gateway's core: the registry of endpoints and associations, their
// bounded receive queues, the operations that wait (associate, send when the
// kernel's buffer is full, long-poll receive, graceful shutdown) and the event
// log. It drives the kernel only through net::SctpStack and knows nothing of
// gRPC.
//
// Threading: every method runs on the stack's thread. Callers on other
// threads use Post(); completion callbacks run on the stack's thread too and
// must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/core/event_log.h"
#include "server/net/sctp_stack.h"

namespace sctpgw::core {

// Named limits. Each is documented in the README; exceeding one gives an
// error naming it, never a crash or unbounded memory.
struct Limits {
  // Largest message sent or received (reassembled), bytes.
  size_t max_message_bytes = 256 * 1024;
  // Messages in one Send call.
  size_t max_messages_per_send = 1024;
  // Messages and bytes one Receive call returns at most (and its defaults).
  size_t max_messages_per_receive = 1024;
  size_t default_messages_per_receive = 64;
  size_t max_bytes_per_receive = 4 * 1024 * 1024;
  // 1 MiB: a response stays within gRPC's default 4 MiB receive limit of
  // clients that never raised it, even with one largest message more.
  size_t default_bytes_per_receive = 1024 * 1024;
  // Received bytes queued per association before sctpgw stops reading it
  // (the kernel's receive window then pushes back on the peer).
  size_t association_queue_bytes = 1024 * 1024;
  size_t max_endpoints = 1024;
  size_t max_associations = 16384;
  // Events kept for resuming subscribers.
  size_t event_history = 16384;
  // Kernel socket buffers, bytes (SCTP does not auto-tune them).
  int socket_send_buffer_bytes = 1024 * 1024;
  int socket_receive_buffer_bytes = 1024 * 1024;
  // Calls that wait complete this much before their deadline, so that their
  // answer (for Receive: the messages) is not lost to the deadline racing it.
  std::chrono::milliseconds deadline_margin{20};
  // Sessions.
  size_t max_sessions = 256;
  size_t max_endpoints_per_session = 64;
  size_t max_associations_per_session = 4096;
  std::chrono::milliseconds default_lease{30000};
  std::chrono::milliseconds min_lease{1000};
  std::chrono::milliseconds max_lease{3600000};
  // When a session ends, how long its associations get to complete their
  // SHUTDOWN handshakes before they are aborted.
  std::chrono::milliseconds session_shutdown_timeout{5000};
};

struct SessionInfo {
  std::string id;  // 128 random bits, hex: what the application is given.
  // How calls name the session (SessionKey): the id, bound to the identity
  // that opened it when there was one.
  std::string key;
  std::chrono::milliseconds lease{0};
};

// The session named by `id` as seen by a caller with `identity` (a verified
// client certificate's identity; empty when the transport proves none). A
// session opened with an identity is reachable only with the same identity;
// anything but a well-formed id names no session.
std::string SessionKey(const std::string& id, const std::string& identity);

struct EndpointSpec {
  std::vector<net::SocketAddress> addresses;  // All with the endpoint's port.
  bool listen = false;
  int backlog = 128;
  net::InitParams init;
  // Timers and thresholds for the endpoint's associations.
  net::PathParameters path_parameters;
  // RFC 5061 ASCONF offered to peers.
  bool address_reconfiguration = false;
};

// An association as the kernel sees it: SCTP_STATUS, every path, the
// timers and thresholds in force, and the local addresses.
struct AssociationDetail {
  net::AssociationStatus status;
  std::vector<net::PathInfo> paths;
  net::PathParameters parameters;
  std::vector<net::SocketAddress> local_addresses;
};

struct EndpointInfo {
  uint64_t id = 0;
  std::vector<net::SocketAddress> local_addresses;
  uint16_t port = 0;
  bool listening = false;
  bool address_reconfiguration = false;
  size_t association_count = 0;
};

enum class AssociationState { kConnecting, kEstablished, kShuttingDown, kClosed };

struct AssociationInfo {
  uint64_t id = 0;
  uint64_t endpoint_id = 0;
  sctp_assoc_t kernel_id = 0;
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
  uint32_t lifetime_ms = 0;
  uint32_t context = 0;
  std::string payload;
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
};

template <typename T>
using Done = std::function<void(absl::StatusOr<T>)>;
using OperationId = uint64_t;
using Deadline = std::chrono::steady_clock::time_point;

class Gateway final : private net::SctpStack::Observer {
 public:
  Gateway(net::SctpStack& stack, Limits limits);
  ~Gateway() override;

  const Limits& limits() const { return limits_; }
  EventLog& events() { return events_; }

  // Runs `task` on the stack's thread. Safe from any thread.
  void Post(std::function<void()> task) { stack_.Post(std::move(task)); }

  // Sessions own endpoints and associations; every call below names one and
  // sees only its objects (another session's are NOT_FOUND). A session lives
  // while it has an event stream open or calls within its lease; then its
  // associations are shut down (aborted after session_shutdown_timeout) and
  // its endpoints closed.
  absl::StatusOr<SessionInfo> OpenSession(std::chrono::milliseconds requested_lease,
                                          const std::string& client_name,
                                          const std::string& owner = "");
  absl::Status CloseSession(const std::string& session);
  // A stream of `session` that waits on the network (WatchEvents,
  // ReceiveStream) opened or closed: the session lives while one is open.
  absl::Status WatchStarted(const std::string& session);
  void WatchEnded(const std::string& session);
  size_t session_count() const { return sessions_.size(); }
  // A snapshot for metrics (call on the stack's thread).
  GatewayStats Stats() const;

  absl::StatusOr<EndpointInfo> OpenEndpoint(const std::string& session, const EndpointSpec& spec);
  // Closes an endpoint and every association on it: gracefully (the kernel
  // completes the SHUTDOWN handshakes) or, with `abort`, at once.
  absl::Status CloseEndpoint(const std::string& session, uint64_t endpoint_id, bool abort);
  absl::StatusOr<std::vector<EndpointInfo>> ListEndpoints(const std::string& session);
  // Adds and removes local addresses of a live endpoint (ports are the
  // endpoint's); returns the endpoint as it is then.
  absl::StatusOr<EndpointInfo> ChangeEndpointAddresses(const std::string& session,
                                                       uint64_t endpoint_id,
                                                       std::vector<net::SocketAddress> add,
                                                       std::vector<net::SocketAddress> remove);
  // Associations of one endpoint, or of all the session's when endpoint_id is 0.
  absl::StatusOr<std::vector<AssociationInfo>> ListAssociations(const std::string& session,
                                                                uint64_t endpoint_id);
  absl::StatusOr<AssociationInfo> GetAssociation(const std::string& session,
                                                 uint64_t association_id);
  absl::StatusOr<AssociationDetail> GetAssociationDetail(const std::string& session,
                                                         uint64_t association_id);
  // Makes `peer` (one of the association's peer addresses; its port is the
  // association's) the primary path.
  absl::Status SetPrimaryPath(const std::string& session, uint64_t association_id,
                              const net::SocketAddress& peer);
  // Asks the peer to make `local` (one of the association's local
  // addresses) its primary path. Needs ASCONF on both sides.
  absl::Status RequestPeerPrimaryPath(const std::string& session, uint64_t association_id,
                                      const net::SocketAddress& local);
  // Changes the timers and thresholds of a live association, or with `peer`
  // one path's heartbeat and failure settings; returns what is in force.
  absl::StatusOr<PathConfiguration> ConfigurePaths(const std::string& session,
                                                   uint64_t association_id,
                                                   const net::PathParameters& parameters,
                                                   std::optional<net::SocketAddress> peer);

  // The operations that wait. Each calls `done` exactly once: when it
  // completes, fails, reaches `deadline` (DEADLINE_EXCEEDED) or is cancelled
  // with Cancel() (CANCELLED). `done` may run before the call returns.
  //
  // Associate: returns when the association is up. At the deadline or on
  // cancel the half-open association is aborted and forgotten.
  OperationId Associate(const std::string& session, const AssociateSpec& spec, Deadline deadline,
                        Done<AssociationInfo> done);
  // Send: validates every message first (nothing is sent if one is invalid),
  // then hands them to the kernel in order; returns the count accepted. If
  // the deadline comes first the unsent rest is withdrawn and the error says
  // how many were accepted (metadata "accepted_messages").
  OperationId Send(const std::string& session, uint64_t association_id,
                   std::vector<OutboundMessage> messages, Deadline deadline, Done<size_t> done);
  // Receive: waits until at least one message is queued. Messages stay
  // queued unless returned.
  OperationId Receive(const std::string& session, const ReceiveSpec& spec, Deadline deadline,
                      Done<std::vector<ReceivedMessage>> done);
  // Shutdown: graceful (waits for SHUTDOWN_COMP; messages already accepted
  // by Send go first) or abort (ABORT with `reason`, returns at once).
  OperationId Shutdown(const std::string& session, uint64_t association_id, bool abort,
                       const std::string& reason, Deadline deadline, Done<bool> done);
  void Cancel(OperationId id);

  // Aborts everything and closes every socket: the service is stopping.
  void Close();

 private:
  enum class OpKind { kAssociate, kSend, kReceive, kShutdown };

  struct Operation {
    OpKind kind;
    net::TimerId timer = 0;
    uint64_t association_id = 0;
    uint64_t endpoint_id = 0;
    // kSend
    std::vector<OutboundMessage> messages;
    size_t next = 0;
    Done<size_t> send_done;
    // kReceive
    ReceiveSpec receive;
    Done<std::vector<ReceivedMessage>> receive_done;
    // kAssociate
    Done<AssociationInfo> associate_done;
    // kShutdown
    Done<bool> shutdown_done;
  };

  struct Session {
    SessionInfo info;
    std::string client_name;
    size_t watchers = 0;  // Open streams holding the session.
    net::TimerId lease_timer = 0;
    std::set<uint64_t> endpoints;
  };

  struct Association {
    std::string session;
    AssociationInfo info;
    net::SocketId socket = 0;  // 0 until peeled off.
    std::deque<net::InboundMessage> queue;
    size_t queued_bytes = 0;
    bool reading_paused = false;
    // Send and graceful-shutdown operations in the order they were made.
    std::deque<OperationId> outbound;
    std::vector<OperationId> receivers;
    // Graceful shutdowns started, completed by SHUTDOWN_COMP.
    std::vector<OperationId> shutdowns;
    OperationId associate_op = 0;
    // Set when sctpgw aborts it: reported with the COMM_LOST that follows.
    std::string abort_detail;
  };

  struct Endpoint {
    std::string session;
    // The session has ended: closed once its associations are gone.
    bool closing = false;
    EndpointInfo info;
    net::SocketId socket = 0;
    size_t max_send_bytes = 0;
    std::set<uint64_t> associations;
    std::map<sctp_assoc_t, uint64_t> by_kernel_id;  // Not yet peeled off.
    std::vector<OperationId> receivers;             // Receive from any association.
    uint64_t next_receive_from = 0;                 // Round robin over associations.
  };

  // net::SctpStack::Observer
  void OnMessage(net::SocketId socket, net::InboundMessage message) override;
  void OnNotification(net::SocketId socket, net::Notification notification) override;
  void OnReceiveError(net::SocketId socket, sctp_assoc_t assoc_id, absl::Status error) override;
  void OnWritable(net::SocketId socket) override;
  void OnClosed(net::SocketId socket) override;

  OperationId AddOperation(Operation op, Deadline deadline);
  // Removes the operation and completes it with `status`.
  void FailOperation(OperationId id, const absl::Status& status);
  void OnDeadline(OperationId id);

  void OnEndpointNotification(Endpoint& endpoint, net::Notification notification);
  void OnAssociationNotification(Association& association, net::Notification notification);
  void Established(Endpoint& endpoint, Association& association, const net::Notification& up);
  // The association ended: fails what waits on it and forgets it (once its
  // queue has been read).
  void Ended(uint64_t association_id, const absl::Status& why);
  void Forget(uint64_t association_id);
  // Hands the association's socket back to the stack, to be closed once
  // read out.
  void ReleaseSocket(Association& association);
  // Fails the sends and shutdowns waiting on `association`.
  void FailWaiting(Association& association, const absl::Status& why);
  void LogEvent(uint64_t endpoint_id, uint64_t association_id, net::Notification notification,
                std::string detail = "");

  void PumpOutbound(Association& association);
  void ServeReceivers(Association& association);
  bool TryReceive(OperationId id);
  void TakeMessages(Association& association, Operation& op, std::vector<ReceivedMessage>* out,
                    size_t* bytes);
  void UpdateFlowControl(Association& association);

  Association* FindAssociation(uint64_t id);
  const Association* FindAssociation(uint64_t id) const;
  // Lookups on behalf of a session: objects of other sessions are not found.
  absl::StatusOr<Session*> UseSession(const std::string& session);
  absl::StatusOr<Endpoint*> OwnedEndpoint(const std::string& session, uint64_t endpoint_id);
  absl::StatusOr<Association*> OwnedAssociation(const std::string& session,
                                                uint64_t association_id);
  // Renews the session's lease and finds its association, which must have a
  // socket and not be closed (and with `established`, be up).
  absl::StatusOr<Association*> LiveAssociation(const std::string& session,
                                               uint64_t association_id, bool established);
  absl::Status NotFound(const std::string& session, uint64_t association_id) const;
  void RenewLease(Session& session);
  // Ends a session: graceful shutdowns (aborts after the timeout), endpoints
  // closed when their associations are gone.
  void EndSession(const std::string& session, const char* why);
  void CloseEndpointNow(uint64_t endpoint_id, bool abort);
  void MaybeCloseOrphan(uint64_t endpoint_id);
  AssociationInfo Snapshot(const Association& association) const;

  net::SctpStack& stack_;
  const Limits limits_;
  EventLog events_;
  GatewayStats counters_;  // Only the "since start" fields are kept here.

  std::map<uint64_t, Endpoint> endpoints_;
  std::map<uint64_t, Association> associations_;
  std::map<net::SocketId, uint64_t> endpoint_sockets_;
  std::map<net::SocketId, uint64_t> association_sockets_;
  // Sockets of ended associations being read out: endpoint and association.
  std::map<net::SocketId, std::pair<uint64_t, uint64_t>> draining_sockets_;
  std::map<OperationId, Operation> operations_;
  // Recently ended associations, so that late calls get ASSOCIATION_CLOSED
  // rather than NOT_FOUND. Bounded.
  std::deque<uint64_t> ended_order_;
  std::map<uint64_t, std::string> ended_;  // Association id -> its session.
  std::map<std::string, Session> sessions_;

  uint64_t next_endpoint_id_ = 1;
  uint64_t next_association_id_ = 1;
  OperationId next_operation_id_ = 1;
  bool closed_ = false;
};

const char* AssociationStateName(AssociationState state);

}  // namespace sctpgw::core
