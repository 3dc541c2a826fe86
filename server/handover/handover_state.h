// What one sctpgw process hands to the next (docs/handover.md): the core's
// state, what the net layer holds of each socket beyond the kernel, and the
// gRPC listening sockets. The descriptors themselves travel beside it, in the
// order of `sockets` then `listeners`.
#pragma once

#include <string>
#include <vector>

#include "server/core/gateway_state.h"
#include "server/net/sctp_stack.h"
#include "server/net/socket_carry_over.h"

namespace sctpgw::handover {

// The version of the handover protocol; a taker refuses any other.
inline constexpr uint32_t kProtocolVersion = 1;

struct HandedSocket {
  net::SocketId id = 0;  // The holder's id, as the core's state names it.
  net::SocketCarryOver carry;
  // Crash survival: its name in the file descriptor store (docs/handover.md).
  std::string fd_name;
};

struct HandoverState {
  core::GatewayState gateway;
  std::vector<HandedSocket> sockets;
  // gRPC listening sockets, as configured ("unix:/run/sctpgw/sctpgw.sock").
  std::vector<std::string> listeners;
  // A crash survival record written after the core was frozen: it holds
  // every queued message and the event log, and nothing was lost.
  bool complete = false;
};

}  // namespace sctpgw::handover
