#include "server/net/udp_encapsulation.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/net/errno_status.h"
#include "server/net/unique_fd.h"

namespace sctpgw::net {
namespace {

absl::Status NoEncapsulation(const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat("this kernel does not offer SCTP over UDP (", path,
                   " is missing; Linux 5.11 and later have it)"));
}

}  // namespace

absl::StatusOr<uint16_t> UdpEncapsulation::LocalPort() const {
  const std::string path = Path();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NoEncapsulation(path);
    return ErrnoStatus(errno, absl::StrCat("open(", path, ")"));
  }
  char text[32];
  ssize_t n = ::read(fd.get(), text, sizeof(text) - 1);
  if (n < 0) return ErrnoStatus(errno, absl::StrCat("read(", path, ")"));
  text[n] = '\0';
  uint32_t port = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port) || port > 65535) {
    return absl::InternalError(absl::StrCat(path, " holds \"", text, "\", not a UDP port"));
  }
  return static_cast<uint16_t>(port);
}

absl::Status UdpEncapsulation::SetLocalPort(uint16_t port) const {
  // Already so (a restart, a handover's new process): nothing is written.
  // A write would restart the kernel's UDP socket, dropping what arrives
  // meanwhile, and needs a privilege that reading does not.
  if (auto now = LocalPort(); now.ok() && *now == port) return absl::OkStatus();
  const std::string path = Path();
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int error = errno;
    if (error == ENOENT) return NoEncapsulation(path);
    if (error == EACCES || error == EPERM || error == EROFS) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot set net.sctp.udp_port to ", port, ": ", std::strerror(error), " (", path,
          "); sctpgw needs CAP_NET_ADMIN in its network namespace and a writable /proc/sys "
          "to set it, or set it beforehand (sysctl -w net.sctp.udp_port=", port,
          ") and leave sctp.udp_port at 0"));
    }
    return ErrnoStatus(error, absl::StrCat("open(", path, ")"));
  }
  const std::string text = absl::StrCat(port, "\n");
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    const int error = errno;
    if (error == EADDRINUSE) {
      return absl::AlreadyExistsError(absl::StrCat(
          "cannot set net.sctp.udp_port to ", port, ": another UDP socket has that port"));
    }
    if (error == EPERM || error == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot set net.sctp.udp_port to ", port, ": ", std::strerror(error),
          "; sctpgw needs CAP_NET_ADMIN in its network namespace"));
    }
    return ErrnoStatus(error, absl::StrCat("write(", path, ")"));
  }
  auto now = LocalPort();
  if (!now.ok()) return now.status();
  if (*now != port) {
    return absl::InternalError(absl::StrCat("net.sctp.udp_port reads ", *now, " after ", port,
                                            " was written"));
  }
  return absl::OkStatus();
}

}  // namespace sctpgw::net
