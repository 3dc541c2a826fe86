// sctpgw C++ client library.
//
// A Client is one application's connection to sctpgw: it opens a session (or
// attaches to one), keeps the session's event stream open, reconnects and
// resumes the stream from the last event after a disconnect, and offers typed
// calls with deadlines. Events and received messages reach an EventHandler in
// one of two ways:
//
//   - kLibraryThread: the library calls the handler from its own thread.
//   - kDispatch: nothing runs behind the application's back. event_fd()
//     becomes readable when something waits; the application watches it in
//     its own loop (poll, epoll, a GUI toolkit's) and calls Dispatch(), which
//     runs the handler on the calling thread.
//
//   sctpgw::client::ClientOptions options;
//   options.target = "unix:/run/sctpgw/sctpgw.sock";
//   MyHandler handler;  // derives from sctpgw::client::EventHandler
//   auto client = sctpgw::client::Client::Connect(options, &handler);
//   if (!client.ok()) { ... client.status() ... }
//   auto endpoint = (*client)->OpenEndpoint(
//       sctpgw::client::EndpointOptions::Outgoing({"192.0.2.1"}));
//   auto association = (*client)->Associate(endpoint->endpoint_id(),
//                                           {"198.51.100.7"}, 36412);
//   (*client)->Send(association->association_id(), "hello");
//
// Errors are absl::Status values whose code is the gRPC status code;
// ErrorReason() gives sctpgw's machine-readable reason ("ASSOCIATE_FAILED",
// ...; see docs/api.md) and ErrorMetadata() its details. Every call has a
// deadline: the `timeout` argument, or ClientOptions::call_timeout.
//
// Thread safety: the calls may be made from any thread concurrently. Handler
// callbacks never run concurrently with each other.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sctpgw/v1/gateway_service.grpc.pb.h"

