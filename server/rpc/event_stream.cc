#include "server/rpc/event_stream.h"

#include <chrono>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/time_util.h"
#include "server/core/errors.h"
#include "server/rpc/convert.h"
#include "server/rpc/limits.h"
#include "server/rpc/status.h"

namespace sctpgw::rpc {
namespace {

using core::Error;
using core::Reason;

class EventStream final : public grpc::ServerWriteReactor<v1::WatchEventsResponse> {
 public:
  EventStream(core::Gateway& gateway, const v1::WatchEventsRequest& request, std::string session,
              CallCount& calls)
      : hold_(calls), gateway_(gateway), log_(gateway.events()), session_(std::move(session)) {
    endpoint_id_ = request.endpoint_id();
    uint32_t interval_ms = request.progress_interval_ms();
    if (interval_ms == 0) interval_ms = kDefaultProgressIntervalMs;
    if (interval_ms < kMinProgressIntervalMs || interval_ms > kMaxProgressIntervalMs) {
      finished_ = true;
      Finish(ToGrpcStatus(Error(Reason::kInvalidArgument,
                                absl::StrCat("progress_interval_ms ", interval_ms,
                                             " is outside ", kMinProgressIntervalMs, "..",
                                             kMaxProgressIntervalMs),
                                {{"field", "progress_interval_ms"}})));
      return;
    }
    progress_interval_ = std::chrono::milliseconds(interval_ms);
    // The session is checked (and kept alive by this stream) on the core's
    // thread; the stream starts from there. Until then OnCancel only records
    // the cancellation, so that this reactor outlives the posted task.
    gateway_.Post([this, request] { Start(request, gateway_.WatchStarted(session_)); });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The client is gone; OnCancel or OnDone follows.
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "event stream write failed"));
      return;
    }
    NextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (started_) FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (subscribed_) log_.Unsubscribe(subscription_);
    if (registered_) {
      gateway_.Post([gateway = &gateway_, session = session_] { gateway->WatchEnded(session); });
    }
    delete this;
  }

 private:
  // On the core's thread, once the session is known.
  void Start(const v1::WatchEventsRequest& request, const absl::Status& session) {
    if (session.ok()) {
      registered_ = true;
      // Subscribe before reading so that no event slips between the two (and
      // not under mu_: the log calls Wake() with its subscriber lock held).
      subscription_ = log_.Subscribe([this] { Wake(); });
      subscribed_ = true;
    }
    absl::MutexLock lock(&mu_);
    started_ = true;
    if (!session.ok() || cancelled_) {
      FinishLocked(cancelled_ ? grpc::Status::CANCELLED : ToGrpcStatus(session));
      return;
    }
    if (request.only_new()) {
      after_ = log_.last_sequence();
    } else if (request.after_sequence() == 0) {
      after_ = log_.first_kept_sequence() - 1;  // From the oldest kept.
    } else {
      after_ = request.after_sequence();
    }
    std::vector<core::EventPtr> probe;
    absl::Status status = log_.Read(after_, 0, &probe);
    if (!status.ok()) {
      FinishLocked(ToGrpcStatus(status));
      return;
    }
    v1::WatchAck* ack = response_.mutable_ack();
    ack->set_after_sequence(after_);
    ack->set_last_sequence(log_.last_sequence());
    ack->set_first_kept_sequence(log_.first_kept_sequence());
    StartWriteLocked();
  }

  void Wake() {
    absl::MutexLock lock(&mu_);
    if (!started_) return;
    if (writing_) {
      // The client is not reading (its flow-control window is full) or reads
      // slowly. sctpgw holds nothing for it but the one write in flight; once
      // the events after that write have left the kept history the stream
      // cannot go on without a gap, so it ends now, with the status queued
      // behind that write, rather than whenever the client reads again.
      if (after_ + 1 < log_.first_kept_sequence()) FinishTooSlowLocked();
      return;
    }
    NextLocked();
  }

  void FinishTooSlowLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    FinishLocked(ToGrpcStatus(Error(
        Reason::kSubscriberTooSlow,
        absl::StrCat("the event stream fell behind the ", log_.last_sequence() - after_,
                     " events kept; resume from a fresh state"),
        {{"last_delivered_sequence", absl::StrCat(after_)}})));
  }

  void StartWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writing_ = true;
    last_write_ = std::chrono::steady_clock::now();
    StartWrite(&response_);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  // Writes the next batch of events, or a progress message when due.
  void NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || writing_) return;
    std::vector<core::EventPtr> events;
    absl::Status status = log_.Read(after_, kEventsPerResponse, &events);
    if (!status.ok()) {
      FinishTooSlowLocked();  // The subscriber fell behind the kept history.
      return;
    }
    if (log_.SessionEnded(session_)) {
      FinishLocked(ToGrpcStatus(Error(Reason::kSessionNotFound, "the session has ended")));
      return;
    }
    if (events.empty() && log_.closed()) {
      // Everything was sent and the service is stopping (or has handed
      // over to a new process, where the stream resumes).
      FinishLocked(ToGrpcStatus(log_.closed_status()));
      return;
    }
    response_.Clear();
    size_t bytes = 0;
    for (const core::EventPtr& event : events) {
      // The rest wait for the next write (see kMaxEventResponseBytes).
      if (bytes >= kMaxEventResponseBytes) break;
      after_ = event->sequence;
      if (event->session != session_) continue;  // Other sessions' events are not ours.
      if (endpoint_id_ != 0 && event->endpoint_id != endpoint_id_) continue;
      v1::Event* out = response_.mutable_events()->add_events();
      ToProto(*event, out);
      bytes += out->ByteSizeLong();
    }
    if (response_.has_events()) {
      StartWriteLocked();
      return;
    }
    // The service's once-a-second tick wakes idle streams: a progress
    // message goes out at the tick nearest its interval rather than the
    // first one after it, so that it comes every interval ± half a tick
    // (lease renewals under application liveness count on it).
    if (std::chrono::steady_clock::now() - last_write_ >= progress_interval_ - kProgressTick / 2) {
      v1::WatchProgress* progress = response_.mutable_progress();
      progress->set_last_sequence(after_);
      *progress->mutable_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
      StartWriteLocked();
    }
  }

  CallCount::Hold hold_;
  core::Gateway& gateway_;
  core::EventLog& log_;
  const std::string session_;
  uint64_t endpoint_id_ = 0;
  std::chrono::milliseconds progress_interval_{kDefaultProgressIntervalMs};
  // Written on the core's thread before the stream starts, read in OnDone.
  bool registered_ = false;  // Counted as holding the session.
  core::EventLog::SubscriberId subscription_ = 0;
  bool subscribed_ = false;

  absl::Mutex mu_;
  uint64_t after_ ABSL_GUARDED_BY(mu_) = 0;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::chrono::steady_clock::time_point last_write_ ABSL_GUARDED_BY(mu_);
  v1::WatchEventsResponse response_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerWriteReactor<v1::WatchEventsResponse>* NewEventStream(
    core::Gateway& gateway, const v1::WatchEventsRequest& request, std::string session,
    CallCount& calls) {
  return new EventStream(gateway, request, std::move(session), calls);
}

}  // namespace sctpgw::rpc
