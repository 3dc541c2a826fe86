// The sessions: who owns what sctpgw holds for applications (the model is
// etcd's Lease). A session lives while a stream holds it (an event stream,
// a receive stream) or a call renews it within its lease; one with
// application liveness lives only while RenewLease renews it. When the lease
// runs out the table reports it through `on_expired`, and the owner of the
// session's endpoints and associations ends them. The table knows nothing
// of endpoints. Runs on the core's thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/core/gateway_state.h"
#include "server/core/gateway_types.h"
#include "server/core/limits.h"
#include "server/net/task_runner.h"

namespace sctpgw::core {

// The session named by `id` as seen by a caller with `identity` (a verified
// client certificate's identity, a unix client's uid; empty when the
// transport proves none). A session opened with an identity is reachable
// only with the same identity; anything but a well-formed id names no
// session.
std::string SessionKey(const std::string& id, const std::string& identity);

class SessionTable {
 public:
  using Expired = std::function<void(const std::string& key)>;

  SessionTable(net::TaskRunner& runner, const Limits& limits, Expired on_expired);
  ~SessionTable();
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  // A new session with a lease of `requested` clamped to the limits (0: the
  // default), bound to `owner` (an identity, or empty).
  absl::StatusOr<SessionInfo> Open(std::chrono::milliseconds requested,
                                   const std::string& client_name, const std::string& owner,
                                   SessionLiveness liveness = SessionLiveness::kConnection);
  // A call of session `key`: renews its lease unless the session has
  // application liveness. SESSION_NOT_FOUND if there is none.
  absl::Status Use(const std::string& key);
  // The application renews session `key` (RenewLease), having handled the
  // events up to `handled_sequence`; renews either kind of session.
  absl::StatusOr<SessionInfo> RenewByApplication(const std::string& key,
                                                 uint64_t handled_sequence);
  // The last event sequence the application said it handled (0 if none).
  uint64_t HandledSequence(const std::string& key) const;
  // The session's record, or nullptr.
  const SessionInfo* Find(const std::string& key) const;
  bool Contains(const std::string& key) const { return sessions_.count(key) != 0; }
  // A stream holding the session opened or closed: while one is open the
  // lease of a session with connection liveness does not run; when the last
  // closes it starts again. Streams do not hold one with application
  // liveness.
  absl::Status Hold(const std::string& key);
  void Release(const std::string& key);
  // Forgets the session (its lease stops); false if there was none.
  bool Remove(const std::string& key);
  void Clear();
  size_t size() const { return sessions_.size(); }

  // The sessions as records (a handover's state), and one put back in the
  // process taking over: held by no stream, with its whole lease to run
  // from now (its applications are reconnecting). INVALID_ARGUMENT for an
  // id or key that is not well formed, or one already here.
  std::vector<SessionRecord> Records() const;
  absl::Status Restore(const SessionRecord& record);

 private:
  struct Session {
    SessionInfo info;
    std::string client_name;
    size_t holders = 0;  // Open streams holding the session.
    net::TimerId lease_timer = 0;
    uint64_t handled_sequence = 0;  // From the application's last RenewLease.
  };

  absl::StatusOr<Session*> Found(const std::string& key);
  void Renew(Session& session);

  net::TaskRunner& runner_;
  const Limits& limits_;
  const Expired on_expired_;
  std::map<std::string, Session> sessions_;  // By key.
};

}  // namespace sctpgw::core
