#include "server/core/auth_manager.h"

#include <algorithm>
#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/net/errno_status.h"

namespace sctpgw::core {

absl::Status AuthManager::Change(net::SocketId socket, net::AssocId assoc_id,
                                 const net::AuthKeyChange& change, const std::string& what) {
  absl::Status status = stack_.ChangeAuthKey(socket, assoc_id, change);
  const int error = net::StatusErrno(status);
  if (error == EACCES) {
    return Error(Reason::kAuthUnavailable,
                 absl::StrCat(what, " does not use SCTP-AUTH (opened without auth, or its peer "
                                    "does not support it)"));
  }
  if (error == EINVAL && change.action != net::AuthKeyChange::Action::kAdd) {
    // The kernel says EINVAL both for a key it does not have and for the
    // active key, which cannot be deactivated or deleted.
    auto auth = stack_.Auth(socket, assoc_id);
    if (auth.ok() && auth->active_key == change.key_id &&
        change.action != net::AuthKeyChange::Action::kActivate) {
      return Error(Reason::kAuthKeyActive,
                   absl::StrCat("key ", change.key_id, " is ", what,
                                "'s active key: activate another first"),
                   {{"field", "key_id"}});
    }
    return Error(Reason::kAuthKeyNotFound,
                 absl::StrCat(what, " has no key ", change.key_id), {{"field", "key_id"}});
  }
  return FromKernel(status, "changing an AUTH key");
}

absl::Status AuthManager::ChangeKey(Endpoint& endpoint, const net::AuthKeyChange& change) {
  const std::string what = absl::StrCat("endpoint ", endpoint.info.id);
  absl::Status status = Change(endpoint.socket, 0, change, what);
  if (!status.ok()) return status;
  // The endpoint's keys have changed, whatever its associations say.
  auto& ids = endpoint.info.auth_key_ids;
  if (change.action == net::AuthKeyChange::Action::kAdd) {
    if (std::find(ids.begin(), ids.end(), change.key_id) == ids.end()) ids.push_back(change.key_id);
  } else if (change.action == net::AuthKeyChange::Action::kDelete) {
    ids.erase(std::remove(ids.begin(), ids.end(), change.key_id), ids.end());
  }
  for (uint64_t association_id : endpoint.associations) {
    Association* association = registry_.FindAssociation(association_id);
    if (association == nullptr || association->socket() == 0 || association->closed()) continue;
    status = Change(association->socket(), association->kernel_id(), change,
                    absl::StrCat("association ", association_id));
    // An association whose peer does not use AUTH has no keys to change.
    if (!status.ok() && !HasReason(status, Reason::kAuthUnavailable)) {
      AddErrorMetadata(&status, "endpoint_changed", "true");
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status AuthManager::ChangeKey(Association& association, const net::AuthKeyChange& change) {
  return Change(association.socket(), association.kernel_id(), change,
                absl::StrCat("association ", association.id()));
}

absl::StatusOr<net::AuthStatus> AuthManager::Status(Association& association) {
  auto status = stack_.Auth(association.socket(), association.kernel_id());
  if (!status.ok()) return FromKernel(status.status(), "reading AUTH");
  return status;
}

}  // namespace sctpgw::core
