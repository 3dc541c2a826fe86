// The kernel SCTP operations sctpgw's core needs, as an interface: the core
// drives endpoints and associations through it and learns what the network
// did through its Observer. KernelSctpStack implements it with real sockets
// on an epoll loop; unit tests of the core use a fake.
//
// Threading: every method except Post() must be called on the stack's own
// thread, and every Observer callback and posted task runs there.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/net/notification.h"
#include "server/net/sctp_types.h"
#include "server/net/socket_address.h"
#include "server/net/task_runner.h"

namespace sctpgw::net {

// Identifies a socket the stack holds: an endpoint's one-to-many socket or an
// association peeled off onto its own socket. Never reused.
using SocketId = uint64_t;

struct EndpointConfig {
  // Local addresses, all with the same port (0 = the kernel picks one).
  std::vector<SocketAddress> addresses;
  bool listen = false;
  int backlog = 128;
  InitParams init;
  // Timers and thresholds for the endpoint's associations.
  PathParameters path_parameters;
  int send_buffer_bytes = 0;     // 0 = the kernel's default.
  int receive_buffer_bytes = 0;  // 0 = the kernel's default.
  // The socket API's remaining settings; settings.receive_window_bytes,
  // when set, is the receive buffer instead of receive_buffer_bytes. A
  // setting the kernel refuses fails OpenEndpoint with a status naming it
  // (RefusedSetting(), socket_settings.h).
  SocketSettings settings;
  // Incoming messages longer than the maximum abort their association
  // (OnReceiveError) rather than arrive in parts.
  bool abort_oversized_messages = false;
  // RFC 5061 ASCONF (with AUTH) offered to peers.
  bool address_reconfiguration = false;
  // SCTP over UDP (RFC 6951): the peer's UDP port for the endpoint's
  // associations; 0 = directly over IP. Needs net.sctp.udp_port set
  // (udp_encapsulation.h): FAILED_PRECONDITION otherwise.
  uint16_t udp_encapsulation_port = 0;
  // Stream reconfiguration (RFC 6525) offered and the requests allowed.
  StreamReconfiguration stream_reconfiguration;
  // Message interleaving (RFC 8260 I-DATA) offered. Needs
  // net.sctp.intl_enable: FAILED_PRECONDITION otherwise.
  bool interleaving = false;
  StreamScheduler scheduler = StreamScheduler::kDefault;
  // SCTP-AUTH (RFC 4895): offered when enabled or anything else is set.
  AuthConfig auth;
};

// One whole message as received (reassembled if the kernel gave it in
// pieces).
struct InboundMessage {
  AssocId assoc_id = 0;
  uint16_t stream = 0;
  uint16_t ssn = 0;
  uint32_t tsn = 0;
  uint32_t ppid = 0;  // Host byte order.
  bool unordered = false;
  std::string payload;
  // The peer address of the packet that brought it, where the kernel says.
  std::optional<SocketAddress> source;
  // A part of a message longer than the maximum: where it starts, and
  // whether more follows.
  uint64_t offset = 0;
  bool more_follows = false;
};

class SctpStack : public TaskRunner {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void OnMessage(SocketId socket, InboundMessage message) = 0;
    virtual void OnNotification(SocketId socket, Notification notification) = 0;
    // Reading `socket` failed: a message beyond the maximum size, or a
    // socket error. Reading stops; the socket stays open until closed.
    virtual void OnReceiveError(SocketId socket, AssocId assoc_id, absl::Status error) = 0;
    // `socket` has room again after Send() returned UNAVAILABLE.
    virtual void OnWritable(SocketId socket) = 0;
    // A socket given to CloseWhenDrained() has been read out and closed.
    virtual void OnClosed(SocketId socket) = 0;
  };

  virtual ~SctpStack() = default;

  virtual void SetObserver(Observer* observer) = 0;

