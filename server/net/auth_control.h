// SCTP-AUTH (RFC 4895) of an endpoint or association: offered to peers,
// the chunk types that must arrive authenticated, and the shared keys
// (RFC 6458 sections 8.1.20-8.1.23, 8.2.4, 8.3.4-8.3.5). Secrets are
// written to the kernel and to nothing else. On an endpoint's socket
// (SCTP_FUTURE_ASSOC) the settings apply to associations made afterwards;
// on an association's socket, to it.
#pragma once

#include <netinet/in.h>  // Before netinet/sctp.h, which needs it.
#include <netinet/sctp.h>

#include "absl/status/statusor.h"
#include "server/net/sctp_types.h"
#include "server/net/sys_calls.h"

namespace sctpgw::net {

class AuthControl {
 public:
  AuthControl(SysCalls& sys, int fd, bool one_to_many)
      : sys_(sys), fd_(fd), one_to_many_(one_to_many) {}

  // SCTP_AUTH_SUPPORTED, SCTP_AUTH_CHUNK for each chunk type, the keys
  // (SCTP_AUTH_KEY) and the active one. Before bind.
  absl::Status Configure(const AuthConfig& config);
  absl::Status ChangeKey(sctp_assoc_t assoc_id, const AuthKeyChange& change);
  // On an endpoint's socket (assoc_id 0): its own settings, no peer's.
  absl::StatusOr<AuthStatus> Status(sctp_assoc_t assoc_id) const;

 private:
  sctp_assoc_t Id(sctp_assoc_t assoc_id) const { return one_to_many_ ? assoc_id : 0; }
  absl::StatusOr<std::vector<uint8_t>> Chunks(int name, sctp_assoc_t assoc_id,
                                              const char* what) const;

  SysCalls& sys_;
  int fd_;
  bool one_to_many_;
};

}  // namespace sctpgw::net
