// gmock of the kernel layer's system calls, for unit tests.
#pragma once

#include <gmock/gmock.h>

#include "server/net/sys_calls.h"

namespace sctpgw::net {

class MockSysCalls : public SysCalls {
 public:
  MOCK_METHOD(SysCallIntResult, Socket, (int domain, int type, int protocol), (override));
  MOCK_METHOD(SysCallIntResult, SetSockOpt,
              (int fd, int level, int name, const void* value, socklen_t length), (override));
  MOCK_METHOD(SysCallIntResult, GetSockOpt,
              (int fd, int level, int name, void* value, socklen_t* length), (override));
  MOCK_METHOD(SysCallIntResult, GetSockName, (int fd, sockaddr* address, socklen_t* length),
              (override));
  MOCK_METHOD(SysCallIntResult, Listen, (int fd, int backlog), (override));
  MOCK_METHOD(SysCallSizeResult, SendMsg, (int fd, const msghdr* message, int flags), (override));
  MOCK_METHOD(SysCallSizeResult, RecvMsg, (int fd, msghdr* message, int flags), (override));
  MOCK_METHOD(SysCallIntResult, SetNonBlocking, (int fd, bool non_blocking), (override));
  MOCK_METHOD(SysCallIntResult, SctpBindx, (int fd, sockaddr* addresses, int count, int flags),
              (override));
  MOCK_METHOD(SysCallIntResult, SctpConnectx,
              (int fd, sockaddr* addresses, int count, sctp_assoc_t* assoc_id), (override));
  MOCK_METHOD(SysCallIntResult, SctpPeeloff, (int fd, sctp_assoc_t assoc_id), (override));
  MOCK_METHOD(SysCallIntResult, SctpGetAddrs,
              (int fd, sctp_assoc_t assoc_id, bool local, sockaddr** addresses), (override));
  MOCK_METHOD(void, SctpFreeAddrs, (sockaddr * addresses, bool local), (override));
};

}  // namespace sctpgw::net
