#include "server/rpc/send_stream.h"

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/rpc/convert.h"
#include "server/rpc/limits.h"
#include "server/rpc/peer_identity.h"
#include "server/rpc/status.h"

namespace sctpgw::rpc {

using core::Error;
using core::Reason;

// Threads: gRPC's (reads, writes, cancel), the core's (Pump and the Send
// completions), the service's tick and stop (Flush, Stop). All shared state
// is under mu_. Lifetime: Finish() is called only when the core's thread
// owns nothing of the stream (no Pump posted, no Send in flight) and no write
// is outstanding, as the last thing a thread does, outside mu_. The
// registry keeps a stream alive across Flush/Stop with a reference.
class SendStream final : public grpc::ServerBidiReactor<v1::SendRequest, v1::SendStreamResponse> {
 public:
  SendStream(core::Gateway& gateway, grpc::CallbackServerContext* context, CallCount& calls,
             SendStreams& registry)
      : hold_(calls),
        gateway_(gateway),
        context_(context),
        registry_(registry),
        deadline_(ToDeadline(context->deadline())),
        operation_(std::make_shared<core::OperationId>(0)) {
    absl::MutexLock lock(&mu_);
    if (absl::Status refused = registry_.Add(this); !refused.ok()) {
      finished_ = true;
      Finish(ToGrpcStatus(refused));
      return;
    }
    reading_ = true;
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    mu_.Lock();
    reading_ = false;
    if (!ok) {
      half_closed_ = true;  // WritesDone, or the call is going away.
    } else if (!failed_ && !finished_) {
      Hold(std::move(request_));
      request_.Clear();
    }
    AdvanceAndUnlock();
  }

  void OnWriteDone(bool ok) override {
    mu_.Lock();
    writing_ = false;
    if (!ok) Fail(absl::CancelledError("the client went away"));
    AdvanceAndUnlock();
  }

  void OnCancel() override {
    mu_.Lock();
    cancelled_ = true;
    Fail(absl::CancelledError("cancelled"));
    if (pumping_) {
      gateway_.Post([gateway = &gateway_, operation = operation_] {
        if (*operation != 0) gateway->Cancel(*operation);
      });
    }
    AdvanceAndUnlock();
  }

  void OnDone() override {
    registry_.Remove(this);
    Release();
  }

  // The service is stopping (or handing over): an idle stream ends now; a
  // busy one when its current request ends (the core fails it likewise).
  void Stop(const absl::Status& why) {
    mu_.Lock();
    Fail(why);
    AdvanceAndUnlock();
  }

  // Acknowledges what is done so far (the service's once-a-second tick).
  void Flush() {
    mu_.Lock();
    flush_ = acked_requests_ != completed_requests_;
    AdvanceAndUnlock();
  }

  // Keep the reactor alive across a call that may end it.
  void Acquire() { refs_.fetch_add(1); }
  void Release() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

 private:
  struct Batch {
    std::string session;
    uint64_t association_id = 0;
    std::vector<core::OutboundMessage> messages;
    size_t bytes = 0;
    absl::Status invalid;  // Not OK: the request failed validation.
  };

  // Keeps a request read for the core's thread.
  void Hold(v1::SendRequest request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto messages = ToOutboundMessages(&request);
    if (!messages.ok()) {
      // Ends the stream once the requests before it are sent; none after.
      held_.push_back(Batch{"", 0, {}, 0, messages.status()});
      invalid_held_ = true;
      return;
    }
    // The session's key (which needs the caller's identity) once per
    // session id, not once per request.
    if (key_for_ != request.session_id() || key_.empty()) {
      key_for_ = request.session_id();
      key_ = SessionKeyOf(context_, key_for_);
    }
    Batch batch{key_, request.association_id(), std::move(*messages), 0, absl::OkStatus()};
    for (const core::OutboundMessage& message : batch.messages) batch.bytes += message.payload.size();
    held_bytes_ += batch.bytes;
    held_.push_back(std::move(batch));
  }

  // Records the first error; the stream ends with it.
  void Fail(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (failed_) return;
    failed_ = true;
    status_ = status;
  }

  // Moves the stream on after any change: hands held requests to the core's
  // thread, reads ahead, acknowledges progress, and finishes when nothing is
  // left in flight. Releases the lock.
  void AdvanceAndUnlock() ABSL_UNLOCK_FUNCTION(mu_) {
    if (finished_) {
      mu_.Unlock();
      return;
    }
    // The held requests go to the core outside mu_ (Pump takes it): on this
    // thread when the core's is idle (RunOrPost), saving a hand-off per
    // request. The stream cannot finish meanwhile: pumping_ is set.
    const bool start_pump = !failed_ && !pumping_ && !held_.empty();
    if (start_pump) pumping_ = true;
    Kick();
    bool done = !pumping_ && !writing_ && (failed_ || (half_closed_ && held_.empty() && !reading_));
    if (!done) {
      mu_.Unlock();
      if (start_pump) gateway_.RunOrPost([this] { Pump(); });
      return;
    }
    finished_ = true;
    grpc::Status status = grpc::Status::OK;
    if (failed_) {
      absl::Status failure = status_;
      if (!core::ErrorReason(failure).empty()) {
        core::AddErrorMetadata(&failure, "completed_requests", absl::StrCat(completed_requests_));
      }
      status = cancelled_ ? grpc::Status::CANCELLED : ToGrpcStatus(failure);
    }
    mu_.Unlock();
    Finish(status);
  }

