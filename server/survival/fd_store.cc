#include "server/survival/fd_store.h"

#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace sctpgw::survival {
namespace {

absl::Status Sent(int result, const std::string& what) {
  if (result > 0) return absl::OkStatus();
  if (result == 0) return absl::FailedPreconditionError("no service manager ($NOTIFY_SOCKET unset)");
  return absl::UnavailableError(absl::StrCat("sd_notify(", what, "): ", std::strerror(-result)));
}

}  // namespace

std::unique_ptr<FdStore> FdStore::FromEnvironment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return nullptr;
  return std::unique_ptr<FdStore>(new FdStore());
}

std::vector<StoredFd> FdStore::TakeHandedBack() {
  char** names = nullptr;
  int count = sd_listen_fds_with_names(/*unset_environment=*/1, &names);
  std::vector<StoredFd> fds;
  for (int i = 0; i < count; ++i) {
    StoredFd stored;
    stored.fd = net::UniqueFd(SD_LISTEN_FDS_START + i);
    stored.name = names != nullptr && names[i] != nullptr ? names[i] : "";
    fds.push_back(std::move(stored));
  }
  if (names != nullptr) {
    for (int i = 0; names[i] != nullptr; ++i) std::free(names[i]);
    std::free(names);
  }
  return fds;
}

absl::Status FdStore::Store(const std::string& name, int fd) {
  std::string text = absl::StrCat("FDSTORE=1\nFDNAME=", name);
  return Sent(sd_pid_notify_with_fds(0, 0, text.c_str(), &fd, 1), text);
}

absl::Status FdStore::Remove(const std::string& name) {
  std::string text = absl::StrCat("FDSTOREREMOVE=1\nFDNAME=", name);
  return Sent(sd_pid_notify(0, 0, text.c_str()), text);
}

absl::Status FdStore::Notify(const std::string& text) {
  return Sent(sd_pid_notify(0, 0, text.c_str()), text);
}

}  // namespace sctpgw::survival
