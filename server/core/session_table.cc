#include "server/core/session_table.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"

namespace sctpgw::core {
namespace {

// 128 bits from the kernel's random source, as 32 hex digits.
std::string NewSessionId() {
  std::random_device random;  // getrandom(2) on Linux.
  std::string id;
  for (int i = 0; i < 4; ++i) absl::StrAppend(&id, absl::Hex(random(), absl::kZeroPad8));
  return id;
}

}  // namespace

std::string SessionKey(const std::string& id, const std::string& identity) {
  bool well_formed = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (!well_formed) return id.empty() ? "" : "-";  // "-" names no session.
  return identity.empty() ? id : absl::StrCat(id, "/", identity);
}

SessionTable::SessionTable(net::TaskRunner& runner, const Limits& limits, Expired on_expired)
    : runner_(runner), limits_(limits), on_expired_(std::move(on_expired)) {}

SessionTable::~SessionTable() { Clear(); }

absl::StatusOr<SessionInfo> SessionTable::Open(std::chrono::milliseconds requested,
                                               const std::string& client_name,
                                               const std::string& owner) {
  if (sessions_.size() >= limits_.max_sessions) {
    return LimitExceeded("max_sessions", limits_.max_sessions,
                         absl::StrCat("at most ", limits_.max_sessions, " sessions may be open"));
  }
  Session session;
  session.info.id = NewSessionId();
  session.info.key = SessionKey(session.info.id, owner);
  session.info.lease = requested.count() == 0
                           ? limits_.default_lease
                           : std::clamp(requested, limits_.min_lease, limits_.max_lease);
  session.client_name = client_name;
  SessionInfo info = session.info;
  Session& stored = sessions_.emplace(info.key, std::move(session)).first->second;
  Renew(stored);
  return info;
}

absl::Status SessionTable::Use(const std::string& key) {
  auto it = sessions_.find(key);
  if (it == sessions_.end()) {
    // Not echoing the id: it is a credential.
    return Error(Reason::kSessionNotFound,
                 key.empty() ? "session_id is required: open a session first"
                             : "no such session (it ended, or never existed)",
                 {{"field", "session_id"}});
  }
  Renew(it->second);
  return absl::OkStatus();
}

absl::Status SessionTable::Hold(const std::string& key) {
  absl::Status found = Use(key);
  if (!found.ok()) return found;
  Session& session = sessions_.at(key);
  ++session.holders;
  runner_.CancelTimer(session.lease_timer);
  session.lease_timer = 0;
  return absl::OkStatus();
}

void SessionTable::Release(const std::string& key) {
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return;
  if (it->second.holders > 0) --it->second.holders;
  Renew(it->second);
}

bool SessionTable::Remove(const std::string& key) {
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return false;
  runner_.CancelTimer(it->second.lease_timer);
  sessions_.erase(it);
  return true;
}

void SessionTable::Clear() {
  for (auto& [key, session] : sessions_) runner_.CancelTimer(session.lease_timer);
  sessions_.clear();
}

std::vector<SessionRecord> SessionTable::Records() const {
  std::vector<SessionRecord> records;
  for (const auto& [key, session] : sessions_) records.push_back({session.info, session.client_name});
  return records;
}

absl::Status SessionTable::Restore(const SessionRecord& record) {
  const std::string& key = record.info.key;
  const std::string& id = record.info.id;
  // The key is the id, or the id bound to an identity ("id/identity").
  bool well_formed = !id.empty() && SessionKey(id, "") == id &&
                     (key == id || (key.size() > id.size() + 1 && key.rfind(id + "/", 0) == 0));
  if (!well_formed || sessions_.count(key) != 0) {
    return Error(Reason::kInvalidArgument, "handover state: a session id is malformed or repeated");
  }
  Session session;
  session.info = record.info;
  session.info.lease = std::clamp(record.info.lease, limits_.min_lease, limits_.max_lease);
  session.client_name = record.client_name;
  Renew(sessions_.emplace(key, std::move(session)).first->second);
  return absl::OkStatus();
}

void SessionTable::Renew(Session& session) {
  runner_.CancelTimer(session.lease_timer);
  session.lease_timer = 0;
  if (session.holders > 0) return;  // Alive while a stream holds it.
  std::string key = session.info.key;
  session.lease_timer = runner_.StartTimer(session.info.lease, [this, key] {
    auto it = sessions_.find(key);
    if (it == sessions_.end()) return;
    it->second.lease_timer = 0;
    on_expired_(key);
  });
}

}  // namespace sctpgw::core
