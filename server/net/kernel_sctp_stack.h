// SctpStack on real kernel sockets: non-blocking SCTP sockets on an epoll
// EventLoop thread. Reads are bounded per wakeup so that one busy
// association cannot starve the others.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "server/net/event_loop.h"
#include "server/net/message_assembler.h"
#include "server/net/association_counters.h"
#include "server/net/auth_control.h"
#include "server/net/path_control.h"
#include "server/net/stream_control.h"
#include "server/net/sctp_socket.h"
#include "server/net/sctp_stack.h"
#include "server/net/send_failed_joiner.h"
#include "server/net/socket_carry_over.h"
#include "server/net/socket_keeper.h"
#include "server/net/sys_calls.h"

namespace sctpgw::net {

struct KernelSctpStackOptions {
  // The largest message reassembled from pieces; a longer one arrives in
  // parts of this size, or on sockets opened with abort_oversized_messages
  // is dropped whole and reported (OnReceiveError with RESOURCE_EXHAUSTED,
  // once).
  size_t max_message_bytes = 256 * 1024;
  // Messages read from one socket per wakeup before the loop moves on.
  int reads_per_wakeup = 32;
};

class KernelSctpStack final : public SctpStack {
 public:
  static absl::StatusOr<std::unique_ptr<KernelSctpStack>> Create(SysCalls& sys,
                                                                 KernelSctpStackOptions options);
  ~KernelSctpStack() override;

  // Starts and stops the loop thread. Stop() closes every socket.
  void Start();
  void Stop();

  void SetObserver(Observer* observer) override { observer_ = observer; }
  absl::StatusOr<SocketId> OpenEndpoint(const EndpointConfig& config) override;
  absl::StatusOr<uint16_t> LocalPort(SocketId endpoint) override;
  absl::Status ChangeAddresses(SocketId endpoint, const std::vector<SocketAddress>& add,
                               const std::vector<SocketAddress>& remove) override;
  absl::StatusOr<size_t> MaxSendSize(SocketId endpoint) override;
  absl::StatusOr<sctp_assoc_t> Connect(SocketId endpoint, const std::vector<SocketAddress>& peers,
                                       const InitParams& init) override;
  absl::StatusOr<SocketId> PeelOff(SocketId endpoint, sctp_assoc_t assoc_id) override;
  absl::Status Send(SocketId socket, const SendInfo& info,
                    absl::Span<const uint8_t> data) override;
  absl::Status Shutdown(SocketId socket, sctp_assoc_t assoc_id) override;
  absl::Status Abort(SocketId socket, sctp_assoc_t assoc_id, absl::string_view reason) override;
  void PauseReading(SocketId socket, bool paused) override;
  absl::StatusOr<AssociationStatus> Status(SocketId socket, sctp_assoc_t assoc_id) override;
  absl::StatusOr<std::vector<SocketAddress>> LocalAddresses(SocketId socket,
                                                            sctp_assoc_t assoc_id) override;
  absl::StatusOr<std::vector<SocketAddress>> PeerAddresses(SocketId socket,
                                                           sctp_assoc_t assoc_id) override;
  absl::StatusOr<PathInfo> Path(SocketId socket, sctp_assoc_t assoc_id,
                                const SocketAddress& peer) override;
  absl::Status SetPrimary(SocketId socket, sctp_assoc_t assoc_id,
                          const SocketAddress& peer) override;
  absl::StatusOr<PathParameters> Parameters(SocketId socket, sctp_assoc_t assoc_id) override;
  absl::Status SetParameters(SocketId socket, sctp_assoc_t assoc_id,
                             const PathParameters& parameters) override;
  absl::Status SetPathParameters(SocketId socket, sctp_assoc_t assoc_id, const SocketAddress& peer,
                                 const PathParameters& parameters) override;
  absl::Status SetPeerPrimary(SocketId socket, sctp_assoc_t assoc_id,
                              const SocketAddress& local) override;
  absl::Status ReconfigureStreams(SocketId socket, sctp_assoc_t assoc_id,
                                  const StreamReconfigRequest& request) override;
  absl::Status SetStreamScheduling(SocketId socket, sctp_assoc_t assoc_id,
                                   StreamScheduler scheduler,
                                   const std::vector<StreamValue>& values) override;
  absl::StatusOr<StreamSettings> Streams(SocketId socket, sctp_assoc_t assoc_id,
                                         const std::vector<uint16_t>& value_streams) override;
  absl::Status ChangeAuthKey(SocketId socket, sctp_assoc_t assoc_id,
                             const AuthKeyChange& change) override;
  absl::StatusOr<AuthStatus> Auth(SocketId socket, sctp_assoc_t assoc_id) override;
  absl::StatusOr<SocketSettings> Settings(SocketId endpoint) override;
  absl::StatusOr<AssociationStatistics> Statistics(SocketId socket, sctp_assoc_t assoc_id) override;
  absl::StatusOr<PrSctpStatus> PrSctp(SocketId socket, sctp_assoc_t assoc_id,
                                      const std::vector<uint16_t>& streams) override;
  absl::Status RequestHeartbeat(SocketId socket, sctp_assoc_t assoc_id,
                                const std::optional<SocketAddress>& peer) override;
  void Close(SocketId socket) override;
  void CloseWhenDrained(SocketId socket) override;
  void Post(std::function<void()> task) override { loop_->Post(std::move(task)); }
  void RunOrPost(std::function<void()> task) override { loop_->RunOrPost(std::move(task)); }
  TimerId StartTimer(std::chrono::milliseconds delay, std::function<void()> task) override;
  void CancelTimer(TimerId id) override { loop_->CancelTimer(id); }
  bool OnRunnerThread() const override { return loop_->InLoopThread(); }

