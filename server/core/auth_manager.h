// SCTP-AUTH (RFC 4895) keys of live endpoints and associations: add,
// activate, deactivate, delete, with the kernel's refusals given their
// reasons, and what an association's AUTH is. A change to an endpoint's
// keys applies to its associations to come and to those it has whose peers
// use AUTH. Secrets go to the kernel and nowhere else (no log, no read
// call). Runs on the core's thread.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/core/association_registry.h"
#include "server/core/gateway_types.h"
#include "server/net/sctp_stack.h"

namespace sctpgw::core {

class AuthManager {
 public:
  AuthManager(net::SctpStack& stack, AssociationRegistry& registry)
      : stack_(stack), registry_(registry) {}

  absl::Status ChangeKey(Endpoint& endpoint, const net::AuthKeyChange& change);
  absl::Status ChangeKey(Association& association, const net::AuthKeyChange& change);
  absl::StatusOr<net::AuthStatus> Status(Association& association);

 private:
  // One socket's key change (`what` names the endpoint or association).
  absl::Status Change(net::SocketId socket, net::AssocId assoc_id, const net::AuthKeyChange& change,
                      const std::string& what);

  net::SctpStack& stack_;
  AssociationRegistry& registry_;
};

}  // namespace sctpgw::core
