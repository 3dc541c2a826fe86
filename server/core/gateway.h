// The gateway's core, as a façade: what applications do through sctpgw —
// sessions, endpoints, associations and the operations that wait on them —
// and the glue of their lifecycle: what happens when the network reports an
// association up or lost, a session ends, or the service stops. The parts
// it is made of each have one job:
//
//   SessionTable          sessions, identities, leases
//   AssociationRegistry   endpoints and associations by id, socket and kernel id
//   Association           one association's queues and flow control
//   PendingOperations     the operations that wait, with their deadlines
//   SendPump              messages handed to the kernel in order
//   ReceiveDispatcher     received messages handed to waiting receives
//   PathManager           paths, primary addresses, timers of live associations
//   StreamManager         stream reconfiguration and scheduling of live associations
//   AuthManager           SCTP-AUTH keys of endpoints and associations
//   EventLog              every notification, sequenced, for event streams
//
// It drives the kernel only through net::SctpStack and knows nothing of
// gRPC (docs/architecture.md).
//
// Threading: every method runs on the stack's thread (checked in debug and
// sanitizer builds); a thread that takes the stack's turn through RunOrPost()
// is the stack's thread for that time. Callers on other threads use Post()
// or RunOrPost(). Completions run on the stack's thread too, never inside
// the call that started the operation, and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/core/association_registry.h"
#include "server/core/capture_tap.h"
#include "server/core/completed_shutdowns.h"
#include "server/core/event_log.h"
#include "server/core/gateway_state.h"
#include "server/core/gateway_types.h"
#include "server/core/auth_manager.h"
#include "server/core/stream_manager.h"
#include "server/core/limits.h"
#include "server/core/path_manager.h"
#include "server/core/pending_operations.h"
#include "server/core/queue_tally.h"
#include "server/core/receive_dispatcher.h"
#include "server/core/send_pump.h"
#include "server/core/session_table.h"
#include "server/net/sctp_stack.h"

namespace sctpgw::core {

class Gateway final : private net::SctpStack::Observer {
 public:
  Gateway(net::SctpStack& stack, Limits limits);
  ~Gateway() override;
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Safe from any thread.
  const Limits& limits() const { return limits_; }
  EventLog& events() { return events_; }
  CaptureTap& captures() { return captures_; }
  void Post(std::function<void()> task) { stack_.Post(std::move(task)); }
  // Runs `task` on the calling thread when the stack's thread is idle, else
  // posts it (net::TaskRunner::RunOrPost).
  void RunOrPost(std::function<void()> task) { stack_.RunOrPost(std::move(task)); }

  // Sessions own endpoints and associations; every call below names one and
  // sees only its objects (another session's are NOT_FOUND). A session lives
  // while it has a stream open or calls within its lease; then its
  // associations are shut down (aborted after session_shutdown_timeout) and
  // its endpoints closed.
  absl::StatusOr<SessionInfo> OpenSession(std::chrono::milliseconds requested_lease,
                                          const std::string& client_name,
                                          const std::string& owner = "",
                                          SessionLiveness liveness = SessionLiveness::kConnection);
  // The application renews its session (either liveness), having handled
  // the events up to `handled_sequence`.
  absl::StatusOr<SessionInfo> RenewLease(const std::string& session, uint64_t handled_sequence);
  // A capture of the messages of `session`'s associations in `scope`
  // (captures().Take() reads it, captures().Close() ends it): NOT_FOUND for
  // an endpoint or association not the session's, LIMIT_EXCEEDED
  // (max_captures).
  absl::StatusOr<CaptureTap::CaptureId> OpenCapture(const std::string& session,
                                                    const CaptureScope& scope, size_t snap_bytes,
                                                    size_t capacity, std::function<void()> wake);
  absl::Status CloseSession(const std::string& session);
  // A stream of `session` that waits on the network (WatchEvents,
  // ReceiveStream) opened or closed: the session lives while one is open.
  absl::Status WatchStarted(const std::string& session);
  void WatchEnded(const std::string& session);
  size_t session_count() const { return sessions_.size(); }
  // A snapshot for metrics.
  GatewayStats Stats() const;
  GatewayCondition Condition() const;

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
  // The association and, while it is up, what the kernel says of it, with
  // the PR-SCTP counters of `streams` (none: every stream below 256 with a
  // message abandoned).
  absl::StatusOr<AssociationDescription> DescribeAssociation(
      const std::string& session, uint64_t association_id,
      const std::vector<uint16_t>& streams = {});
  // Every live association's kernel counters, for metrics
  // (gateway_counters.cc).
  std::vector<AssociationCountersSnapshot> ReadCounters();
  // Makes `peer` (one of the association's peer addresses; its port is the
  // association's) the primary path.
  absl::Status SetPrimaryPath(const std::string& session, uint64_t association_id,
                              const net::SocketAddress& peer);
  // Asks the peer to make `local` (one of the association's local
  // addresses) its primary path. Needs ASCONF on both sides.
  absl::Status RequestPeerPrimaryPath(const std::string& session, uint64_t association_id,
                                      const net::SocketAddress& local);
  // Sends a HEARTBEAT now to `peer` (one of the association's addresses) or
  // to every peer address.
  absl::Status RequestHeartbeat(const std::string& session, uint64_t association_id,
                                const std::optional<net::SocketAddress>& peer);
  // Changes the timers and thresholds of a live association, or with `peer`
  // one path's heartbeat and failure settings; returns what is in force.
  // Stream reconfiguration (RFC 6525): returns once the request is sent.
  absl::Status ReconfigureStreams(const std::string& session, uint64_t association_id,
                                  const net::StreamReconfigRequest& request);
  // The stream scheduler (kDefault: kept) and stream values; returns what
  // is in force, with the values of the streams named.
  absl::StatusOr<net::StreamSettings> ConfigureStreams(const std::string& session,
                                                       uint64_t association_id,
                                                       net::StreamScheduler scheduler,
                                                       const std::vector<net::StreamValue>& values);
  // SCTP-AUTH keys of an endpoint or an association.
  absl::Status ChangeAuthKey(const std::string& session, const AuthKeyTarget& target,
                             const net::AuthKeyChange& change);
  absl::StatusOr<PathConfiguration> ConfigurePaths(const std::string& session,
                                                   uint64_t association_id,
                                                   const net::PathParameters& parameters,
                                                   std::optional<net::SocketAddress> peer);

