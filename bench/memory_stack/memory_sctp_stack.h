// An SCTP stack in memory, for measuring what sctpgw itself adds between its
// client and the kernel (docs/benchmarks.md, "native"): sctpgw's core and
// rpc layers run over it unchanged, without kernel SCTP. Not part of the
// shipped service.
//
// Associations go between endpoints of this stack, or to peers built in at
// well-known ports on any address:
//   port 9  (discard): messages are counted and dropped;
//   port 7  (echo):    each message comes back on its stream with its PPID;
//   port 19 (source):  messages of `source_bytes` arrive as fast as they are
//                      read, on stream 0 with PPID 19.
// A receiver holds at most `window_bytes` unread (a paused socket, or one
// whose messages wait to be delivered); Send() to it then returns
// UNAVAILABLE (EAGAIN) and OnWritable() follows once it has read half.
// Everything reaches the observer from tasks posted on the stack's thread,
// never from inside the call that caused it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <variant>

#include "server/net/event_loop.h"
#include "server/net/sctp_stack.h"

namespace sctpgw::bench {

class MemorySctpStack final : public net::SctpStack {
 public:
  struct Options {
    size_t window_bytes = 1 << 20;
    size_t source_bytes = 256;
    size_t max_message_bytes = 4 << 20;
  };
  static constexpr uint16_t kDiscardPort = 9;
  static constexpr uint16_t kEchoPort = 7;
  static constexpr uint16_t kSourcePort = 19;

  explicit MemorySctpStack(Options options);
  ~MemorySctpStack() override;

  // The loop thread: Start() before use, Stop() before destruction.
  void Start() { loop_->Start(); }
  void Stop() { loop_->Stop(); }

  // Messages the discard peer has taken, and their bytes.
  uint64_t discarded_messages() const { return discarded_messages_; }
  uint64_t discarded_bytes() const { return discarded_bytes_; }

  // TaskRunner
  void Post(std::function<void()> task) override { loop_->Post(std::move(task)); }
  void RunOrPost(std::function<void()> task) override { loop_->RunOrPost(std::move(task)); }
  net::TimerId StartTimer(std::chrono::milliseconds delay, std::function<void()> task) override {
    return loop_->StartTimer(delay, std::move(task));
  }
  void CancelTimer(net::TimerId id) override { loop_->CancelTimer(id); }
  bool OnRunnerThread() const override { return loop_->InLoopThread(); }

