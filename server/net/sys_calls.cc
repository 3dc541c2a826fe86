#include "server/net/sys_calls.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

namespace sctpgw::net {
namespace {

SysCallIntResult IntResult(int rc) { return {rc, rc < 0 ? errno : 0}; }
SysCallSizeResult SizeResult(ssize_t rc) { return {rc, rc < 0 ? errno : 0}; }

class RealSysCalls final : public SysCalls {
 public:
  SysCallIntResult Socket(int domain, int type, int protocol) override {
    return IntResult(::socket(domain, type | SOCK_CLOEXEC, protocol));
  }
  SysCallIntResult SetSockOpt(int fd, int level, int name, const void* value,
                              socklen_t length) override {
    return IntResult(::setsockopt(fd, level, name, value, length));
  }
  SysCallIntResult GetSockOpt(int fd, int level, int name, void* value,
                              socklen_t* length) override {
    return IntResult(::getsockopt(fd, level, name, value, length));
  }
  SysCallIntResult GetSockName(int fd, sockaddr* address, socklen_t* length) override {
    return IntResult(::getsockname(fd, address, length));
  }
  SysCallIntResult Listen(int fd, int backlog) override { return IntResult(::listen(fd, backlog)); }
  SysCallSizeResult SendMsg(int fd, const msghdr* message, int flags) override {
    return SizeResult(::sendmsg(fd, message, flags | MSG_NOSIGNAL));
  }
  SysCallSizeResult RecvMsg(int fd, msghdr* message, int flags) override {
    return SizeResult(::recvmsg(fd, message, flags));
  }
  SysCallIntResult SetNonBlocking(int fd, bool non_blocking) override {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) return IntResult(flags);
    flags = non_blocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return IntResult(::fcntl(fd, F_SETFL, flags));
  }
  SysCallIntResult SctpBindx(int fd, sockaddr* addresses, int count, int flags) override {
    return IntResult(::sctp_bindx(fd, addresses, count, flags));
  }
  SysCallIntResult SctpConnectx(int fd, sockaddr* addresses, int count,
                                sctp_assoc_t* assoc_id) override {
    return IntResult(::sctp_connectx(fd, addresses, count, assoc_id));
  }
  SysCallIntResult SctpPeeloff(int fd, sctp_assoc_t assoc_id) override {
    int peeled = ::sctp_peeloff(fd, assoc_id);
    if (peeled >= 0) ::fcntl(peeled, F_SETFD, FD_CLOEXEC);
    return IntResult(peeled);
  }
  SysCallIntResult SctpGetAddrs(int fd, sctp_assoc_t assoc_id, bool local,
                                sockaddr** addresses) override {
    return IntResult(local ? ::sctp_getladdrs(fd, assoc_id, addresses)
                           : ::sctp_getpaddrs(fd, assoc_id, addresses));
  }
  void SctpFreeAddrs(sockaddr* addresses, bool local) override {
    if (local) {
      ::sctp_freeladdrs(addresses);
    } else {
      ::sctp_freepaddrs(addresses);
    }
  }
};

}  // namespace

SysCalls& SysCalls::Real() {
  static RealSysCalls* const instance = new RealSysCalls();
  return *instance;
}

}  // namespace sctpgw::net