namespace sctpgw::client {

using Milliseconds = std::chrono::milliseconds;

enum class EventDelivery {
  kLibraryThread,  // The handler runs on a library thread.
  kDispatch,       // The handler runs inside Dispatch(), called by the application.
};

// What keeps the session alive (OpenSessionRequest.liveness).
enum class SessionLiveness {
  // The connection: the event stream holds the session; the lease covers
  // disconnects.
  kConnection,
  // The application: only this client's renewals (RenewLease), made from
  // the thread that runs the handler, every lease/3. With kLibraryThread
  // the library renews once no callback is running (a callback that does
  // not return stops it); with kDispatch Dispatch() renews, and event_fd()
  // becomes readable when a renewal is due even if nothing else waits. An
  // application whose handler or loop hangs then loses its associations
  // like one that died, although its process and connection live on.
  // Needs watch_events.
  kApplication,
};

struct ClientOptions {
  // gRPC target: "unix:/run/sctpgw/sctpgw.sock", "127.0.0.1:50051", ...
  std::string target = "unix:/run/sctpgw/sctpgw.sock";
  // Insecure (plaintext) when unset.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Shown in the service's logs.
  std::string client_name = "sctpgw-client";
  // Lease asked for a new session; 0 = the service's default. The event
  // stream keeps the session alive; the lease covers disconnects.
  Milliseconds lease{0};
  // What keeps a new session alive (see SessionLiveness). When attaching,
  // say what the session was opened with.
  SessionLiveness liveness = SessionLiveness::kConnection;
  // Attach to this existing session instead of opening one (e.g. after the
  // application restarted); its objects and events are then this client's.
  std::string session_id;
  // With session_id: resume the event stream after this sequence (0 = from
  // the oldest event the service still keeps).
  uint64_t resume_after_sequence = 0;
  // Deadline of calls that take no timeout argument.
  Milliseconds call_timeout{10000};
  // Transport keepalive; must not be more frequent than the service's
  // keepalive.min_client_ping_interval_ms (default 5000).
  Milliseconds keepalive_time{10000};
  Milliseconds keepalive_timeout{5000};
  // Keep the session's event stream open (and the session alive by it).
  bool watch_events = true;
  EventDelivery delivery = EventDelivery::kLibraryThread;
  // kDispatch: at most this many events and messages wait for Dispatch().
  // When full, the library stops reading sctpgw's streams until Dispatch()
  // takes some: received messages then wait in sctpgw, whose queue limit
  // in turn pushes back on the peer through SCTP's receive window. Memory
  // stays bounded by an application that falls behind. 0 = unbounded.
  // Completions of the asynchronous calls are never held back.
  size_t max_dispatch_queue = 1024;
  // Close the session when the Client is destroyed (its associations are
  // then shut down). False leaves it to its lease, for a later attach.
  bool close_session_on_destroy = true;
};

// Override what you need; every default does nothing. `event` is the whole
// event (sequence, time, endpoint, association, detail); the second argument
// is its typed content.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // COMM_UP, COMM_LOST, RESTART, SHUTDOWN_COMPLETE, CANT_START_ASSOCIATION.
  virtual void OnAssociationChange(const v1::Event& event, const v1::AssociationChange& change) {
    (void)event, (void)change;
  }
  // A peer address became available, unreachable, primary, ...
  virtual void OnPeerAddressChange(const v1::Event& event, const v1::PeerAddressChange& change) {
    (void)event, (void)change;
  }
  // A message could not be delivered; carries its payload and context.
  virtual void OnSendFailed(const v1::Event& event, const v1::SendFailed& failed) {
    (void)event, (void)failed;
  }
  // The peer started a graceful shutdown.
  virtual void OnShutdown(const v1::Event& event, const v1::ShutdownEvent& shutdown) {
    (void)event, (void)shutdown;
  }
  virtual void OnRemoteError(const v1::Event& event, const v1::RemoteError& error) {
    (void)event, (void)error;
  }
  // sctpgw died and was restarted with the association kept, but messages
  // it had read and not yet delivered are gone: lost.messages() of them
  // (docs/handover.md); the messages received from the restarted sctpgw
  // are those that came after them.
  virtual void OnMessagesLost(const v1::Event& event, const v1::MessagesLost& lost) {
    (void)event, (void)lost;
  }
  // Any other notification (adaptation indication, stream reset, ...).
  virtual void OnOtherEvent(const v1::Event& event) { (void)event; }
  // A message received by StartReceiving(): whole, or with more_follows
  // (or an offset above 0) one piece of a message longer than sctpgw's
  // max_message_bytes; join pieces by association, stream and unordered.
  virtual void OnMessage(const v1::InboundMessage& message) { (void)message; }
  // AssociateAsync() finished: the association is up, or why not. `tag` is
  // what AssociateAsync() returned.
  virtual void OnAssociated(uint64_t tag, const absl::StatusOr<v1::Association>& result) {
    (void)tag, (void)result;
  }
  // ShutdownAsync() finished: the SHUTDOWN handshake completed (every
  // message accepted so far delivered), or why not.
  virtual void OnShutdownComplete(uint64_t tag, uint64_t association_id,
                                  const absl::Status& status) {
    (void)tag, (void)association_id, (void)status;
  }
  // StartReceiving() stopped by itself: OUT_OF_RANGE when the association
  // ended after its last message, NOT_FOUND when it or the endpoint is gone,
  // or an error that retrying cannot cure (INVALID_ARGUMENT, UNIMPLEMENTED,
  // PERMISSION_DENIED, ...). Transient errors are retried, not reported.
  virtual void OnReceivingStopped(const absl::Status& status) { (void)status; }
  // The event stream's state: OK once (re)connected, UNAVAILABLE while
  // reconnecting, OUT_OF_RANGE when events were lost to the service's history
  // limit (the stream then goes on from the oldest kept), NOT_FOUND when the
  // session is gone (expired, or the service restarted): the stream stops.
  virtual void OnStreamStatus(const absl::Status& status) { (void)status; }
};

