#include "server/net/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "server/net/errno_status.h"

namespace sctpgw::net {

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create() {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll.valid()) return ErrnoStatus(errno, "epoll_create1");
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return ErrnoStatus(errno, "eventfd");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake.get();
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &event) != 0) {
    return ErrnoStatus(errno, "epoll_ctl(eventfd)");
  }
  return std::unique_ptr<EventLoop>(new EventLoop(std::move(epoll), std::move(wake)));
}

EventLoop::EventLoop(UniqueFd epoll, UniqueFd wake)
    : epoll_(std::move(epoll)), wake_(std::move(wake)) {}

EventLoop::~EventLoop() { Stop(); }

void EventLoop::Start() { thread_ = std::thread([this] { Run(); }); }

void EventLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

void EventLoop::Post(std::function<void()> task) {
  {
    absl::MutexLock lock(&mu_);
    posted_.push_back(std::move(task));
  }
  // Work posted by the thread with the turn runs before the turn is given up
  // (Run() does not wait while posted work is pending; RunOrPost() runs it
  // all): no wake-up needed.
  if (InLoopThread()) return;
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
}

void EventLoop::TakeTurn() {
  turn_.Lock();
  turn_holder_.store(std::this_thread::get_id());
}

void EventLoop::GiveTurn() {
  turn_holder_.store(std::thread::id());
  turn_.Unlock();
}

void EventLoop::RunOrPost(std::function<void()> task) {
  // The turn is taken only when it is free at once: a caller never waits for
  // the loop's work (a slow step there must not hold up gRPC's few threads),
  // and never ahead of a loop thread that has events to handle (it would
  // starve: absl::Mutex is not fair). A thread that has the turn already
  // posts (run after its task).
  if (InLoopThread() || loop_wants_turn_.load(std::memory_order_acquire) || !turn_.TryLock()) {
    Post(std::move(task));
    return;
  }
  turn_holder_.store(std::this_thread::get_id());
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
  }
  if (!running_ || stopping) {
    GiveTurn();
    Post(std::move(task));
    return;
  }
  RunPosted();  // Work posted before `task` runs before it.
  task();
  // What `task` posted (completions, never run inside the call that started
  // them) runs here too, a bounded number of rounds; anything left is the
  // loop thread's.
  auto has_posted = [this] {
    absl::MutexLock lock(&mu_);
    return !posted_.empty();
  };
  for (int round = 0; round < 8 && has_posted(); ++round) RunPosted();
  const bool left = has_posted();
  const bool earlier_timer = !timers_.empty() && timers_.begin()->first.first < planned_wake_;
  GiveTurn();
  if (left || earlier_timer) {
    uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof(one));
  }
}

absl::Status EventLoop::Watch(int fd, uint32_t events, FdHandler handler) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return ErrnoStatus(errno, "epoll_ctl(ADD)");
  }
  handlers_[fd] = std::make_shared<FdHandler>(std::move(handler));
  return absl::OkStatus();
}

absl::Status EventLoop::Modify(int fd, uint32_t events) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) != 0) {
    return ErrnoStatus(errno, "epoll_ctl(MOD)");
  }
  return absl::OkStatus();
}

void EventLoop::Unwatch(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  handlers_.erase(fd);
}

EventLoop::TimerId EventLoop::StartTimer(Clock::duration delay, std::function<void()> task) {
  TimerId id = next_timer_id_++;
  Clock::time_point due = Clock::now() + delay;
  timers_.emplace(std::make_pair(due, id), std::move(task));
  timer_due_.emplace(id, due);
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  auto it = timer_due_.find(id);
  if (it == timer_due_.end()) return;
  timers_.erase(std::make_pair(it->second, id));
  timer_due_.erase(it);
}

int EventLoop::NextTimeoutMs() const {
  if (timers_.empty()) return -1;
  auto wait = timers_.begin()->first.first - Clock::now();
  if (wait <= Clock::duration::zero()) return 0;
  // Round up so that a timer never fires early.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
}

void EventLoop::RunPosted() {
  std::vector<std::function<void()>> tasks;
  {
    absl::MutexLock lock(&mu_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) task();
}

void EventLoop::RunDueTimers() {
  Clock::time_point now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_due_.erase(node.key().second);
    node.mapped()();
  }
}

void EventLoop::Run() {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  TakeTurn();
  running_ = true;
  for (;;) {
    bool pending;
    {
      absl::MutexLock lock(&mu_);
      pending = !posted_.empty();
      if (stopping_) break;
    }
    const int timeout_ms = pending ? 0 : NextTimeoutMs();
    // The first timer's due time, not the rounded timeout: a RunOrPost() that
    // leaves that same timer first must not wake the loop.
    planned_wake_ = pending            ? Clock::time_point::min()
                    : timers_.empty()  ? Clock::time_point::max()
                                       : timers_.begin()->first.first;
    GiveTurn();
    int count = ::epoll_wait(epoll_.get(), events, kMaxEvents, timeout_ms);
    const int error = errno;
    loop_wants_turn_.store(true, std::memory_order_release);
    TakeTurn();
    loop_wants_turn_.store(false, std::memory_order_release);
    if (count < 0 && error != EINTR) break;
    for (int i = 0; i < count; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_.get()) {
        uint64_t value;
        (void)!::read(wake_.get(), &value, sizeof(value));
        continue;
      }
      auto it = handlers_.find(fd);
      if (it == handlers_.end()) continue;  // Unwatched by an earlier handler.
      std::shared_ptr<FdHandler> handler = it->second;
      (*handler)(events[i].events);
    }
    RunPosted();
    RunDueTimers();
  }
  running_ = false;
  GiveTurn();
}

}  // namespace sctpgw::net
