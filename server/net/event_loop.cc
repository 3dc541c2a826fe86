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
  // Work the loop posts to itself runs before it waits again (Run() does not
  // block while posted work is pending): no wake-up needed.
  if (InLoopThread()) return;
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
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
  loop_thread_.store(std::this_thread::get_id());
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  for (;;) {
    bool pending;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      pending = !posted_.empty();
    }
    int count = ::epoll_wait(epoll_.get(), events, kMaxEvents, pending ? 0 : NextTimeoutMs());
    if (count < 0 && errno != EINTR) return;
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
}

}  // namespace sctpgw::net