// How one message is sent (MakeMessage turns them into the OutboundMessage
// that Send sends).
struct SendOptions {
  uint32_t stream = 0;
  uint32_t ppid = 0;  // Payload protocol identifier, host byte order.
  bool unordered = false;
  // PR-SCTP (RFC 7496), at most one policy per message (sctpgw refuses
  // more with INVALID_ARGUMENT). Timed: give up after this many ms; 0 =
  // reliable.
  uint32_t lifetime_ms = 0;
  // Limited retransmissions (SCTP_PR_SCTP_RTX): abandon the message once it
  // has been retransmitted this many times, 0..65535 (0: sent once).
  std::optional<uint32_t> max_retransmissions;
  // Priority (SCTP_PR_SCTP_PRIO), 0..65535, 0 the most important: when the
  // send buffer has no room for this message, queued messages with a larger
  // value are abandoned to make room.
  std::optional<uint32_t> priority;
  // Send to this peer address (numeric, one of the association's) rather
  // than the primary path; retransmissions may take another. Empty: the
  // primary path.
  std::string peer_address;
  // Returned in the SEND_FAILED event if the message is not delivered
  // (abandoned under PR-SCTP, or the association ended).
  uint32_t context = 0;

  // The stream, PPID and ordering of a received message: for replies.
  static SendOptions Like(const v1::InboundMessage& message) {
    SendOptions options;
    options.stream = message.stream();
    options.ppid = message.ppid();
    options.unordered = message.unordered();
    return options;
  }
};

struct EndpointOptions {
  std::vector<std::string> addresses;  // Numeric IPv4/IPv6; several = multi-homed.
  uint16_t port = 0;                   // 0 = the kernel chooses.
  bool listen = false;
  uint16_t streams = 0;                // Outbound and maximum inbound; 0 = kernel default.
  bool address_reconfiguration = false;
  std::optional<v1::PathParameters> path_parameters;
  // SCTP over UDP (RFC 6951): the peer's UDP port for this endpoint's
  // associations; 0 = SCTP directly over IP. Needs sctpgw's sctp.udp_port.
  uint16_t udp_encapsulation_port = 0;
  // Stream reconfiguration (RFC 6525): the requests this endpoint's
  // associations make and accept (ResetStreams, ResetAssociation,
  // AddStreams).
  bool reset_streams = false;
  bool reset_association = false;
  bool add_streams = false;
  // Message interleaving (RFC 8260, I-DATA). Needs sctpgw's
  // sctp.interleaving.
  bool interleaving = false;
  v1::StreamScheduler stream_scheduler = v1::STREAM_SCHEDULER_UNSPECIFIED;
  // SCTP-AUTH (RFC 4895): chunk types to authenticate, keys, active key.
  std::optional<v1::AuthOptions> auth;
  // The socket API's remaining settings (RFC 6458) for the endpoint's
  // associations; each unset keeps sctpgw's default, and the Endpoint
  // returned reports every one as the kernel has it (socket_settings).
  // Ranges and defaults: docs/api.md, "Socket settings".
  // State cookie lifetime (SCTP_ASSOCINFO), ms, 1..3600000; default 60000.
  std::optional<uint32_t> cookie_life_ms;
  // Receive window advertised to peers (set through SO_RCVBUF), bytes,
  // 4096..67108864; the kernel rounds it.
  std::optional<uint32_t> receive_window_bytes;
  // Largest DATA chunk payload before fragmenting (SCTP_MAXSEG), bytes,
  // 0..65535; 0 = as the path MTU allows.
  std::optional<uint32_t> max_segment_bytes;
  // Refuse a message above the fragmentation point instead of fragmenting
  // it (SCTP_DISABLE_FRAGMENTS): Send fails with MESSAGE_TOO_LARGE_FOR_PATH.
  bool disable_fragments = false;
  // How much of a message the kernel gathers before handing sctpgw a part
  // (SCTP_PARTIAL_DELIVERY_POINT), bytes, 1..half the receive buffer.
  std::optional<uint32_t> partial_delivery_point_bytes;
  // Bundle small messages (SCTP_NODELAY off): a message may wait to share a
  // packet. Default: every message goes out at once.
  bool bundle_messages = false;
  // Incoming messages longer than sctpgw's max_message_bytes: delivered in
  // pieces (UNSPECIFIED, the default, or DELIVER_IN_PIECES: InboundMessage
  // more_follows and offset), or ABORT their association.
  v1::OversizedMessages oversized_messages = v1::OVERSIZED_MESSAGES_UNSPECIFIED;

