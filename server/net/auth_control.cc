#include "server/net/auth_control.h"

#include <cstring>
#include <vector>

#include "server/net/sctp_option.h"

namespace sctpgw::net {

absl::Status AuthControl::Configure(const AuthConfig& config) {
  sctp_assoc_value supported{};
  supported.assoc_id = SCTP_FUTURE_ASSOC;
  supported.assoc_value = 1;
  absl::Status status = SetSctpOption(sys_, fd_, SCTP_AUTH_SUPPORTED, &supported,
                                      sizeof(supported), "SCTP_AUTH_SUPPORTED");
  for (uint8_t chunk : config.chunk_types) {
    if (!status.ok()) return status;
    sctp_authchunk raw{};
    raw.sauth_chunk = chunk;
    status = SetSctpOption(sys_, fd_, SCTP_AUTH_CHUNK, &raw, sizeof(raw), "SCTP_AUTH_CHUNK");
  }
  for (const AuthKey& key : config.keys) {
    if (!status.ok()) return status;
    AuthKeyChange add;
    add.key_id = key.id;
    add.secret = key.secret;
    status = ChangeKey(SCTP_FUTURE_ASSOC, add);
  }
  if (status.ok() && config.active_key.has_value()) {
    AuthKeyChange activate;
    activate.action = AuthKeyChange::Action::kActivate;
    activate.key_id = *config.active_key;
    status = ChangeKey(SCTP_FUTURE_ASSOC, activate);
  }
  return status;
}

absl::Status AuthControl::ChangeKey(sctp_assoc_t assoc_id, const AuthKeyChange& change) {
  switch (change.action) {
    case AuthKeyChange::Action::kAdd: {
      std::vector<uint8_t> raw(sizeof(sctp_authkey) + change.secret.size());
      auto* key = reinterpret_cast<sctp_authkey*>(raw.data());
      key->sca_assoc_id = Id(assoc_id);
      key->sca_keynumber = change.key_id;
      key->sca_keylength = static_cast<uint16_t>(change.secret.size());
      std::memcpy(raw.data() + sizeof(sctp_authkey), change.secret.data(), change.secret.size());
      absl::Status status = SetSctpOption(sys_, fd_, SCTP_AUTH_KEY, raw.data(),
                                          static_cast<socklen_t>(raw.size()), "SCTP_AUTH_KEY");
      std::memset(raw.data(), 0, raw.size());  // The secret stays in the kernel only.
      return status;
    }
    case AuthKeyChange::Action::kActivate:
    case AuthKeyChange::Action::kDeactivate:
    case AuthKeyChange::Action::kDelete: {
      sctp_authkeyid raw{};
      raw.scact_assoc_id = Id(assoc_id);
      raw.scact_keynumber = change.key_id;
      if (change.action == AuthKeyChange::Action::kActivate) {
        return SetSctpOption(sys_, fd_, SCTP_AUTH_ACTIVE_KEY, &raw, sizeof(raw),
                             "SCTP_AUTH_ACTIVE_KEY");
      }
      if (change.action == AuthKeyChange::Action::kDeactivate) {
        return SetSctpOption(sys_, fd_, SCTP_AUTH_DEACTIVATE_KEY, &raw, sizeof(raw),
                             "SCTP_AUTH_DEACTIVATE_KEY");
      }
      return SetSctpOption(sys_, fd_, SCTP_AUTH_DELETE_KEY, &raw, sizeof(raw),
                           "SCTP_AUTH_DELETE_KEY");
    }
  }
  return absl::InvalidArgumentError("unknown key change");
}

absl::StatusOr<std::vector<uint8_t>> AuthControl::Chunks(int name, sctp_assoc_t assoc_id,
                                                         const char* what) const {
  // The header and every chunk type there can be.
  std::vector<uint8_t> raw(sizeof(sctp_authchunks) + 256);
  auto* chunks = reinterpret_cast<sctp_authchunks*>(raw.data());
  chunks->gauth_assoc_id = Id(assoc_id);
  socklen_t length = static_cast<socklen_t>(raw.size());
  absl::Status status = GetSctpOption(sys_, fd_, name, raw.data(), &length, what);
  if (!status.ok()) return status;
  uint32_t count = chunks->gauth_number_of_chunks;
  if (count > 256 || sizeof(sctp_authchunks) + count > length) count = 0;
  const uint8_t* first = raw.data() + sizeof(sctp_authchunks);
  return std::vector<uint8_t>(first, first + count);
}

absl::StatusOr<AuthStatus> AuthControl::Status(sctp_assoc_t assoc_id) const {
  AuthStatus status;
  sctp_assoc_value supported{};
  supported.assoc_id = Id(assoc_id);
  socklen_t length = sizeof(supported);
  absl::Status read = GetSctpOption(sys_, fd_, SCTP_AUTH_SUPPORTED, &supported, &length,
                                    "SCTP_AUTH_SUPPORTED");
  if (!read.ok()) return read;
  status.peer_supports_auth = supported.assoc_value != 0;
  if (!status.peer_supports_auth) return status;
  sctp_authkeyid active{};
  active.scact_assoc_id = Id(assoc_id);
  length = sizeof(active);
  read = GetSctpOption(sys_, fd_, SCTP_AUTH_ACTIVE_KEY, &active, &length, "SCTP_AUTH_ACTIVE_KEY");
  if (!read.ok()) return read;
  status.active_key = active.scact_keynumber;
  auto local = Chunks(SCTP_LOCAL_AUTH_CHUNKS, assoc_id, "SCTP_LOCAL_AUTH_CHUNKS");
  if (!local.ok()) return local.status();
  status.local_chunk_types = *std::move(local);
  // An endpoint's socket has no peer to ask (the kernel says EINVAL).
  if (one_to_many_ && assoc_id == 0) return status;
  auto peer = Chunks(SCTP_PEER_AUTH_CHUNKS, assoc_id, "SCTP_PEER_AUTH_CHUNKS");
  if (!peer.ok()) return peer.status();
  status.peer_chunk_types = *std::move(peer);
  return status;
}

}  // namespace sctpgw::net
