#include "server/core/event_log.h"

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"

namespace sctpgw::core {

EventLog::EventLog(size_t capacity) : capacity_(capacity > 0 ? capacity : 1) {}

uint64_t EventLog::Append(Event event) {
  uint64_t sequence;
  {
    absl::MutexLock lock(&mu_);
    sequence = ++last_sequence_;
    if (sequence_mirror_ != nullptr) *sequence_mirror_ = sequence;
    event.sequence = sequence;
    event.time = std::chrono::system_clock::now();
    events_.push_back(std::make_shared<const Event>(std::move(event)));
    while (events_.size() > capacity_) events_.pop_front();
  }
  WakeAll();
  return sequence;
}

void EventLog::MirrorLastSequence(uint64_t* counter) {
  absl::MutexLock lock(&mu_);
  sequence_mirror_ = counter;
  if (counter != nullptr) *counter = last_sequence_;
}

absl::Status EventLog::Read(uint64_t after, size_t max, std::vector<EventPtr>* out) const {
  absl::MutexLock lock(&mu_);
  uint64_t first = events_.empty() ? last_sequence_ + 1 : events_.front()->sequence;
  if (after + 1 < first) {
    return Error(Reason::kHistoryCompacted,
                 absl::StrCat("events after sequence ", after,
                              " are no longer kept; the oldest kept is ", first),
                 {{"requested_after_sequence", absl::StrCat(after)},
                  {"first_kept_sequence", absl::StrCat(first)}});
  }
  if (after >= last_sequence_) return absl::OkStatus();
  size_t index = static_cast<size_t>(after + 1 - first);
  for (; index < events_.size() && max > 0; ++index, --max) out->push_back(events_[index]);
  return absl::OkStatus();
}

uint64_t EventLog::last_sequence() const {
  absl::MutexLock lock(&mu_);
  return last_sequence_;
}

uint64_t EventLog::first_kept_sequence() const {
  absl::MutexLock lock(&mu_);
  return events_.empty() ? last_sequence_ + 1 : events_.front()->sequence;
}

void EventLog::Close(absl::Status why) {
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    closed_status_ = std::move(why);
  }
  WakeAll();
}

absl::Status EventLog::closed_status() const {
  absl::MutexLock lock(&mu_);
  return closed_status_;
}

EventLogState EventLog::State() const {
  absl::MutexLock lock(&mu_);
  EventLogState state;
  state.events.assign(events_.begin(), events_.end());
  state.last_sequence = last_sequence_;
  state.ended_sessions.assign(ended_order_.begin(), ended_order_.end());
  return state;
}

void EventLog::Restore(EventLogState state) {
  {
    absl::MutexLock lock(&mu_);
    events_.clear();
    for (EventPtr& event : state.events) {
      if (event == nullptr || event->sequence <= (events_.empty() ? 0 : events_.back()->sequence) ||
          event->sequence > state.last_sequence) {
        continue;  // Out of order or beyond the last: not a log this one kept.
      }
      events_.push_back(std::move(event));
    }
    while (events_.size() > capacity_) events_.pop_front();
    last_sequence_ = state.last_sequence;
    ended_sessions_.clear();
    ended_order_.clear();
    for (std::string& session : state.ended_sessions) {
      if (ended_sessions_.insert(session).second) ended_order_.push_back(std::move(session));
    }
  }
  WakeAll();
}

void EventLog::EndSession(const std::string& session) {
  constexpr size_t kRemembered = 4096;
  {
    absl::MutexLock lock(&mu_);
    if (ended_sessions_.insert(session).second) ended_order_.push_back(session);
    while (ended_order_.size() > kRemembered) {
      ended_sessions_.erase(ended_order_.front());
      ended_order_.pop_front();
    }
  }
  WakeAll();
}

bool EventLog::SessionEnded(const std::string& session) const {
  absl::MutexLock lock(&mu_);
  return ended_sessions_.count(session) != 0;
}

bool EventLog::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

EventLog::SubscriberId EventLog::Subscribe(std::function<void()> wake) {
  absl::MutexLock lock(&subscribers_mu_);
  SubscriberId id = next_subscriber_++;
  subscribers_.emplace(id, std::move(wake));
  return id;
}

void EventLog::Unsubscribe(SubscriberId id) {
  absl::MutexLock lock(&subscribers_mu_);
  subscribers_.erase(id);
}

void EventLog::WakeAll() {
  absl::MutexLock lock(&subscribers_mu_);
  for (auto& [id, wake] : subscribers_) wake();
}

}  // namespace sctpgw::core
