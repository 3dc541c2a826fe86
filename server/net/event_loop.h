// A single-threaded I/O loop: epoll for descriptors, an eventfd to wake it
// for posted work, and timers. Everything registered with the loop runs on
// the loop's thread; Post() and RunOrPost() are the only calls that are safe
// from other threads.
//
// The loop's thread holds the loop's "turn" (turn_) whenever it is not
// waiting in epoll_wait. RunOrPost() lets another thread take the turn while
// the loop waits and run a task there and then, as the loop's thread would:
// for that time it *is* the loop's thread (InLoopThread() is true for it and
// false for the loop's own thread), and everything the loop owns is its to
// use. This saves the hand-off to the loop's thread and back, which is most
// of what a short operation costs (docs/benchmarks.md, "native").
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
  // Safe from any thread; never waits for the loop's work. When the loop is
  // running and its turn is free at once (its thread waiting for events,
  // with none to handle), runs on the calling thread with the turn, in
  // order: the work already posted, `task`, then what they post (up to 8
  // rounds; the rest is the loop thread's), and returns. Otherwise posts
  // `task`: the loop is busy or has events to handle, the caller has the
  // turn already, or the loop is stopped or not started. While it runs, the
  // loop's thread waits for the turn before it handles any event.
  void RunOrPost(std::function<void()> task);
  // True on the thread that has the loop's turn: the loop's thread, or a
  // thread inside RunOrPost().
  bool InLoopThread() const { return turn_holder_.load() == std::this_thread::get_id(); }

  // Loop thread only (the thread with the turn). Level-triggered interest in
  // `events` on `fd`. Because another thread may change interests while the
  // loop's thread waits, a handler can be called for readiness that has gone
  // (level-triggered, non-blocking descriptors make that harmless).
  absl::Status Watch(int fd, uint32_t events, FdHandler handler);
  absl::Status Modify(int fd, uint32_t events);
  void Unwatch(int fd);

  // Loop thread only. Runs `task` once after `delay`; ids are never reused.
  TimerId StartTimer(Clock::duration delay, std::function<void()> task);
  void CancelTimer(TimerId id);

 private:
  EventLoop(UniqueFd epoll, UniqueFd wake);
  void Run();
  // Takes the turn for the calling thread, and gives it up.
  void TakeTurn() ABSL_EXCLUSIVE_LOCK_FUNCTION(turn_);
  void GiveTurn() ABSL_UNLOCK_FUNCTION(turn_);
  void RunPosted();
  void RunDueTimers();
  int NextTimeoutMs() const;

  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd
  std::thread thread_;

  // Whoever runs the loop's work: the loop's thread outside epoll_wait, or a
  // thread inside RunOrPost(). Taken before mu_, never the other way round.
  absl::Mutex turn_ ABSL_ACQUIRED_BEFORE(mu_);
  // The thread that has the turn (none while the loop's thread waits).
  std::atomic<std::thread::id> turn_holder_{};
  // The loop's thread has events to handle and waits for the turn: callers
  // of RunOrPost post instead of taking it first.
  std::atomic<bool> loop_wants_turn_{false};
  // True from the loop thread's first turn until it stops.
  bool running_ ABSL_GUARDED_BY(turn_) = false;
  // When the waiting loop's thread will wake up on its own (a timer); a
  // RunOrPost() that starts an earlier timer wakes it.
  Clock::time_point planned_wake_ ABSL_GUARDED_BY(turn_) = Clock::time_point::max();

  absl::Mutex mu_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // The thread with the turn only.
  std::unordered_map<int, std::shared_ptr<FdHandler>> handlers_;
  std::map<std::pair<Clock::time_point, TimerId>, std::function<void()>> timers_;
  std::unordered_map<TimerId, Clock::time_point> timer_due_;
  TimerId next_timer_id_ = 1;
};

}  // namespace sctpgw::net