  // The operations that wait. Each calls `done` exactly once, later (never
  // inside the call): when it completes, fails, reaches `deadline`
  // (DEADLINE_EXCEEDED) or is cancelled with Cancel() (CANCELLED). The id
  // returned is 0 when the call failed at once.
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
  // Cancelling an operation that has ended is harmless.
  void Cancel(OperationId id);
  // The messages a Receive returned have been written to its caller (or
  // never will be): `messages` per association id. Until then they count
  // as what a crash would lose (SetQueueTally).
  void Settle(const std::map<uint64_t, size_t>& messages);
  // The messages a Receive returned whose write failed (the caller went
  // away, or sctpgw stopped before it could write them): they go back to
  // the front of their associations' queues, in the order given, for the
  // next Receive (or the record a restart in place stores). Messages of an
  // association that is gone are dropped.
  void ReturnUnwritten(std::vector<ReceivedMessage> messages);

  // Aborts everything and closes every socket: the service is stopping.
  void Close();

  // Planned handover to a new process (docs/handover.md;
  // gateway_handover.cc).
  //
  // Freeze: stops reading every socket, ends every waiting operation with
  // HANDED_OVER (a Send having done only its first accepted_messages, a
  // half-open association left to come up), refuses calls with HANDED_OVER,
  // and returns the state. Nothing changes after it until Thaw or Release.
  absl::StatusOr<GatewayState> Freeze();
  // The state again, frozen: with the messages returned since the freeze by
  // calls whose responses were never written (ReturnUnwritten).
  GatewayState FrozenState() const;
  // The handover failed (or, in the new process, the old one has let go):
  // reading and calls resume.
  void Thaw();
  // The new process holds everything now: sessions, endpoints and
  // associations are forgotten without a word to the kernel (the sockets
  // stay open, unread, until the stack stops); event streams end with
  // HANDED_OVER.
  void Release();
  // In the new process, before anything else: puts `state` back around the
  // sockets adopted for it (`sockets` maps the old process's socket ids to
  // this stack's). An endpoint or association whose socket is missing or is
  // not what the state says (another port, no such association, another
  // peer) is closed and its session gets a COMM_LOST event saying why.
  // INVALID_ARGUMENT for a state that is not consistent. Stays frozen:
  // Thaw() starts it.
  absl::Status Restore(GatewayState state, const std::map<net::SocketId, net::SocketId>& sockets);

