// SCTP over UDP (RFC 6951) as Linux offers it (5.11 and later).
//
// The kernel listens for UDP-encapsulated SCTP on one local UDP port per
// network namespace, the sysctl net.sctp.udp_port (0: off), and sends
// encapsulated packets from it. Which peers get UDP is set per socket,
// association or peer address with SCTP_REMOTE_UDP_ENCAPS_PORT (the peer's
// UDP port; SctpSocket::SetRemoteUdpPort). A socket takes the namespace's
// udp_port when it is created: one created while it is 0 sends plain SCTP
// whatever its remote UDP port says, so the port must be set first.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sctpgw::net {

class UdpEncapsulation {
 public:
  // `sysctl_dir`: where net.sctp's sysctls are (tests point it elsewhere).
  explicit UdpEncapsulation(std::string sysctl_dir = "/proc/sys/net/sctp")
      : sysctl_dir_(std::move(sysctl_dir)) {}

  // The namespace's local UDP port for SCTP; 0 = off. FAILED_PRECONDITION
  // when the kernel has no UDP encapsulation.
  absl::StatusOr<uint16_t> LocalPort() const;
  // Sets it (and reads it back); nothing is written when it is so already.
  // Needs CAP_NET_ADMIN over the network
  // namespace and a writable /proc/sys: PERMISSION_DENIED saying so when
  // either is missing; FAILED_PRECONDITION when the kernel has no UDP
  // encapsulation; the kernel refuses a port in use by another UDP socket
  // (ALREADY_EXISTS).
  absl::Status SetLocalPort(uint16_t port) const;

 private:
  std::string Path() const { return sysctl_dir_ + "/udp_port"; }
  const std::string sysctl_dir_;
};

}  // namespace sctpgw::net
