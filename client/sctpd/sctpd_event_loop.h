// libsctpd's event loop (sctpd_eventLoop, sctpd_getEvents): timers, the
// application's file descriptors and standard input, and sctpgw's
// notifications, all handled on the application's thread, as the SCTP
// library's loop handled its own.
#pragma once

#include <poll.h>

#include <chrono>
#include <map>

#include "ua.h"

namespace sctpgw::sctpd {

class EventLoop {
 public:
  static EventLoop& Get();

  int RegisterFd(int fd, sctp_userCallback callback, void* user_data, short events);
  int UnregisterFd(int fd);
  int RegisterStdin(sctp_StdinCallback callback, char* buffer, int length);
  int UnregisterStdin();
  unsigned int StartTimer(std::chrono::microseconds delay, sctp_timerCallback callback,
                          void* param1, void* param2);
  int StopTimer(unsigned int id);
  unsigned int RestartTimer(unsigned int id, std::chrono::microseconds delay);

  // Waits up to `wait` (forever: nullopt) for the first event, then
  // handles everything ready; how many were handled, -1 on error. `lock`
  // and `unlock` (with `data`) surround each callback when given.
  int Run(bool wait, void (*lock)(void*) = nullptr, void (*unlock)(void*) = nullptr,
          void* data = nullptr);

 private:
  using Clock = std::chrono::steady_clock;
  struct Timer {
    Clock::time_point due;
    sctp_timerCallback callback = nullptr;
    void* param1 = nullptr;
    void* param2 = nullptr;
  };
  struct Watched {
    sctp_userCallback callback = nullptr;
    void* user_data = nullptr;
    short events = POLLIN;
  };

  std::map<unsigned int, Timer> timers_;
  unsigned int next_timer_ = 1;
  std::map<int, Watched> fds_;
  sctp_StdinCallback stdin_callback_ = nullptr;
  char* stdin_buffer_ = nullptr;
  int stdin_length_ = 0;
};

}  // namespace sctpgw::sctpd