  // An endpoint accepting associations on `addresses` at `port`.
  static EndpointOptions Listening(std::vector<std::string> addresses, uint16_t port) {
    EndpointOptions options;
    options.addresses = std::move(addresses);
    options.port = port;
    options.listen = true;
    return options;
  }
  // An endpoint for outgoing associations, on any free port.
  static EndpointOptions Outgoing(std::vector<std::string> addresses) {
    EndpointOptions options;
    options.addresses = std::move(addresses);
    return options;
  }
};

// How an association is set up: the peer and every INIT option (RFC 9260
// section 5.1, SCTP_INITMSG); zero keeps the endpoint's (or the kernel's).
struct AssociateOptions {
  std::vector<std::string> peer_addresses;  // Numeric; several = a multi-homed peer.
  uint16_t peer_port = 0;
  uint16_t outbound_streams = 0;
  uint16_t max_inbound_streams = 0;
  uint16_t max_init_attempts = 0;     // INIT retransmissions before giving up.
  uint16_t max_init_timeout_ms = 0;   // The largest INIT retransmission timeout.
};

// What the options become on the wire (client_options.cc): the message
// Send sends, for SendBatch and SendStream callers who build their own
// batches; and the OpenEndpoint request (without its session id).
v1::OutboundMessage MakeMessage(std::string payload, const SendOptions& options = {});
v1::OpenEndpointRequest MakeOpenEndpointRequest(const EndpointOptions& options);
v1::AssociateRequest MakeAssociateRequest(const AssociateOptions& options);

// One SendStream call (Client::OpenSendStream): many batches, in order, on
// one long-lived stream instead of a call each; for high message rates. Not
// thread-safe: one writer.
class SendStream {
 public:
  ~SendStream();  // Cancels the call if Finish() was not called.
  SendStream(const SendStream&) = delete;
  SendStream& operator=(const SendStream&) = delete;

  // Queues a batch (at most the service's per-call limit of messages) for
  // the kernel, after every earlier one; blocks while sctpgw pushes back.
  // False once the stream has ended: Finish() says why.
  bool Write(uint64_t association_id, std::vector<v1::OutboundMessage> messages);
  // Says no more batches come, waits until every one is done, and returns
  // the totals, or the first error (metadata "completed_requests",
  // "accepted_messages").
  absl::StatusOr<v1::SendStreamResponse> Finish();
  // Abandons the stream: requests not yet handed to the kernel are dropped.
  void Cancel() { context_.TryCancel(); }

 private:
  friend class Client;
  SendStream() = default;
  std::string session_id_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::SendRequest, v1::SendStreamResponse>> stream_;
  v1::SendRequest request_;
  bool finished_ = false;
};

// One ReceiveStream call (Client::OpenReceiveStream): the messages of one
// association, or of an endpoint's associations, pushed as they arrive.
class ReceiveStream {
 public:
  ~ReceiveStream();  // Cancels the call.
  ReceiveStream(const ReceiveStream&) = delete;
  ReceiveStream& operator=(const ReceiveStream&) = delete;

  // The next messages (at least one), blocking until they come. When the
  // stream has ended: OUT_OF_RANGE if the association ended after its last
  // message was delivered, else the error that ended it (CANCELLED after
  // Cancel()).
  absl::StatusOr<std::vector<v1::InboundMessage>> Read();
  // Ends the stream; a Read() waiting in another thread returns.
  void Cancel() { context_.TryCancel(); }

 private:
  friend class Client;
  ReceiveStream() = default;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::ReceiveResponse>> stream_;
  v1::ReceiveResponse response_;
  bool ended_ = false;
  absl::Status end_;
};

// One Capture call (Client::OpenCapture): copies of the messages passing
// over the session's associations, as they pass. Not thread-safe but for
// Cancel(). capture_pcap.h writes them as a pcap file.
class CaptureStream {
 public:
  ~CaptureStream();  // Cancels the call.
  CaptureStream(const CaptureStream&) = delete;
  CaptureStream& operator=(const CaptureStream&) = delete;

  // Waits until the capture is in force (sctpgw's first, empty, response),
  // or for its error (NOT_FOUND, LIMIT_EXCEEDED, ...).
  absl::Status Started();
  // The next response: messages, and how many were dropped before them
  // because this reader fell behind. Ends with NOT_FOUND once the session
  // has ended, or CANCELLED after Cancel().
  absl::StatusOr<v1::CaptureResponse> Read();
  void Cancel() { context_.TryCancel(); }