  // Reads ahead while there is room, acknowledges when due.
  void Kick() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    bool room = held_.empty() ||
                (held_.size() < kReadAheadRequests && held_bytes_ < kReadAheadBytes);
    if (!failed_ && !half_closed_ && !reading_ && !invalid_held_ && room) {
      reading_ = true;
      StartRead(&request_);
    }
    // Acknowledgements cost a write here and a wake-up in the client: one per
    // kAckEveryRequests requests, at the end, and on the service's tick.
    bool ack_due =
        completed_requests_ - acked_requests_ >= kAckEveryRequests || half_closed_ || flush_;
    if (!writing_ && acked_requests_ != completed_requests_ && !failed_ && ack_due) {
      flush_ = false;
      response_.set_completed_requests(completed_requests_);
      response_.set_accepted_messages(accepted_messages_);
      acked_requests_ = completed_requests_;
      writing_ = true;
      StartWrite(&response_);
    }
  }

  // On the core's thread (or a thread with its turn): hands the next held
  // request to the core's Send;
  // its completion (OnSent) goes on from there. With nothing left to send,
  // gives the stream back.
  void Pump() {
    mu_.Lock();
    if (failed_ || held_.empty()) {
      pumping_ = false;
      AdvanceAndUnlock();
      return;
    }
    Batch batch = std::move(held_.front());
    held_.pop_front();
    held_bytes_ -= batch.bytes;
    if (!batch.invalid.ok()) {
      Fail(batch.invalid);
      pumping_ = false;
      AdvanceAndUnlock();
      return;
    }
    Kick();  // Room to read the next one.
    mu_.Unlock();
    *operation_ = gateway_.Send(batch.session, batch.association_id, std::move(batch.messages),
                                deadline_, [this](absl::StatusOr<size_t> result) { OnSent(result); });
  }

  // On the core's thread: a core Send is done.
  void OnSent(const absl::StatusOr<size_t>& result) {
    *operation_ = 0;
    {
      absl::MutexLock lock(&mu_);
      if (result.ok()) {
        ++completed_requests_;
        accepted_messages_ += *result;
      } else {
        Fail(result.status());
      }
    }
    Pump();
  }

  CallCount::Hold hold_;
  core::Gateway& gateway_;
  grpc::CallbackServerContext* const context_;
  SendStreams& registry_;
  const core::Deadline deadline_;
  // The core Send in flight: read and written on the core's thread only.
  const std::shared_ptr<core::OperationId> operation_;
  std::atomic<int> refs_{1};

  absl::Mutex mu_;
  v1::SendRequest request_ ABSL_GUARDED_BY(mu_);
  std::string key_for_ ABSL_GUARDED_BY(mu_);  // The session id `key_` was made for.
  std::string key_ ABSL_GUARDED_BY(mu_);
  std::deque<Batch> held_ ABSL_GUARDED_BY(mu_);  // Read, not yet handed to the core.
  size_t held_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool half_closed_ ABSL_GUARDED_BY(mu_) = false;
  // The last held request is invalid: read no more.
  bool invalid_held_ ABSL_GUARDED_BY(mu_) = false;
  // The core's thread owns sending (Pump posted or a Send in flight).
  bool pumping_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // Acknowledge even if fewer than kAckEveryRequests are due.
  bool flush_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  uint64_t completed_requests_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t accepted_messages_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t acked_requests_ ABSL_GUARDED_BY(mu_) = 0;
  v1::SendStreamResponse response_ ABSL_GUARDED_BY(mu_);
};

grpc::ServerBidiReactor<v1::SendRequest, v1::SendStreamResponse>* SendStreams::Open(
    core::Gateway& gateway, grpc::CallbackServerContext* context, CallCount& calls) {
  return new SendStream(gateway, context, calls, *this);
}

absl::Status SendStreams::Add(SendStream* stream) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return why_;
  live_.insert(stream);
  return absl::OkStatus();
}

void SendStreams::Remove(SendStream* stream) {
  absl::MutexLock lock(&mu_);
  live_.erase(stream);
}

template <typename F>
void SendStreams::ForEach(bool stop, F f) {
  std::vector<SendStream*> streams;
  {
    absl::MutexLock lock(&mu_);
    if (stop) stopping_ = true;
    for (SendStream* stream : live_) {
      stream->Acquire();  // Alive until Release(), even if it finishes meanwhile.
      streams.push_back(stream);
    }
  }
  for (SendStream* stream : streams) {
    f(stream);
    stream->Release();
  }
}

void SendStreams::StopAll(const absl::Status& why) {
  {
    absl::MutexLock lock(&mu_);
    why_ = why;
  }
  ForEach(/*stop=*/true, [&why](SendStream* stream) { stream->Stop(why); });
}

void SendStreams::Tick() {
  ForEach(/*stop=*/false, [](SendStream* stream) { stream->Flush(); });
}

}  // namespace sctpgw::rpc
