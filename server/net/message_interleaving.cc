#include "server/net/message_interleaving.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/net/errno_status.h"
#include "server/net/unique_fd.h"

namespace sctpgw::net {

absl::StatusOr<bool> MessageInterleaving::Enabled() const {
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this kernel does not offer message interleaving (", path_, " is missing)"));
    }
    return ErrnoStatus(errno, absl::StrCat("open(", path_, ")"));
  }
  char text[16];
  ssize_t n = ::read(fd.get(), text, sizeof(text) - 1);
  if (n < 0) return ErrnoStatus(errno, absl::StrCat("read(", path_, ")"));
  text[n] = '\0';
  return absl::StripAsciiWhitespace(text) == "1";
}

absl::Status MessageInterleaving::Enable() const {
  auto enabled = Enabled();
  if (!enabled.ok()) return enabled.status();
  if (*enabled) return absl::OkStatus();
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid() || ::write(fd.get(), "1\n", 2) != 2) {
    const int error = errno;
    if (error == EACCES || error == EPERM || error == EROFS) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot set net.sctp.intl_enable to 1: ", std::strerror(error), " (", path_,
          "); sctpgw needs CAP_NET_ADMIN in its network namespace and a writable /proc/sys "
          "to set it, or set it beforehand (sysctl -w net.sctp.intl_enable=1) and leave "
          "sctp.interleaving off"));
    }
    return ErrnoStatus(error, absl::StrCat("writing ", path_));
  }
  return absl::OkStatus();
}

}  // namespace sctpgw::net