 private:
  friend class Client;
  CaptureStream() = default;
  absl::Status End();
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::CaptureResponse>> stream_;
  bool started_ = false;
  bool ended_ = false;
  absl::Status end_;
};

class Client {
 public:
  // Connects, opens (or attaches to) the session and, with watch_events,
  // waits until the event stream is acknowledged, so no event of what the
  // application does next is missed. `handler` (may be null) must outlive
  // the Client.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(ClientOptions options,
                                                         EventHandler* handler = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& session_id() const { return session_id_; }
  // The lease the service granted.
  Milliseconds lease() const { return lease_; }
  SessionLiveness liveness() const { return options_.liveness; }
  // Renews the session's lease now (either liveness), saying the events
  // handled so far. kApplication renews by itself (see SessionLiveness).
  absl::Status RenewLease(std::optional<Milliseconds> timeout = {});
  // The sequence of the last event delivered to the handler.
  uint64_t last_sequence() const { return last_sequence_.load(); }

  // Endpoints.
  absl::StatusOr<v1::Endpoint> OpenEndpoint(const EndpointOptions& options,
                                            std::optional<Milliseconds> timeout = {});
  absl::Status CloseEndpoint(uint64_t endpoint_id, bool abort = false,
                             std::optional<Milliseconds> timeout = {});
  absl::StatusOr<std::vector<v1::Endpoint>> ListEndpoints(std::optional<Milliseconds> timeout = {});

  // Associations. Associate returns once the association is up.
  absl::StatusOr<v1::Association> Associate(uint64_t endpoint_id,
                                            const std::vector<std::string>& peer_addresses,
                                            uint16_t peer_port, uint16_t streams = 0,
                                            std::optional<Milliseconds> timeout = {});
  absl::StatusOr<v1::Association> Associate(uint64_t endpoint_id, const AssociateOptions& options,
                                            std::optional<Milliseconds> timeout = {});
  // Sends one message; returns when the kernel accepted it.
  absl::Status Send(uint64_t association_id, std::string payload, const SendOptions& options = {},
                    std::optional<Milliseconds> timeout = {});
  // Sends several in order; returns how many the kernel accepted.
  absl::StatusOr<size_t> SendBatch(uint64_t association_id,
                                   const std::vector<v1::OutboundMessage>& messages,
                                   std::optional<Milliseconds> timeout = {});
  // Waits up to `timeout` for messages of one association (or, with
  // ReceiveFromEndpoint, any association of an endpoint). An empty result
  // means none arrived in time.
  absl::StatusOr<std::vector<v1::InboundMessage>> Receive(uint64_t association_id,
                                                          Milliseconds timeout,
                                                          uint32_t max_messages = 0);
  absl::StatusOr<std::vector<v1::InboundMessage>> ReceiveFromEndpoint(uint64_t endpoint_id,
                                                                      Milliseconds timeout,
                                                                      uint32_t max_messages = 0);
  // The same without blocking (client_async.cc): each returns a tag at
  // once, and its outcome reaches the handler (OnAssociated,
  // OnShutdownComplete) like an event: on the library thread, or from
  // Dispatch() for an application on its own loop. Unlike the blocking
  // forms they are not made again after HANDED_OVER: the outcome says so
  // (IsHandedOver()) and the application decides. Needs a handler.
  uint64_t AssociateAsync(uint64_t endpoint_id, const AssociateOptions& options,
                          std::optional<Milliseconds> timeout = {});
  uint64_t ShutdownAsync(uint64_t association_id, std::optional<Milliseconds> timeout = {});
  // Graceful shutdown (returns when complete) or ABORT with a reason.
  absl::Status Shutdown(uint64_t association_id, std::optional<Milliseconds> timeout = {});
  absl::Status Abort(uint64_t association_id, const std::string& reason = "",
                     std::optional<Milliseconds> timeout = {});
  absl::StatusOr<std::vector<v1::Association>> ListAssociations(
      uint64_t endpoint_id = 0, std::optional<Milliseconds> timeout = {});
  // Status, every path and the timers of one association, its statistics
  // and PR-SCTP counters; with `pr_sctp_streams`, also the PR-SCTP counters
  // of those outbound streams (at most 256; none: every stream below 256
  // with a message abandoned).
  absl::StatusOr<v1::GetAssociationResponse> GetAssociation(
      uint64_t association_id, std::optional<Milliseconds> timeout = {});
  absl::StatusOr<v1::GetAssociationResponse> GetAssociation(
      uint64_t association_id, const std::vector<uint32_t>& pr_sctp_streams,
      std::optional<Milliseconds> timeout = {});
  absl::Status SetPrimaryPath(uint64_t association_id, const std::string& peer_address,
                              std::optional<Milliseconds> timeout = {});

