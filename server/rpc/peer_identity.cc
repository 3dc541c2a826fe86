#include "server/rpc/peer_identity.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/core/session_table.h"

namespace sctpgw::rpc {
namespace {

// The uid of each unix connection accepted, by the peer string of its calls.
// An entry is replaced when the kernel reuses the descriptor number for the
// next connection, so this stays bounded by the open descriptors.
absl::Mutex g_unix_peers_mu;
std::map<std::string, uid_t> g_unix_peers ABSL_GUARDED_BY(g_unix_peers_mu);

std::string PeerString(const net::UniqueFd& connection) {
  return absl::StrCat("fd:", connection.get());
}

}  // namespace

absl::StatusOr<UnixCredentials> ReadPeerCredentials(const net::UniqueFd& connection) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (getsockopt(connection.get(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return absl::InternalError(absl::StrCat("SO_PEERCRED failed: ", std::strerror(errno)));
  }
  return UnixCredentials{credentials.pid, credentials.uid, credentials.gid};
}

void RecordUnixPeer(const net::UniqueFd& connection, uid_t uid) {
  absl::MutexLock lock(&g_unix_peers_mu);
  g_unix_peers[PeerString(connection)] = uid;
}

std::optional<uid_t> UnixPeerUid(const std::string& peer) {
  absl::MutexLock lock(&g_unix_peers_mu);
  auto it = g_unix_peers.find(peer);
  if (it == g_unix_peers.end()) return std::nullopt;
  return it->second;
}

std::string PeerIdentity(const grpc::ServerContextBase* context) {
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    // A unix client accepted by UnixListener: its uid.
    std::optional<uid_t> uid = UnixPeerUid(context->peer());
    return uid.has_value() ? absl::StrCat("uid:", *uid) : "";
  }
  std::string identity;
  for (const grpc::string_ref& value : auth->GetPeerIdentity()) {
    if (!identity.empty()) identity += ",";
    identity.append(value.data(), value.size());
  }
  return identity;
}

std::string SessionKeyOf(const grpc::ServerContextBase* context, const std::string& id) {
  return core::SessionKey(id, PeerIdentity(context));
}

}  // namespace sctpgw::rpc
