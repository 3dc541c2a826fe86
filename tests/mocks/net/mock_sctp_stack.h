// gmock of the kernel SCTP stack the core drives, for unit tests of the core.
// Timers run on a manual clock (AdvanceTime) and posted tasks when the test
// runs them (RunPosted; AdvanceTime runs them too), so tests are
// deterministic and never sleep, and a completion that ran inside the call
// that started it would show.
#pragma once

#include <gmock/gmock.h>

#include <deque>
#include <map>

#include "server/net/sctp_stack.h"

namespace sctpgw::net {

class MockSctpStack : public SctpStack {
 public:
  void SetObserver(Observer* observer) override { observer_ = observer; }
  Observer* observer() const { return observer_; }

  MOCK_METHOD(absl::StatusOr<SocketId>, OpenEndpoint, (const EndpointConfig& config), (override));
  MOCK_METHOD(absl::StatusOr<uint16_t>, LocalPort, (SocketId endpoint), (override));
  MOCK_METHOD(absl::StatusOr<size_t>, MaxSendSize, (SocketId endpoint), (override));
  MOCK_METHOD(absl::Status, ChangeAddresses,
              (SocketId endpoint, const std::vector<SocketAddress>& add,
               const std::vector<SocketAddress>& remove),
              (override));
  MOCK_METHOD(absl::StatusOr<AssocId>, Connect,
              (SocketId endpoint, const std::vector<SocketAddress>& peers, const InitParams& init),
              (override));
  MOCK_METHOD(absl::StatusOr<SocketId>, PeelOff, (SocketId endpoint, AssocId assoc_id),
              (override));
  MOCK_METHOD(absl::Status, Send,
              (SocketId socket, const SendInfo& info, absl::Span<const uint8_t> data), (override));
  MOCK_METHOD(absl::Status, Shutdown, (SocketId socket, AssocId assoc_id), (override));
  MOCK_METHOD(absl::Status, Abort,
              (SocketId socket, AssocId assoc_id, absl::string_view reason), (override));
  MOCK_METHOD(void, PauseReading, (SocketId socket, bool paused), (override));
  MOCK_METHOD(absl::StatusOr<AssociationStatus>, Status, (SocketId socket, AssocId assoc_id),
              (override));
  MOCK_METHOD(absl::StatusOr<std::vector<SocketAddress>>, LocalAddresses,
              (SocketId socket, AssocId assoc_id), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<SocketAddress>>, PeerAddresses,
              (SocketId socket, AssocId assoc_id), (override));
  MOCK_METHOD(absl::StatusOr<PathInfo>, Path,
              (SocketId socket, AssocId assoc_id, const SocketAddress& peer), (override));
  MOCK_METHOD(absl::Status, SetPrimary,
              (SocketId socket, AssocId assoc_id, const SocketAddress& peer), (override));
  MOCK_METHOD(absl::StatusOr<PathParameters>, Parameters, (SocketId socket, AssocId assoc_id),
              (override));
  MOCK_METHOD(absl::Status, SetParameters,
              (SocketId socket, AssocId assoc_id, const PathParameters& parameters),
              (override));
  MOCK_METHOD(absl::Status, SetPathParameters,
              (SocketId socket, AssocId assoc_id, const SocketAddress& peer,
               const PathParameters& parameters),
              (override));
  MOCK_METHOD(absl::Status, SetPeerPrimary,
              (SocketId socket, AssocId assoc_id, const SocketAddress& local), (override));
  MOCK_METHOD(absl::Status, ReconfigureStreams,
              (SocketId socket, AssocId assoc_id, const StreamReconfigRequest& request),
              (override));
  MOCK_METHOD(absl::Status, SetStreamScheduling,
              (SocketId socket, AssocId assoc_id, StreamScheduler scheduler,
               const std::vector<StreamValue>& values),
              (override));
  MOCK_METHOD(absl::StatusOr<StreamSettings>, Streams,
              (SocketId socket, AssocId assoc_id, const std::vector<uint16_t>& value_streams),
              (override));
  MOCK_METHOD(absl::Status, ChangeAuthKey,
              (SocketId socket, AssocId assoc_id, const AuthKeyChange& change), (override));
  MOCK_METHOD(absl::StatusOr<AuthStatus>, Auth, (SocketId socket, AssocId assoc_id), (override));
  MOCK_METHOD(absl::StatusOr<SocketSettings>, Settings, (SocketId endpoint), (override));
  MOCK_METHOD(absl::StatusOr<AssociationStatistics>, Statistics,
              (SocketId socket, AssocId assoc_id), (override));
  MOCK_METHOD(absl::StatusOr<PrSctpStatus>, PrSctp,
              (SocketId socket, AssocId assoc_id, const std::vector<uint16_t>& streams),
              (override));
  MOCK_METHOD(absl::Status, RequestHeartbeat,
              (SocketId socket, AssocId assoc_id, const std::optional<SocketAddress>& peer),
              (override));
  MOCK_METHOD(void, Close, (SocketId socket), (override));
  MOCK_METHOD(void, CloseWhenDrained, (SocketId socket), (override));

  void Post(std::function<void()> task) override { posted_.push_back(std::move(task)); }
  bool OnRunnerThread() const override { return true; }
  // Runs the posted tasks, and those they post, until none is left.
  void RunPosted() {
    while (!posted_.empty()) {
      std::function<void()> task = std::move(posted_.front());
      posted_.pop_front();
      task();
    }
  }
  size_t posted_tasks() const { return posted_.size(); }
  TimerId StartTimer(std::chrono::milliseconds delay, std::function<void()> task) override {
    TimerId id = next_timer_++;
    timers_.emplace(id, Timer{now_ + delay, std::move(task)});
    return id;
  }
  void CancelTimer(TimerId id) override { timers_.erase(id); }

  // Moves the manual clock forward, running the timers that fall due.
  void AdvanceTime(std::chrono::milliseconds by) {
    now_ += by;
    for (;;) {
      RunPosted();
      auto due = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second.due <= now_ && (due == timers_.end() || it->second.due < due->second.due)) {
          due = it;
        }
      }
      if (due == timers_.end()) break;
      std::function<void()> task = std::move(due->second.task);
      timers_.erase(due);
      task();
    }
    RunPosted();
  }
  size_t pending_timers() const { return timers_.size(); }

 private:
  struct Timer {
    std::chrono::milliseconds due;
    std::function<void()> task;
  };
  Observer* observer_ = nullptr;
  std::chrono::milliseconds now_{0};
  std::map<TimerId, Timer> timers_;
  std::deque<std::function<void()>> posted_;
  TimerId next_timer_ = 1;
};

}  // namespace sctpgw::net