  // Opens a one-to-many socket bound to `config.addresses` (sctp_bindx),
  // subscribed to every notification, optionally listening.
  virtual absl::StatusOr<SocketId> OpenEndpoint(const EndpointConfig& config) = 0;
  virtual absl::StatusOr<uint16_t> LocalPort(SocketId endpoint) = 0;
  // Adds local addresses to a live endpoint, or removes them (sctp_bindx);
  // associations learn of it by ASCONF where both sides support it.
  virtual absl::Status ChangeAddresses(SocketId endpoint, const std::vector<SocketAddress>& add,
                                       const std::vector<SocketAddress>& remove) = 0;
  // The largest message Send() can take on sockets of `endpoint` (the
  // kernel's effective SO_SNDBUF).
  virtual absl::StatusOr<size_t> MaxSendSize(SocketId endpoint) = 0;
  // sctp_connectx() from `endpoint`, with `init` for this association. Does
  // not wait: COMM_UP or CANT_STR_ASSOC arrives as a notification.
  virtual absl::StatusOr<AssocId> Connect(SocketId endpoint,
                                               const std::vector<SocketAddress>& peers,
                                               const InitParams& init) = 0;
  // Moves an established association to its own socket (sctp_peeloff), so
  // that it has its own receive queue and flow control.
  virtual absl::StatusOr<SocketId> PeelOff(SocketId endpoint, AssocId assoc_id) = 0;
  // Sends one whole message. UNAVAILABLE with errno EAGAIN when the socket's
  // send buffer is full (OnWritable follows).
  virtual absl::Status Send(SocketId socket, const SendInfo& info,
                            absl::Span<const uint8_t> data) = 0;
  // Starts the SHUTDOWN handshake (SCTP_EOF).
  virtual absl::Status Shutdown(SocketId socket, AssocId assoc_id) = 0;
  // Sends an ABORT carrying `reason` as a user-initiated abort cause.
  virtual absl::Status Abort(SocketId socket, AssocId assoc_id, absl::string_view reason) = 0;
  // Stops (or resumes) reading `socket`: the kernel's receive window then
  // pushes back on the peer.
  virtual void PauseReading(SocketId socket, bool paused) = 0;
  virtual absl::StatusOr<AssociationStatus> Status(SocketId socket, AssocId assoc_id) = 0;
  virtual absl::StatusOr<std::vector<SocketAddress>> LocalAddresses(SocketId socket,
                                                                    AssocId assoc_id) = 0;
  virtual absl::StatusOr<std::vector<SocketAddress>> PeerAddresses(SocketId socket,
                                                                   AssocId assoc_id) = 0;
  // Paths: state of one peer address, the primary, timers and thresholds.
  virtual absl::StatusOr<PathInfo> Path(SocketId socket, AssocId assoc_id,
                                        const SocketAddress& peer) = 0;
  virtual absl::Status SetPrimary(SocketId socket, AssocId assoc_id,
                                  const SocketAddress& peer) = 0;
  virtual absl::StatusOr<PathParameters> Parameters(SocketId socket, AssocId assoc_id) = 0;
  virtual absl::Status SetParameters(SocketId socket, AssocId assoc_id,
                                     const PathParameters& parameters) = 0;
  // One path's heartbeat, retransmission and potentially-failed settings.
  virtual absl::Status SetPathParameters(SocketId socket, AssocId assoc_id,
                                         const SocketAddress& peer,
                                         const PathParameters& parameters) = 0;
  // Asks the peer to make `local` (an address of this side) its primary.
  virtual absl::Status SetPeerPrimary(SocketId socket, AssocId assoc_id,
                                      const SocketAddress& local) = 0;
  // Streams (stream_control.h): a reconfiguration request (its outcome
  // arrives as a notification), the scheduler and stream values, and what
  // is in force (with the values of `value_streams`).
  virtual absl::Status ReconfigureStreams(SocketId socket, AssocId assoc_id,
                                          const StreamReconfigRequest& request) = 0;
  virtual absl::Status SetStreamScheduling(SocketId socket, AssocId assoc_id,
                                           StreamScheduler scheduler,
                                           const std::vector<StreamValue>& values) = 0;
  virtual absl::StatusOr<StreamSettings> Streams(SocketId socket, AssocId assoc_id,
                                                 const std::vector<uint16_t>& value_streams) = 0;
  // SCTP-AUTH keys (auth_control.h); on an endpoint's socket with assoc_id
  // 0, for its associations to come.
  virtual absl::Status ChangeAuthKey(SocketId socket, AssocId assoc_id,
                                     const AuthKeyChange& change) = 0;
  virtual absl::StatusOr<AuthStatus> Auth(SocketId socket, AssocId assoc_id) = 0;
  // The endpoint's socket settings as the kernel has them.
  virtual absl::StatusOr<SocketSettings> Settings(SocketId endpoint) = 0;
  // The association's counters (association_counters.h), with the maximum
  // RTO the largest seen over every read, and the PR-SCTP counters of
  // `streams`.
  virtual absl::StatusOr<AssociationStatistics> Statistics(SocketId socket, AssocId assoc_id) = 0;
  virtual absl::StatusOr<PrSctpStatus> PrSctp(SocketId socket, AssocId assoc_id,
                                              const std::vector<uint16_t>& streams) = 0;
  // Sends a HEARTBEAT now to `peer`, or to every peer address (SPP_HB_DEMAND).
  virtual absl::Status RequestHeartbeat(SocketId socket, AssocId assoc_id,
                                        const std::optional<SocketAddress>& peer) = 0;
  // Closes the socket. On an association's socket with the association still
  // up, the kernel shuts it down gracefully in the background.
  virtual void Close(SocketId socket) = 0;
  // Closes the socket once everything already queued on it has been read and
  // delivered: the notifications the kernel queues as an association ends
  // (SEND_FAILED for each undelivered message) follow its COMM_LOST.
  // OnClosed() follows.
  virtual void CloseWhenDrained(SocketId socket) = 0;

  // Post(), StartTimer() and CancelTimer() (TaskRunner) run on the stack's
  // thread.
};

}  // namespace sctpgw::net
