// A single-threaded I/O loop: epoll for descriptors, an eventfd to wake it
// for posted work, and timers. Everything registered with the loop runs on
// the loop's thread; Post() is the only call that is safe from other threads.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/net/unique_fd.h"

namespace sctpgw::net {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using TimerId = uint64_t;
  // Called with the epoll events (EPOLLIN, EPOLLOUT, EPOLLERR, ...).
  using FdHandler = std::function<void(uint32_t events)>;

  static absl::StatusOr<std::unique_ptr<EventLoop>> Create();
  ~EventLoop();

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts the loop on its own thread.
  void Start();
  // Stops the loop and joins its thread; work posted but not yet run is
  // dropped. Safe to call more than once; not from the loop's own thread.
  void Stop();

  // Runs `task` on the loop's thread. Safe from any thread.
  void Post(std::function<void()> task);
  bool InLoopThread() const { return loop_thread_.load() == std::this_thread::get_id(); }

  // Loop thread only. Level-triggered interest in `events` on `fd`.
  absl::Status Watch(int fd, uint32_t events, FdHandler handler);
  absl::Status Modify(int fd, uint32_t events);
  void Unwatch(int fd);

  // Loop thread only. Runs `task` once after `delay`; ids are never reused.
  TimerId StartTimer(Clock::duration delay, std::function<void()> task);
  void CancelTimer(TimerId id);

 private:
  EventLoop(UniqueFd epoll, UniqueFd wake);
  void Run();
  void RunPosted();
  void RunDueTimers();
  int NextTimeoutMs() const;

  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd
  std::thread thread_;
  // Set by the loop's thread as it starts (thread_ is written by Start()).
  std::atomic<std::thread::id> loop_thread_{};

  absl::Mutex mu_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Loop thread only.
  std::unordered_map<int, std::shared_ptr<FdHandler>> handlers_;
  std::map<std::pair<Clock::time_point, TimerId>, std::function<void()>> timers_;
  std::unordered_map<TimerId, Clock::time_point> timer_due_;
  TimerId next_timer_id_ = 1;
};

}  // namespace sctpgw::net
