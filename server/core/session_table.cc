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
                                               const std::string& owner,
                                               SessionLiveness liveness) {
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
  session.info.liveness = liveness;
  session.client_name = client_name;
  SessionInfo info = session.info;
  Session& stored = sessions_.emplace(info.key, std::move(session)).first->second;
  Renew(stored);
  return info;
}

absl::StatusOr<SessionTable::Session*> SessionTable::Found(const std::string& key) {
  auto it = sessions_.find(key);
  if (it == sessions_.end()) {
    // Not echoing the id: it is a credential.
    return Error(Reason::kSessionNotFound,
                 key.empty() ? "session_id is required: open a session first"
                             : "no such session (it ended, or never existed)",
                 {{"field", "session_id"}});
  }
  return &it->second;
}

absl::Status SessionTable::Use(const std::string& key) {
  auto session = Found(key);
  if (!session.ok()) return session.status();
  if ((*session)->info.liveness == SessionLiveness::kConnection) Renew(**session);
  return absl::OkStatus();
}

absl::StatusOr<SessionInfo> SessionTable::RenewByApplication(const std::string& key,
                                                             uint64_t handled_sequence) {
  auto session = Found(key);
  if (!session.ok()) return session.status();
  (*session)->handled_sequence = std::max((*session)->handled_sequence, handled_sequence);
  Renew(**session);
  return (*session)->info;
}

uint64_t SessionTable::HandledSequence(const std::string& key) const {
  auto it = sessions_.find(key);
  return it == sessions_.end() ? 0 : it->second.handled_sequence;
}

const SessionInfo* SessionTable::Find(const std::string& key) const {
  auto it = sessions_.find(key);
  return it == sessions_.end() ? nullptr : &it->second.info;
}

absl::Status SessionTable::Hold(const std::string& key) {
  auto session = Found(key);
  if (!session.ok()) return session.status();
  ++(*session)->holders;
  if ((*session)->info.liveness == SessionLiveness::kConnection) Renew(**session);
  return absl::OkStatus();
}

void SessionTable::Release(const std::string& key) {
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return;
  if (it->second.holders > 0) --it->second.holders;
  if (it->second.info.liveness == SessionLiveness::kConnection) Renew(it->second);
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
  // Alive while a stream holds it, unless only the application may say so.
  if (session.holders > 0 && session.info.liveness == SessionLiveness::kConnection) return;
  std::string key = session.info.key;
  session.lease_timer = runner_.StartTimer(session.info.lease, [this, key] {
    auto it = sessions_.find(key);
    if (it == sessions_.end()) return;
    it->second.lease_timer = 0;
    on_expired_(key);
  });
}

}  // namespace sctpgw::core
