#include "server/net/sctp_option.h"

#include <netinet/in.h>

#include "absl/strings/str_cat.h"
#include "server/net/errno_status.h"

namespace sctpgw::net {

absl::Status GetSctpOption(SysCalls& sys, int fd, int name, void* value, socklen_t* length,
                           const char* what) {
  SysCallIntResult rc = sys.GetSockOpt(fd, IPPROTO_SCTP, name, value, length);
  if (!rc.ok()) return ErrnoStatus(rc.error, absl::StrCat("getsockopt(", what, ")"));
  return absl::OkStatus();
}

absl::Status SetSctpOption(SysCalls& sys, int fd, int name, const void* value, socklen_t length,
                           const char* what) {
  SysCallIntResult rc = sys.SetSockOpt(fd, IPPROTO_SCTP, name, value, length);
  if (!rc.ok()) return ErrnoStatus(rc.error, absl::StrCat("setsockopt(", what, ")"));
  return absl::OkStatus();
}

}  // namespace sctpgw::net
