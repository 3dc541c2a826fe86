// The system calls sctpgw's kernel layer makes, behind an interface so that
// unit tests can inject failures (EAGAIN, ECONNREFUSED, ENOMEM, ...) without
// a kernel. Each call returns its value and, on failure, errno: nothing here
// logs or throws.
#pragma once

#include <netinet/in.h>
#include <netinet/sctp.h>
#include <sys/socket.h>
#include <sys/types.h>

namespace sctpgw::net {

template <typename T>
struct SysCallResult {
  T value;
  int error;  // errno when the call failed, 0 otherwise.
  bool ok() const { return error == 0; }
};

using SysCallIntResult = SysCallResult<int>;
using SysCallSizeResult = SysCallResult<ssize_t>;

class SysCalls {
 public:
  virtual ~SysCalls() = default;

  virtual SysCallIntResult Socket(int domain, int type, int protocol) = 0;
  virtual SysCallIntResult SetSockOpt(int fd, int level, int name, const void* value,
                                      socklen_t length) = 0;
  virtual SysCallIntResult GetSockOpt(int fd, int level, int name, void* value,
                                      socklen_t* length) = 0;
  virtual SysCallIntResult GetSockName(int fd, sockaddr* address, socklen_t* length) = 0;
  virtual SysCallIntResult Listen(int fd, int backlog) = 0;
  virtual SysCallSizeResult SendMsg(int fd, const msghdr* message, int flags) = 0;
  virtual SysCallSizeResult RecvMsg(int fd, msghdr* message, int flags) = 0;
  virtual SysCallIntResult SetNonBlocking(int fd, bool non_blocking) = 0;

  // lksctp-tools (RFC 6458 section 9).
  virtual SysCallIntResult SctpBindx(int fd, sockaddr* addresses, int count, int flags) = 0;
  virtual SysCallIntResult SctpConnectx(int fd, sockaddr* addresses, int count,
                                        sctp_assoc_t* assoc_id) = 0;
  virtual SysCallIntResult SctpPeeloff(int fd, sctp_assoc_t assoc_id) = 0;
  // On success `*addresses` must be released with SctpFreeAddrs.
  virtual SysCallIntResult SctpGetAddrs(int fd, sctp_assoc_t assoc_id, bool local,
                                        sockaddr** addresses) = 0;
  virtual void SctpFreeAddrs(sockaddr* addresses, bool local) = 0;

  // The process-wide instance that calls the kernel.
  static SysCalls& Real();
};

}  // namespace sctpgw::net
