#include "sctpd_event_loop.h"

#include <unistd.h>

#include <algorithm>
#include <vector>

#include "sctpd_library.h"

namespace sctpgw::sctpd {

EventLoop& EventLoop::Get() {
  static EventLoop* loop = new EventLoop();  // For the process's life, as its timers are.
  return *loop;
}

int EventLoop::RegisterFd(int fd, sctp_userCallback callback, void* user_data, short events) {
  if (fd < 0 || callback == nullptr || fds_.count(fd) != 0) return -1;
  fds_[fd] = Watched{callback, user_data, events == 0 ? static_cast<short>(POLLIN) : events};
  return 0;
}

int EventLoop::UnregisterFd(int fd) { return fds_.erase(fd) != 0 ? 0 : -1; }

int EventLoop::RegisterStdin(sctp_StdinCallback callback, char* buffer, int length) {
  if (callback == nullptr || buffer == nullptr || length <= 1 || stdin_callback_ != nullptr) {
    return -1;
  }
  stdin_callback_ = callback;
  stdin_buffer_ = buffer;
  stdin_length_ = length;
  return 0;
}

int EventLoop::UnregisterStdin() {
  if (stdin_callback_ == nullptr) return -1;
  stdin_callback_ = nullptr;
  return 0;
}

unsigned int EventLoop::StartTimer(std::chrono::microseconds delay, sctp_timerCallback callback,
                                   void* param1, void* param2) {
  if (callback == nullptr) return 0;
  unsigned int id = next_timer_++;
  if (next_timer_ == 0) next_timer_ = 1;
  timers_[id] = Timer{Clock::now() + delay, callback, param1, param2};
  return id;
}

int EventLoop::StopTimer(unsigned int id) { return timers_.erase(id) != 0 ? 0 : 1; }

unsigned int EventLoop::RestartTimer(unsigned int id, std::chrono::microseconds delay) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return 0;
  Timer timer = it->second;
  timers_.erase(it);
  return StartTimer(delay, timer.callback, timer.param1, timer.param2);
}

int EventLoop::Run(bool wait, void (*lock)(void*), void (*unlock)(void*), void* data) {
  auto guarded = [&](auto&& call) {
    if (lock != nullptr) lock(data);
    call();
    if (unlock != nullptr) unlock(data);
  };
  Library* library = Library::Get();
  std::vector<pollfd> polled;
  if (library != nullptr) polled.push_back({library->notification_fd(), POLLIN, 0});
  if (stdin_callback_ != nullptr) polled.push_back({STDIN_FILENO, POLLIN, 0});
  for (const auto& [fd, watched] : fds_) polled.push_back({fd, watched.events, 0});

  int timeout_ms = 0;
  if (wait) {
    timeout_ms = -1;
    if (!timers_.empty()) {
      Clock::time_point first = Clock::time_point::max();
      for (const auto& [id, timer] : timers_) first = std::min(first, timer.due);
      auto left = std::chrono::ceil<std::chrono::milliseconds>(first - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
  }
  int ready = poll(polled.data(), polled.size(), timeout_ms);
  if (ready < 0) return errno == EINTR ? 0 : -1;

  int handled = 0;
  // Timers due, earliest first; one may start or stop others.
  while (true) {
    auto due = std::min_element(timers_.begin(), timers_.end(), [](const auto& a, const auto& b) {
      return a.second.due < b.second.due;
    });
    if (due == timers_.end() || due->second.due > Clock::now()) break;
    Timer timer = due->second;
    unsigned int id = due->first;
    timers_.erase(due);
    guarded([&] { timer.callback(id, timer.param1, timer.param2); });
    ++handled;
  }
  for (const pollfd& p : polled) {
    if (p.revents == 0) continue;
    if (library != nullptr && p.fd == library->notification_fd()) {
      guarded([&] { handled += library->DispatchWaiting(); });
    } else if (stdin_callback_ != nullptr && p.fd == STDIN_FILENO && fds_.count(p.fd) == 0) {
      ssize_t n = read(STDIN_FILENO, stdin_buffer_, static_cast<size_t>(stdin_length_ - 1));
      if (n < 0) continue;
      stdin_buffer_[n] = '\0';
      sctp_StdinCallback callback = stdin_callback_;
      // The end of input is said once (length 0); then stdin is no longer watched.
      if (n == 0) stdin_callback_ = nullptr;
      guarded([&] { callback(stdin_buffer_, static_cast<int>(n)); });
      ++handled;
    } else {
      auto it = fds_.find(p.fd);
      if (it == fds_.end()) continue;  // Unregistered by an earlier callback.
      Watched watched = it->second;
      short events = watched.events;
      guarded([&] { watched.callback(p.fd, p.revents, &events, watched.user_data); });
      auto still = fds_.find(p.fd);
      if (still != fds_.end()) still->second.events = events;
      ++handled;
    }
  }
  return handled;
}

}  // namespace sctpgw::sctpd
