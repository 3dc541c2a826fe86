// systemd's file descriptor store (sd_notify(3), "FDSTORE=1"): descriptors
// handed to the service manager are kept across a crash of the service and
// handed back to the restarted process through sd_listen_fds(3). sctpgw
// keeps its SCTP sockets and its state record there (docs/handover.md).
//
// Only the protocol is used, so that any manager implementing it works; the
// unit needs FileDescriptorStoreMax= large enough for every socket
// (deploy/systemd/sctpgw.service).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/net/unique_fd.h"

namespace sctpgw::survival {

struct StoredFd {
  std::string name;
  net::UniqueFd fd;
};

class FdStore {
 public:
  // The store of the service manager that started this process, or nullptr
  // when there is none ($NOTIFY_SOCKET unset).
  static std::unique_ptr<FdStore> FromEnvironment();

  // What the manager handed back to this process at its start
  // ($LISTEN_FDS, $LISTEN_FDNAMES for this $LISTEN_PID), taken once: the
  // variables are unset. Empty after a first start.
  static std::vector<StoredFd> TakeHandedBack();

  // Keeps a copy of `fd` under `name` (FDSTORE=1). The manager refuses a
  // descriptor it already holds, and holds at most FileDescriptorStoreMax.
  absl::Status Store(const std::string& name, int fd);
  // Closes the manager's copies of every descriptor named `name`.
  absl::Status Remove(const std::string& name);
  // Any other notification ("READY=1", "STATUS=...", "MAINPID=...").
  absl::Status Notify(const std::string& text);

 private:
  FdStore() = default;
};

}  // namespace sctpgw::survival
