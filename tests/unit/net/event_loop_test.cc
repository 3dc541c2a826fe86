// The loop's turn: work run at once on a calling thread while the loop's
// thread waits, in order with posted work, and never beside the loop's own.
#include "server/net/event_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace sctpgw::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::unique_ptr<EventLoop> StartedLoop() {
  auto loop = EventLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  (*loop)->Start();
  // Wait until the loop's thread runs.
  std::promise<void> started;
  (*loop)->Post([&] { started.set_value(); });
  started.get_future().wait();
  return std::move(*loop);
}

// RunOrPost(task) until the loop's turn is free at once and `task` runs on
// this thread (the loop's thread may still be on its way to epoll_wait: it
// then gets the attempt posted, which does nothing but say so). True once
// `task` has run here; false if that never happened within 10 s.
bool RunHere(EventLoop& loop, const std::function<void()>& task) {
  const auto caller = std::this_thread::get_id();
  for (auto until = std::chrono::steady_clock::now() + seconds(10);
       std::chrono::steady_clock::now() < until;) {
    std::promise<bool> ran;
    loop.RunOrPost([&] {
      const bool here = std::this_thread::get_id() == caller;
      if (here) task();
      ran.set_value(here);
    });
    if (ran.get_future().get()) return true;  // Waits for a posted attempt.
  }
  return false;
}

// Runs `task` on the loop's thread and waits for it.
void OnLoop(EventLoop& loop, std::function<void()> task) {
  std::promise<void> done;
  loop.Post([&] {
    task();
    done.set_value();
  });
  done.get_future().wait();
}

TEST(EventLoopTest, RunOrPostRunsOnTheCallingThreadWhileTheLoopWaits) {
  auto loop = StartedLoop();
  bool in_loop = false;
  // It runs by the time RunOrPost returns, here, as the loop's thread.
  ASSERT_TRUE(RunHere(*loop, [&] { in_loop = loop->InLoopThread(); }));
  EXPECT_TRUE(in_loop);
  EXPECT_FALSE(loop->InLoopThread());
}

TEST(EventLoopTest, WorkItPostsRunsBeforeItReturns) {
  auto loop = StartedLoop();
  std::vector<int> order;
  ASSERT_TRUE(RunHere(*loop, [&] {
    order.push_back(1);
    loop->Post([&] {
      order.push_back(3);
      loop->Post([&] { order.push_back(4); });
    });
    order.push_back(2);
  }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(EventLoopTest, ABusyLoopIsNotWaitedForAndOrderHolds) {
  auto loop = StartedLoop();
  std::vector<int> order;
  absl::Notification release;
  absl::Notification blocking;
  // The loop's thread is busy; work posted from here queues behind it.
  loop->Post([&] {
    blocking.Notify();
    release.WaitForNotification();
  });
  blocking.WaitForNotification();
  loop->Post([&] { order.push_back(1); });
  // The loop is busy: the caller does not wait for it, and its task runs
  // after the work posted before it.
  loop->RunOrPost([&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());
  release.Notify();
  OnLoop(*loop, [] {});
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(EventLoopTest, FromTheLoopsOwnThreadItPosts) {
  auto loop = StartedLoop();
  std::vector<int> order;
  OnLoop(*loop, [&] {
    loop->RunOrPost([&] { order.push_back(2); });
    order.push_back(1);  // Not run inside the call: the loop is busy here.
  });
  OnLoop(*loop, [] {});
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(EventLoopTest, NeverBesideTheLoopsOwnWork) {
  auto loop = StartedLoop();
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  absl::Mutex mu;
  int inside = 0;  // Threads running the loop's work at once.
  int most = 0;
  int handled = 0;
  auto enter = [&] {
    absl::MutexLock lock(&mu);
    most = std::max(most, ++inside);
  };
  auto leave = [&] {
    absl::MutexLock lock(&mu);
    --inside;
  };
  OnLoop(*loop, [&] {
    ASSERT_TRUE(loop->Watch(read_end.get(), EPOLLIN, [&](uint32_t) {
                      enter();
                      char byte;
                      while (read(read_end.get(), &byte, 1) == 1) ++handled;
                      leave();
                    }).ok());
  });
  constexpr int kRounds = 2000;
  std::thread writer([&] {
    for (int i = 0; i < kRounds; ++i) (void)!write(write_end.get(), "x", 1);
  });
  std::vector<std::thread> callers;
  int ran = 0;  // Only touched with the turn.
  for (int t = 0; t < 2; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        loop->RunOrPost([&] {
          enter();
          ++ran;
          leave();
        });
      }
    });
  }
  writer.join();
  for (std::thread& caller : callers) caller.join();
  OnLoop(*loop, [&] {
    char byte;
    while (read(read_end.get(), &byte, 1) == 1) ++handled;
    loop->Unwatch(read_end.get());
  });
  EXPECT_EQ(most, 1);
  EXPECT_EQ(ran, 2 * kRounds);
  EXPECT_EQ(handled, kRounds);
}

TEST(EventLoopTest, ATimerStartedByACallerWakesTheLoop) {
  auto loop = StartedLoop();
  absl::Notification fired;
  // The loop's thread waits with no timer; the timer started here must wake
  // it, or it would never fire.
  ASSERT_TRUE(
      RunHere(*loop, [&] { loop->StartTimer(milliseconds(1), [&] { fired.Notify(); }); }));
  EXPECT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST(EventLoopTest, AfterStopItPostsAndNothingRuns) {
  auto loop = StartedLoop();
  loop->Stop();
  bool ran = false;
  loop->RunOrPost([&] { ran = true; });
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace sctpgw::net
