// The gmock kernel stack (mock_sctp_stack.h) on a real loop thread: posted
// tasks and timers run on a net::EventLoop in real time, as the kernel
// stack's do, while every socket operation stays a mock method. For tests
// that reach the core from other threads, as the gRPC service does.
//
// Threading: as for any SctpStack, the core runs on the loop thread, and so
// must everything a test does to it (injecting notifications, reading
// Stats()): RunOnLoop(). Set expectations from the test thread before the
// calls that use them.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <utility>

#include "server/net/event_loop.h"
#include "tests/mocks/net/mock_sctp_stack.h"

namespace sctpgw::net {

class LoopedMockSctpStack : public MockSctpStack {
 public:
  LoopedMockSctpStack() : loop_(NewLoop()) { loop_->Start(); }
  ~LoopedMockSctpStack() override { Stop(); }

  // Stops the loop and joins its thread; work posted but not run is dropped.
  void Stop() { loop_->Stop(); }

  void Post(std::function<void()> task) override { loop_->Post(std::move(task)); }
  void RunOrPost(std::function<void()> task) override { loop_->RunOrPost(std::move(task)); }
  TimerId StartTimer(std::chrono::milliseconds delay, std::function<void()> task) override {
    return loop_->StartTimer(delay, std::move(task));
  }
  void CancelTimer(TimerId id) override { loop_->CancelTimer(id); }
  // The core checks it runs here (SCTPGW_DEBUG_CHECKS): a test that reaches
  // it from another thread fails.
  bool OnRunnerThread() const override { return loop_->InLoopThread(); }

  // Runs `fn` on the loop thread and returns what it returns. A loop that
  // does not run it within `timeout` is stuck: the test cannot go on safely
  // (`fn` may still run later, against state the test has left), so the
  // process stops.
  template <typename F>
  auto RunOnLoop(F fn, std::chrono::milliseconds timeout = std::chrono::seconds(10))
      -> decltype(fn()) {
    using Result = decltype(fn());
    auto task = std::make_shared<std::packaged_task<Result()>>(std::move(fn));
    std::future<Result> result = task->get_future();
    Post([task] { (*task)(); });
    if (result.wait_for(timeout) != std::future_status::ready) {
      std::fprintf(stderr, "LoopedMockSctpStack: the loop thread ran nothing for %lld ms\n",
                   static_cast<long long>(timeout.count()));
      std::abort();
    }
    return result.get();
  }

 private:
  static std::unique_ptr<EventLoop> NewLoop() {
    auto loop = EventLoop::Create();
    if (!loop.ok()) {
      std::fprintf(stderr, "LoopedMockSctpStack: %s\n", loop.status().ToString().c_str());
      std::abort();
    }
    return std::move(*loop);
  }

  std::unique_ptr<EventLoop> loop_;
};

}  // namespace sctpgw::net