  // Crash survival (docs/handover.md; gateway_handover.cc).
  //
  // What must outlive a crash: sessions, endpoints, associations and ids,
  // without queued messages or events (the event log gives only its last
  // sequence). Changes nothing.
  GatewayState Snapshot() const;
  // Mirrors each association's queue length into `tally` from now on
  // (nullptr: stops). What the counters hold when the process dies is what
  // a crash lost.
  void SetQueueTally(QueueTally* tally);
  // After Restore(): tells the association's session that `lost` messages
  // were lost and `unconfirmed` more may have been (a MESSAGES_LOST event
  // saying why). Unknown ids are ignored.
  void ReportLostMessages(uint64_t association_id, uint64_t lost, uint64_t unconfirmed,
                          const std::string& why);
  // A number that changes whenever what Snapshot() returns may have
  // changed (sessions, endpoints, associations come and go or change state).
  uint64_t StateVersion() const;

 private:
  // net::SctpStack::Observer (gateway_notifications.cc).
  void OnMessage(net::SocketId socket, net::InboundMessage message) override;
  void OnNotification(net::SocketId socket, net::Notification notification) override;
  void OnReceiveError(net::SocketId socket, net::AssocId assoc_id, absl::Status error) override;
  void OnWritable(net::SocketId socket) override;
  void OnClosed(net::SocketId socket) override;
  void OnEndpointNotification(Endpoint& endpoint, net::Notification notification);
  void OnAssociationNotification(Association& association, net::Notification notification);
  void Established(Endpoint& endpoint, Association& association, const net::Notification& up);
  void LogEvent(uint64_t endpoint_id, uint64_t association_id, net::Notification notification,
                std::string detail = "");
  // The kernel's counters of a live association into `description`
  // (gateway_counters.cc); left out where the kernel cannot say.
  void AddCounters(const Association& association, const std::vector<uint16_t>& streams,
                   AssociationDescription* description);

  // Ends an operation that is still waiting with `status`, undoing what it
  // waited in (the half-open association of an Associate is aborted).
  // Without `undo`, a half-open association stays (a handover).
  void FailOperation(OperationId id, const absl::Status& status, bool undo = true);
  // The association ended: fails what waits on it and forgets it (once its
  // queue has been read).
  void Ended(uint64_t association_id, const absl::Status& why);
  void Forget(uint64_t association_id);
  // Hands the association's socket back to the stack, to be closed once
  // read out.
  void ReleaseSocket(Association& association);
  // Fails the sends and shutdowns waiting on `association`.
  void FailWaiting(Association& association, const absl::Status& why);
  // Queues a graceful shutdown behind the sends already accepted.
  OperationId StartShutdown(Association& association, Deadline deadline, Done<bool> done);
  // Sends ABORT on the association's socket (its endpoint's before peel-off).
  absl::Status AbortAssociation(const Association& association, absl::string_view reason);
  absl::Status AssociationLimit(const std::string& session) const;

  absl::Status UseSession(const std::string& session);
  // Renews the session's lease and finds its association.
  absl::StatusOr<Association*> CallersAssociation(const std::string& session,
                                                  uint64_t association_id);
  // Renews the session's lease and finds its association, which must have a
  // socket and not be closed (and with `established`, be up).
  absl::StatusOr<Association*> LiveAssociation(const std::string& session,
                                               uint64_t association_id, bool established);
  // Ends a session: graceful shutdowns (aborts after the timeout), endpoints
  // closed when their associations are gone.
  void EndSession(const std::string& session, absl::string_view why);
  // Why session `session`'s lease ran out, for what it ends.
  std::string ExpiryReason(const std::string& session) const;
  // Ends the associations of an endpoint whose session ended, then closes it.
  void EndEndpoint(uint64_t endpoint_id, absl::string_view why);
  // SHUTTING_DOWN, or HANDED_OVER while frozen or released.
  absl::Status Unavailable() const;
  void CloseEndpointNow(uint64_t endpoint_id, bool abort);
  void MaybeCloseOrphan(uint64_t endpoint_id);
  void CheckThread() const;

  net::SctpStack& stack_;
  const Limits limits_;
  EventLog events_;
  CaptureTap captures_;
  GatewayStats counters_;  // Only the "since start" fields are kept here.
  SessionTable sessions_;
  AssociationRegistry registry_;
  PendingOperations pending_;
  SendPump send_pump_;
  ReceiveDispatcher receivers_;
  PathManager paths_;
  StreamManager streams_;
  AuthManager auth_;
  bool closed_ = false;
  bool frozen_ = false;    // Handover: Freeze() until Thaw() or Release().
  bool released_ = false;  // Handover: the new process holds everything.
  std::vector<std::string> expired_while_frozen_;  // Session keys.
  CompletedShutdowns shut_down_for_retry_;
  QueueTally* tally_ = nullptr;
};

}  // namespace sctpgw::core
