#include "server/rpc/peer_identity.h"

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "server/core/session_table.h"
#include "server/rpc/unix_listener.h"

namespace sctpgw::rpc {

std::string PeerIdentity(const grpc::ServerContextBase* context) {
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    // A unix client accepted by UnixListener: its uid.
    std::optional<uid_t> uid = UnixListener::PeerUid(context->peer());
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
