// Message interleaving (RFC 8260, I-DATA) as Linux offers it (4.17 and
// later): a socket may offer it (SCTP_INTERLEAVING_SUPPORTED, StreamControl)
// only while the network namespace's sysctl net.sctp.intl_enable is 1.
// Setting it makes I-DATA the namespace's default too; sctpgw's endpoints
// opened without interleaving turn it off on their sockets.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sctpgw::net {

class MessageInterleaving {
 public:
  // `sysctl_dir`: where net.sctp's sysctls are (tests point it elsewhere).
  explicit MessageInterleaving(std::string sysctl_dir = "/proc/sys/net/sctp")
      : path_(std::move(sysctl_dir) + "/intl_enable") {}

  // Whether net.sctp.intl_enable is 1. FAILED_PRECONDITION when the kernel
  // has no such sysctl.
  absl::StatusOr<bool> Enabled() const;
  // Sets it to 1; nothing is written when it is so already. Needs
  // CAP_NET_ADMIN over the network namespace and a writable /proc/sys:
  // PERMISSION_DENIED saying so when either is missing.
  absl::Status Enable() const;

 private:
  const std::string path_;
};

}  // namespace sctpgw::net