  // Paths and addresses (client_paths.cc). Timers and thresholds of an
  // association, or with `peer_address` one path's heartbeat and failure
  // settings; returns what is in force.
  absl::StatusOr<v1::ConfigurePathsResponse> ConfigurePaths(
      uint64_t association_id, const v1::PathParameters& parameters,
      const std::string& peer_address = "", std::optional<Milliseconds> timeout = {});
  // Adds and removes local addresses of a live endpoint (ASCONF tells the
  // peers of its associations where both sides support it); returns the
  // endpoint as it is then.
  absl::StatusOr<v1::Endpoint> UpdateEndpointAddresses(
      uint64_t endpoint_id, const std::vector<std::string>& add,
      const std::vector<std::string>& remove, std::optional<Milliseconds> timeout = {});
  // Asks the peer to send to `local_address` (one of this side's) by
  // preference (ASCONF SET_PRIMARY); the peer's events show MADE_PRIMARY.
  absl::Status RequestPeerPrimaryPath(uint64_t association_id, const std::string& local_address,
                                      std::optional<Milliseconds> timeout = {});

  // The SCTP extensions (client_extensions.cc; docs/api.md). Stream
  // reconfiguration (RFC 6525) returns once the request is sent: the
  // peer's answer is an event (STREAM_RESET, ASSOCIATION_RESET,
  // STREAM_CHANGE). `streams` empty: every stream.
  absl::Status ResetStreams(uint64_t association_id, v1::StreamResetDirection direction,
                            const std::vector<uint32_t>& streams = {},
                            std::optional<Milliseconds> timeout = {});
  absl::Status ResetAssociation(uint64_t association_id, std::optional<Milliseconds> timeout = {});
  absl::Status AddStreams(uint64_t association_id, uint32_t outbound, uint32_t inbound,
                          std::optional<Milliseconds> timeout = {});
  // The stream scheduler (UNSPECIFIED: kept) and stream priorities or
  // weights; returns what is in force.
  absl::StatusOr<v1::ConfigureStreamsResponse> ConfigureStreams(
      uint64_t association_id, v1::StreamScheduler scheduler,
      const std::vector<v1::StreamValue>& values = {}, std::optional<Milliseconds> timeout = {});
  // SCTP-AUTH keys (RFC 4895) of an endpoint or of one association.
  enum class AuthKeyScope { kEndpoint, kAssociation };
  absl::Status ChangeAuthKey(AuthKeyScope scope, uint64_t id, v1::AuthKeyAction action,
                             uint32_t key_id, const std::string& secret = {},
                             std::optional<Milliseconds> timeout = {});

  // A HEARTBEAT now (SPP_HB_DEMAND) to one peer address, or with
  // `peer_address` empty to every one; returns once it is sent. Its
  // HEARTBEAT-ACK refreshes the path's RTT and confirms an unconfirmed
  // address (a PEER_ADDRESS_CHANGE ADDR_CONFIRMED event).
  absl::Status RequestHeartbeat(uint64_t association_id, const std::string& peer_address = "",
                                std::optional<Milliseconds> timeout = {});

