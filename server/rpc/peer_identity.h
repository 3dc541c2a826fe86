// Who is calling, as the transport proved it: a verified client
// certificate's identity (mutual TLS), "uid:N" for a unix client whose
// credentials sctpgw read when it accepted the connection (SO_PEERCRED, see
// UnixListener), nothing otherwise. Sessions opened with an identity answer
// only to it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "server/net/unique_fd.h"

namespace sctpgw::rpc {

// The process at the other end of a unix connection (SO_PEERCRED).
struct UnixCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};
absl::StatusOr<UnixCredentials> ReadPeerCredentials(const net::UniqueFd& connection);

// Records the uid of a unix connection about to be handed to gRPC, under
// the peer string gRPC gives its calls ("fd:N"). Thread-safe.
void RecordUnixPeer(const net::UniqueFd& connection, uid_t uid);
// The uid recorded for a gRPC peer string, if it is a unix client.
std::optional<uid_t> UnixPeerUid(const std::string& peer);

std::string PeerIdentity(const grpc::ServerContextBase* context);
// The core's name for the session `id` as this caller sees it.
std::string SessionKeyOf(const grpc::ServerContextBase* context, const std::string& id);

}  // namespace sctpgw::rpc
