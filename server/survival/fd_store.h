// The file descriptor store that keeps sctpgw's SCTP sockets, state record
// and ledger across a crash (docs/handover.md): either systemd's
// (sd_notify(3), "FDSTORE=1", handed back through sd_listen_fds(3)) or,
// where there is no service manager, sctpgw-fd-holder's (fd_holder.h: the
// same notifications over a unix socket, handed back on request).
//
// Only the protocol is used, so that any manager implementing it works; the
// unit needs FileDescriptorStoreMax= large enough for every socket
// (deploy/systemd/sctpgw.service).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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
  // The store of a holder listening at `path`, waited for up to `wait` (a
  // pod's containers start together). UNAVAILABLE when none answers.
  static absl::StatusOr<std::unique_ptr<FdStore>> ConnectHolder(const std::string& path,
                                                                std::chrono::milliseconds wait);

  // What the store kept from an earlier process, taken once: systemd hands
  // it over at start ($LISTEN_FDS, $LISTEN_FDNAMES for this $LISTEN_PID,
  // unset here); a holder sends copies on request. Empty after a first
  // start.
  absl::StatusOr<std::vector<StoredFd>> TakeHandedBack();

  // Keeps a copy of `fd` under `name` (FDSTORE=1). The store refuses a
  // descriptor it already holds, and holds at most capacity().
  absl::Status Store(const std::string& name, int fd);
  // Closes the store's copies of every descriptor named `name`.
  absl::Status Remove(const std::string& name);
  // Any other notification ("READY=1", "STATUS=...", "MAINPID=..."); a
  // holder ignores them.
  absl::Status Notify(const std::string& text);

  // How many descriptors the store keeps at most, when it says: systemd 254
  // and later through $FDSTORE, a holder when connected. 0: not said.
  size_t capacity() const { return capacity_; }
  // Where the store is, for messages: "systemd" or "fd holder at PATH".
  const std::string& description() const { return description_; }

 private:
  FdStore(std::string description, net::UniqueFd holder, size_t capacity)
      : description_(std::move(description)), holder_(std::move(holder)), capacity_(capacity) {}
  absl::Status SendToHolder(const std::string& text, int fd);

  std::string description_;
  net::UniqueFd holder_;  // Invalid: systemd's store.
  size_t capacity_;
};

}  // namespace sctpgw::survival