  // Planned handover (docs/handover.md), on the loop thread. Export(): the
  // socket's fd (still the stack's: pass a copy, e.g. with SCM_RIGHTS) and
  // what the stack holds of it beyond the kernel. Adopt(): takes a socket
  // another process exported, after checking that it is an SCTP socket of
  // the kind `carry` says (FAILED_PRECONDITION otherwise, and the fd is
  // closed); it is read as if opened here, once PauseReading(id, false).
  absl::StatusOr<std::pair<int, SocketCarryOver>> Export(SocketId id);
  absl::StatusOr<SocketId> Adopt(UniqueFd fd, const SocketCarryOver& carry);

  // Crash survival, on the loop thread: `keeper` (nullptr: none) hears of
  // every socket taken or let go of from now on; Keep() tells it of every
  // socket held now. Sockets dropped by Stop() are not reported: they are
  // let go of with the process.
  void SetKeeper(SocketKeeper* keeper) {
    keeper_ = keeper;
    read_marker_ = keeper != nullptr ? keeper->ReadMarker() : nullptr;
  }
  void KeepAll();

 private:
  struct Entry {
    Entry(SctpSocket s, size_t max_message_bytes)
        : socket(std::move(s)), pieces(max_message_bytes), send_failed(max_message_bytes) {}
    SctpSocket socket;
    bool paused = false;
    bool want_write = false;
    bool failed = false;
    // Close once nothing more is queued (CloseWhenDrained).
    bool closing = false;
    // ASCONF offered (an endpoint's setting, which peeled-off sockets do not
    // inherit from the kernel).
    bool address_reconfiguration = false;
    // Reading stopped in the middle of a message (SocketKeeper).
    bool mid_message = false;
    // SCTP_NODELAY off (an endpoint's setting, set again on peeled-off
    // sockets).
    bool bundle_messages = false;
    // The largest RTO SCTP_GET_ASSOC_STATS reported, and its path.
    uint32_t max_rto_ms = 0;
    std::optional<SocketAddress> max_rto_path;
    // What recvmsg() returns, joined into messages and notifications.
    MessageAssembler pieces;
    // SEND_FAILED fragments of unsent messages, joined per association.
    SendFailedJoiner send_failed;
  };

  KernelSctpStack(SysCalls& sys, KernelSctpStackOptions options, std::unique_ptr<EventLoop> loop);
  absl::StatusOr<Entry*> Find(SocketId id);
  absl::StatusOr<PathControl> Paths(SocketId id);
  absl::StatusOr<AssociationCounters> CountersOf(SocketId id);
  absl::StatusOr<StreamControl> StreamsOf(SocketId id);
  absl::StatusOr<AuthControl> AuthOf(SocketId id);
  absl::StatusOr<SocketId> Adopt(SctpSocket socket);
  void UpdateInterest(SocketId id, Entry& entry);
  void OnReady(SocketId id, uint32_t events);
  // Reads one piece; false when nothing more can be read now.
  bool ReadOne(SocketId id, Entry& entry);
  // Send() of a message to a chosen peer address on an association's own
  // socket; and what a refused send leaves to do (EAGAIN: wait for room).
  absl::Status SendToChosenPath(SocketId socket, Entry& entry, const SendInfo& info,
                                absl::Span<const uint8_t> data);
  absl::Status Unsent(SocketId socket, Entry& entry, absl::Status status);
  // Hands a whole message (or part of a long one) or notification to the
  // observer, which may close the socket.
  void Deliver(SocketId id, Entry& entry, AssembledMessage whole);
  // Closes a socket marked closing once its queue is empty.
  void FinishClosing(SocketId id);

  SysCalls& sys_;
  KernelSctpStackOptions options_;
  std::unique_ptr<EventLoop> loop_;
  Observer* observer_ = nullptr;
  SocketKeeper* keeper_ = nullptr;
  uint64_t* read_marker_ = nullptr;  // SocketKeeper::ReadMarker().
  std::unordered_map<SocketId, std::unique_ptr<Entry>> sockets_;
  SocketId next_id_ = 1;
  std::vector<uint8_t> buffer_;  // Receive scratch, reused.
};

}  // namespace sctpgw::net
