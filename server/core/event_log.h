// The ordered log of everything that happened to endpoints and associations.
// Each event gets the next sequence number (1, 2, 3, ...). The last
// `capacity` events are kept so that a subscriber can resume after the last
// sequence it saw and get every later event exactly once; a subscriber that
// asks for events no longer kept gets HISTORY_COMPACTED, never a silent gap
// (the model is etcd's Watch). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/net/notification.h"

namespace sctpgw::core {

struct Event {
  uint64_t sequence = 0;
  std::chrono::system_clock::time_point time;
  std::string session;  // The session owning the endpoint.
  uint64_t endpoint_id = 0;
  uint64_t association_id = 0;  // 0 when the event concerns no association.
  net::Notification notification;
  // Why, when sctpgw itself caused it (an ABORT it sent, ...).
  std::string detail;
  // The association's primary peer address ("198.51.100.7:2905"), if known.
  std::string peer;
  // Not a notification but sctpgw's own report: this many messages it had
  // read from the association and not yet delivered were lost when it died
  // (crash survival), and `messages_unconfirmed` more that it was writing
  // to the application may have been. `notification` is then unused.
  uint64_t messages_lost = 0;
  uint64_t messages_unconfirmed = 0;
};

using EventPtr = std::shared_ptr<const Event>;

// What the log holds, for a process that takes over (GatewayState).
struct EventLogState {
  std::vector<EventPtr> events;  // Oldest first.
  uint64_t last_sequence = 0;
  std::vector<std::string> ended_sessions;  // Oldest first.
};

class EventLog {
 public:
  using SubscriberId = uint64_t;

  explicit EventLog(size_t capacity);

  // Stamps `event` with the next sequence number and the time, keeps it and
  // wakes every subscriber. Returns the sequence number.
  uint64_t Append(Event event);

  // Appends to `out` the events after sequence `after`, at most `max`. Fails
  // with HISTORY_COMPACTED when events after `after` are no longer kept.
  absl::Status Read(uint64_t after, size_t max, std::vector<EventPtr>* out) const;

  // The newest sequence number (0 before the first event) and the oldest
  // still kept (last_sequence() + 1 when none is kept).
  uint64_t last_sequence() const;
  uint64_t first_kept_sequence() const;

  // Keeps `*counter` equal to last_sequence(), written before any reader
  // can see a new event (crash survival: shared memory that outlives the
  // process); nullptr stops it.
  void MirrorLastSequence(uint64_t* counter);

  // `wake` runs (on the appending thread, without the log's lock held for
  // reading) after every Append() and every WakeAll(); it must not block.
  SubscriberId Subscribe(std::function<void()> wake);
  void Unsubscribe(SubscriberId id);
  // Wakes every subscriber without a new event: progress ticks.
  void WakeAll();
  // No more events will come (the service is stopping, or has handed over
  // to a new process): subscribers are woken to end their streams with
  // `why`.
  void Close(absl::Status why);
  bool closed() const;
  absl::Status closed_status() const;
  // What the log holds, and (in the process taking over, before anyone reads
  // it) the same put back.
  EventLogState State() const;
  void Restore(EventLogState state);
  // `session` has ended: its subscribers are woken to end their streams.
  // The most recent ended sessions are remembered (bounded).
  void EndSession(const std::string& session);
  bool SessionEnded(const std::string& session) const;

 private:
  const size_t capacity_;

  mutable absl::Mutex mu_;
  std::deque<EventPtr> events_ ABSL_GUARDED_BY(mu_);
  uint64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t* sequence_mirror_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status closed_status_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> ended_sessions_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> ended_order_ ABSL_GUARDED_BY(mu_);

  // Lock order: subscribers_mu_ before a subscriber's own lock before mu_.
  absl::Mutex subscribers_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::map<SubscriberId, std::function<void()>> subscribers_ ABSL_GUARDED_BY(subscribers_mu_);
  SubscriberId next_subscriber_ ABSL_GUARDED_BY(subscribers_mu_) = 1;
};

}  // namespace sctpgw::core
