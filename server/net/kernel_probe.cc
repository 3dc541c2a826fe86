#include "server/net/kernel_probe.h"

#include "server/net/sctp_socket.h"

namespace sctpgw::net {

absl::Status ProbeKernelSctp(SysCalls& sys) {
  return SctpSocket::Open(sys, AF_INET, SctpSocket::Style::kOneToMany).status();
}

}  // namespace sctpgw::net
