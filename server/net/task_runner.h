// The thread a layer's work runs on, as an interface: posted tasks, timers,
// and a way to check that the caller is on that thread. The core runs on the
// SctpStack's runner; unit tests run it on a manual clock or a test loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <utility>

namespace sctpgw::net {

using TimerId = uint64_t;

class TaskRunner {
 public:
  virtual ~TaskRunner() = default;

  // Safe from any thread: runs `task` on the runner's thread, after the task
  // that is running now (if any) and in the order posted.
  virtual void Post(std::function<void()> task) = 0;
  // Safe from any thread: like Post(), but a runner whose thread is idle may
  // run `task` at once on the calling thread, which then is the runner's
  // thread until `task` and the work it posted have run (EventLoop's
  // RunOrPost). Saves a hand-off between threads.
  virtual void RunOrPost(std::function<void()> task) { Post(std::move(task)); }
  // The runner's thread only. Runs `task` once after `delay`; ids are never
  // reused, and cancelling a timer that has run is harmless.
  virtual TimerId StartTimer(std::chrono::milliseconds delay, std::function<void()> task) = 0;
  virtual void CancelTimer(TimerId id) = 0;
  // True on the runner's thread.
  virtual bool OnRunnerThread() const = 0;
};

}  // namespace sctpgw::net
