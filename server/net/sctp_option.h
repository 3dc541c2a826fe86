// getsockopt()/setsockopt() at level IPPROTO_SCTP, failing with the
// option's name and errno (ErrnoStatus), for the net layer's option
// helpers (PathControl, StreamControl, AuthControl).
#pragma once

#include <sys/socket.h>

#include "absl/status/status.h"
#include "server/net/sys_calls.h"

namespace sctpgw::net {

// `*length` in: the buffer's size; out: what the kernel wrote.
absl::Status GetSctpOption(SysCalls& sys, int fd, int name, void* value, socklen_t* length,
                           const char* what);
absl::Status SetSctpOption(SysCalls& sys, int fd, int name, const void* value, socklen_t length,
                           const char* what);

}  // namespace sctpgw::net