  // SctpStack
  void SetObserver(Observer* observer) override { observer_ = observer; }
  absl::StatusOr<net::SocketId> OpenEndpoint(const net::EndpointConfig& config) override;
  absl::StatusOr<uint16_t> LocalPort(net::SocketId endpoint) override;
  absl::Status ChangeAddresses(net::SocketId endpoint, const std::vector<net::SocketAddress>& add,
                               const std::vector<net::SocketAddress>& remove) override;
  absl::StatusOr<size_t> MaxSendSize(net::SocketId endpoint) override;
  absl::StatusOr<net::AssocId> Connect(net::SocketId endpoint,
                                       const std::vector<net::SocketAddress>& peers,
                                       const net::InitParams& init) override;
  absl::StatusOr<net::SocketId> PeelOff(net::SocketId endpoint, net::AssocId assoc_id) override;
  absl::Status Send(net::SocketId socket, const net::SendInfo& info,
                    absl::Span<const uint8_t> data) override;
  absl::Status Shutdown(net::SocketId socket, net::AssocId assoc_id) override;
  absl::Status Abort(net::SocketId socket, net::AssocId assoc_id, absl::string_view reason) override;
  void PauseReading(net::SocketId socket, bool paused) override;
  absl::StatusOr<net::AssociationStatus> Status(net::SocketId socket, net::AssocId assoc_id) override;
  absl::StatusOr<std::vector<net::SocketAddress>> LocalAddresses(net::SocketId socket,
                                                                 net::AssocId assoc_id) override;
  absl::StatusOr<std::vector<net::SocketAddress>> PeerAddresses(net::SocketId socket,
                                                                net::AssocId assoc_id) override;
  absl::StatusOr<net::PathInfo> Path(net::SocketId socket, net::AssocId assoc_id,
                                     const net::SocketAddress& peer) override;
  absl::Status SetPrimary(net::SocketId socket, net::AssocId assoc_id,
                          const net::SocketAddress& peer) override;
  absl::StatusOr<net::PathParameters> Parameters(net::SocketId socket, net::AssocId assoc_id) override;
  absl::Status SetParameters(net::SocketId socket, net::AssocId assoc_id,
                             const net::PathParameters& parameters) override;
  absl::Status SetPathParameters(net::SocketId socket, net::AssocId assoc_id,
                                 const net::SocketAddress& peer,
                                 const net::PathParameters& parameters) override;
  absl::Status SetPeerPrimary(net::SocketId socket, net::AssocId assoc_id,
                              const net::SocketAddress& local) override;
  // Streams and AUTH: not modelled (UNIMPLEMENTED).
  absl::Status ReconfigureStreams(net::SocketId socket, net::AssocId assoc_id,
                                  const net::StreamReconfigRequest& request) override;
  absl::Status SetStreamScheduling(net::SocketId socket, net::AssocId assoc_id,
                                   net::StreamScheduler scheduler,
                                   const std::vector<net::StreamValue>& values) override;
  absl::StatusOr<net::StreamSettings> Streams(net::SocketId socket, net::AssocId assoc_id,
                                              const std::vector<uint16_t>& value_streams) override;
  absl::Status ChangeAuthKey(net::SocketId socket, net::AssocId assoc_id,
                             const net::AuthKeyChange& change) override;
  absl::StatusOr<net::AuthStatus> Auth(net::SocketId socket, net::AssocId assoc_id) override;
  // Settings read back as opened (defaults); counters and heartbeats: not
  // modelled (UNIMPLEMENTED).
  absl::StatusOr<net::SocketSettings> Settings(net::SocketId endpoint) override;
  absl::StatusOr<net::AssociationStatistics> Statistics(net::SocketId socket,
                                                        net::AssocId assoc_id) override;
  absl::StatusOr<net::PrSctpStatus> PrSctp(net::SocketId socket, net::AssocId assoc_id,
                                           const std::vector<uint16_t>& streams) override;
  absl::Status RequestHeartbeat(net::SocketId socket, net::AssocId assoc_id,
                                const std::optional<net::SocketAddress>& peer) override;
  void Close(net::SocketId socket) override;
  void CloseWhenDrained(net::SocketId socket) override;

 private:
  enum class Peer { kLocal, kDiscard, kEcho, kSource };
  using Inbound = std::variant<net::InboundMessage, net::Notification>;
  struct Socket {
    bool one_to_many = true;
    uint16_t port = 0;
    bool listen = false;
    std::vector<net::SocketAddress> addresses;
    net::AssocId assoc = 0;  // A peeled-off association's.
    bool paused = false;
    bool close_when_drained = false;
    std::deque<Inbound> inbound;
    size_t inbound_bytes = 0;
    bool drain_scheduled = false;
  };
  struct Association {
    net::SocketId socket = 0;  // The endpoint's, then its own once peeled off.
    Peer peer = Peer::kLocal;
    net::AssocId remote = 0;   // kLocal: the other side's association.
    net::SocketAddress local_address;
    net::SocketAddress peer_address;
    uint16_t streams = 10;
    bool up = true;
    bool writer_blocked = false;  // Send() refused: OnWritable() is owed.
  };

  // The association `assoc_id` names on `socket` (any, on a peeled-off
  // socket), or 0.
  net::AssocId FindId(net::SocketId socket, net::AssocId assoc_id) const;
  Association* Find(net::SocketId socket, net::AssocId assoc_id);
  // Queues `item` for `socket`'s observer; `bytes` count against its window.
  void Deliver(net::SocketId socket, Inbound item, size_t bytes);
  void ScheduleDrain(net::SocketId socket);
  void Drain(net::SocketId socket);
  void Refill(net::AssocId assoc_id);
  void Ended(net::AssocId assoc_id, net::AssociationChange change, bool shutdown_event);
  net::Notification Change(net::AssocId assoc_id, net::AssociationChange change, uint16_t streams);

  Options options_;
  std::unique_ptr<net::EventLoop> loop_;
  Observer* observer_ = nullptr;
  std::map<net::SocketId, Socket> sockets_;
  std::map<net::AssocId, Association> associations_;
  net::SocketId next_socket_ = 1;
  net::AssocId next_assoc_ = 1;
  uint16_t next_port_ = 40000;
  std::atomic<uint64_t> discarded_messages_{0};
  std::atomic<uint64_t> discarded_bytes_{0};
};

}  // namespace sctpgw::bench