  // Streams for high rates (see SendStream and ReceiveStream above). They
  // have no deadline unless `timeout` is given; a stream's deadline bounds
  // the whole stream.
  std::unique_ptr<SendStream> OpenSendStream(std::optional<Milliseconds> timeout = {});
  // One association, or with association_id 0 any association of
  // endpoint_id; max_messages per read as in Receive (0 = 64). With
  // wait_for_ready the stream waits for sctpgw to be reachable (e.g. while a
  // new process takes over) instead of failing at once.
  std::unique_ptr<ReceiveStream> OpenReceiveStream(uint64_t association_id,
                                                   uint64_t endpoint_id = 0,
                                                   uint32_t max_messages = 0,
                                                   std::optional<Milliseconds> timeout = {},
                                                   bool wait_for_ready = false);
  // A capture of the session's associations: one (association_id), one
  // endpoint's (endpoint_id), or all (neither). `snap_bytes` of each payload
  // (0 = all), at most `buffer_messages` waiting in sctpgw (0 = 4096)
  // before it drops. No deadline unless `timeout` is given.
  std::unique_ptr<CaptureStream> OpenCapture(uint64_t association_id, uint64_t endpoint_id = 0,
                                             uint32_t snap_bytes = 0,
                                             uint32_t buffer_messages = 0,
                                             std::optional<Milliseconds> timeout = {});

  // Delivers the messages of an endpoint's associations (or of one
  // association, with association_id) to EventHandler::OnMessage as they
  // arrive, until StopReceiving() or the Client ends. Several receivers may
  // run at once, one per endpoint or association (each on its own stream);
  // starting one that runs already does nothing.
  void StartReceiving(uint64_t endpoint_id, uint64_t association_id = 0);
  // Stops one receiver, or with no argument every one.
  void StopReceiving(uint64_t endpoint_id, uint64_t association_id = 0);
  void StopReceiving();

  // Events of one endpoint (and of its associations), the messages its
  // receivers deliver and the outcomes of AssociateAsync() from it go to
  // `handler` instead of the client's; nullptr: back to the client's. The
  // handler must outlive its use; callbacks of all handlers never run
  // concurrently.
  void SetEndpointHandler(uint64_t endpoint_id, EventHandler* handler);

  // kDispatch: readable while events or messages wait. Never read it
  // yourself; call Dispatch().
  int event_fd() const;
  // Runs the handler for everything waiting; returns how many. Call it from
  // one thread at a time.
  size_t Dispatch();

  // The generated stub, for calls this class does not wrap.
  v1::GatewayService::Stub& stub() { return *stub_; }
  // Sets this client's deadline (and nothing else) on a context.
  void Prepare(grpc::ClientContext* context, std::optional<Milliseconds> timeout) const;

 private:
  Client(ClientOptions options, EventHandler* handler);
  absl::Status Open();
  void WatchLoop(std::shared_ptr<std::promise<absl::Status>> started);
  // A receiver: its stream's context while one is open, and whether it
  // should go on.
  using ReceiverKey = std::pair<uint64_t, uint64_t>;  // Endpoint, association.
  struct Receiver {
    std::thread thread;
    grpc::ClientContext* context = nullptr;
    bool running = true;
  };
  void ReceiveLoop(ReceiverKey key);
  // Stops and joins the receivers `which` selects.
  void StopReceivers(const std::function<bool(const ReceiverKey&)>& which);
  // The handler of an item: its endpoint's, else the client's.
  EventHandler* HandlerFor(uint64_t endpoint_id);
  absl::StatusOr<std::vector<v1::InboundMessage>> ReceiveWith(v1::ReceiveRequest request,
                                                              Milliseconds timeout);
  absl::Status End(uint64_t association_id, v1::ShutdownMode mode, const std::string& reason,
                   std::optional<Milliseconds> timeout);
  // Makes a unary call, `rpc(context)`, and makes it again while sctpgw
  // answers HANDED_OVER (a new sctpgw process took over; the call did
  // nothing more than its error says), each retry waiting for the
  // connection to the new process, all within one deadline.
  template <typename Rpc>
  absl::Status Call(std::optional<Milliseconds> timeout, Rpc rpc);
  // The same, for calls made in other files of the library.
  absl::Status CallWith(std::optional<Milliseconds> timeout,
                        const std::function<absl::Status(grpc::ClientContext&)>& rpc);
  // Hands an item to the handler now (library thread) or queues it for
  // Dispatch().
  // The outcome of an asynchronous call.
  struct Completion {
    enum class Kind { kAssociate, kShutdown };
    Kind kind = Kind::kAssociate;
    uint64_t tag = 0;
    uint64_t association_id = 0;
    absl::Status status;
    v1::Association association;
  };
  struct Item {
    std::optional<v1::Event> event;
    std::optional<v1::InboundMessage> message;
    std::optional<absl::Status> stream_status;
    std::optional<absl::Status> receiving_stopped;
    std::optional<Completion> completion;
    uint64_t endpoint_id = 0;  // Whose handler takes it (0: the client's).
  };
  // One asynchronous call in flight (client_async.cc).
  struct AsyncCall;
  // False when the client is closing (the call is then not made).
  bool StartAsync(AsyncCall* call);
  void FinishAsync(AsyncCall* call, Completion completion);
  // Cancels the asynchronous calls in flight and waits for their outcome.
  void CancelAsync();
  static Item EventItem(v1::Event event);
  static Item StreamStatusItem(absl::Status status);
  void Deliver(Item item);
  void Handle(const Item& item);
  // kApplication: how often the handling thread renews, and whether that is
  // due now.
  Milliseconds RenewInterval() const;
  bool RenewalDue() const;
  // On the handling thread: renews if due (kApplication).
  void RenewIfDue();
  // kApplication: wakes the handling thread when a renewal is due (the
  // library's thread once no callback runs; Dispatch() via event_fd()).
  void RenewalLoop();
  // Waits up to `delay` unless the client is closing; false if closing.
  bool Backoff(Milliseconds delay);

