// What the rpc layer tells operators about the sctpgw process itself
// (GetServiceStatus): set once by main before serving, read-only after.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sctpgw::rpc {

struct ProcessInfo {
  enum class Start { kFresh, kTookOver, kRecovered, kRestarted };

  std::string version;
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  bool kernel_sctp = false;
  Start start = Start::kFresh;
  std::string took_over_from_version;  // kTookOver.
  // kRecovered: what the crash recovery kept and reported lost.
  uint64_t associations_recovered = 0;
  uint64_t messages_lost = 0;
  uint64_t messages_unconfirmed = 0;
  bool crash_survival = false;  // Sockets kept in the service manager's store.
};

}  // namespace sctpgw::rpc