  const ClientOptions options_;
  EventHandler* const handler_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::GatewayService::Stub> stub_;
  std::string session_id_;
  Milliseconds lease_{0};
  std::atomic<uint64_t> last_sequence_{0};
  // The last event a handler was given, and (steady clock, ns) when the
  // lease was last renewed by RenewIfDue.
  std::atomic<uint64_t> handled_sequence_{0};
  std::atomic<int64_t> last_renewal_ns_{0};
  // The eventfd behind event_fd(), owned. Defined in client.cc, so that
  // this header needs nothing outside the library's include directory.
  struct EventFd;
  std::unique_ptr<EventFd> event_fd_;

  absl::Mutex mu_;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* watch_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::map<ReceiverKey, std::unique_ptr<Receiver>> receivers_ ABSL_GUARDED_BY(mu_);
  // Receivers being stopped: a full dispatch queue does not hold them.
  size_t stopping_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, EventHandler*> endpoint_handlers_ ABSL_GUARDED_BY(mu_);
  std::deque<Item> pending_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, grpc::ClientContext*> async_calls_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> next_tag_{1};
  absl::Mutex handler_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // Handler callbacks one at a time.
  std::thread watcher_;
  std::thread renewer_;  // kApplication.
};

// sctpgw's reason for an error ("" if the status carries none).
std::string ErrorReason(const absl::Status& status);
// The error's details (field, limit, association_id, ...).
std::map<std::string, std::string> ErrorMetadata(const absl::Status& status);
// A gRPC status as an absl::Status with sctpgw's reason and metadata kept.
absl::Status FromGrpc(const grpc::Status& status);
// UNAVAILABLE / HANDED_OVER: a new sctpgw process has taken over from the
// one that answered; the call did nothing more than its error says (a Send:
// its first "accepted_messages"), so it is safe to make again. The calls of
// Client do so by themselves within their deadline.
bool IsHandedOver(const absl::Status& status);

// The standard gRPC health service of the sctpgw at `target`: OK if it
// answers SERVING, UNAVAILABLE if it cannot be reached (at once, or with
// `wait` until `timeout` passes), FAILED_PRECONDITION if it answers anything
// else (NOT_SERVING: the kernel has no usable SCTP).
absl::Status CheckHealth(const std::string& target, Milliseconds timeout, bool wait = false,
                         std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

// How the sctpgw process at `target` stands (GetServiceStatus): serving,
// handing over or stopping, how it started, what it holds. Needs no session.
absl::StatusOr<v1::GetServiceStatusResponse> GetServiceStatus(
    const std::string& target, Milliseconds timeout,
    std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

}  // namespace sctpgw::client
