// The streaming data path: SendStream (client → kernel, one request at a time
// with one read ahead) and ReceiveStream (kernel → client, one response at a
// time). Both are thin loops over the core's Send and Receive operations, so
// validation, ordering, limits and errors are exactly the unary calls'.
//
// Lifetime rule for both reactors: Finish() is called only when no core
// operation is in flight (its `done` would touch the reactor) and no write is
// outstanding, and always as the last thing a thread does with the reactor,
// outside its mutex (gRPC may run OnDone, which deletes it, at once).

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/rpc/convert.h"
#include "server/rpc/gateway_service.h"
#include "server/rpc/status.h"

namespace sctpgw::rpc {

using core::Error;
using core::Reason;

// Requests a SendStream acknowledges at once (else on the next tick).
constexpr uint64_t kAckEvery = 64;
// What a SendStream reads ahead of the kernel, at most: requests, and their
// payload bytes (always at least one request).
constexpr size_t kReadAheadRequests = 16;
constexpr size_t kReadAheadBytes = 4 * 1024 * 1024;

// gRPC threads read requests into `held_`; the core's thread drains it
// (Pump), one core Send after the other, without a thread hop per request
// while it has work.
class SendStreamer final : public grpc::ServerBidiReactor<v1::SendRequest, v1::SendStreamResponse> {
 public:
  SendStreamer(core::Gateway& gateway, grpc::CallbackServerContext* context, CallCount& calls,
               SendStreams& registry)
      : hold_(calls),
        gateway_(gateway),
        context_(context),
        registry_(registry),
        deadline_(ToDeadline(context->deadline())) {
    if (!registry_.Add(this)) {
      finished_ = true;
      Finish(ToGrpcStatus(Error(Reason::kShuttingDown, "sctpgw is stopping")));
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    reading_ = true;
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    reading_ = false;
    if (!ok) {
      half_closed_ = true;  // WritesDone, or the call is going away.
      Advance(std::move(lock));
      return;
    }
    if (failed_ || finished_) {
      Advance(std::move(lock));
      return;
    }
    auto messages = ToOutboundMessages(&request_);
    if (!messages.ok()) {
      // Ends the stream once the requests before it are sent; none after.
      held_.push_back(Batch{"", 0, {}, 0, messages.status()});
      invalid_held_ = true;
      Advance(std::move(lock));
      return;
    }
    // The session's key (which needs the caller's identity) once per
    // session id, not once per request.
    if (key_for_ != request_.session_id() || key_.empty()) {
      key_for_ = request_.session_id();
      key_ = Key(context_, key_for_);
    }
    Batch batch{key_, request_.association_id(), std::move(*messages), 0, absl::OkStatus()};
    for (const core::OutboundMessage& message : batch.messages) batch.bytes += message.payload.size();
    held_bytes_ += batch.bytes;
    held_.push_back(std::move(batch));
    request_.Clear();
    Advance(std::move(lock));
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) Fail(absl::CancelledError("the client went away"));
    Advance(std::move(lock));
  }

  void OnCancel() override {
    std::unique_lock<std::mutex> lock(mu_);
    cancelled_ = true;
    Fail(absl::CancelledError("cancelled"));
    core::OperationId op = op_;
    if (in_flight_ && op != 0) {
      core::Gateway* gateway = &gateway_;
      gateway_.Post([gateway, op] { gateway->Cancel(op); });
    }
    Advance(std::move(lock));
  }

  void OnDone() override {
    registry_.Remove(this);
    Release();
  }

  // The service is stopping: an idle stream ends now; a busy one when its
  // current request ends (the core fails it with SHUTTING_DOWN).
  void Stop() {
    std::unique_lock<std::mutex> lock(mu_);
    Fail(Error(Reason::kShuttingDown, "sctpgw is stopping"));
    Advance(std::move(lock));
  }

  // Acknowledges what is done so far (the service's once-a-second tick).
  void Flush() {
    std::unique_lock<std::mutex> lock(mu_);
    flush_ = acked_requests_ != completed_requests_;
    Advance(std::move(lock));
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

  // Records the first error; the stream ends with it.
  void Fail(const absl::Status& status) {
    if (failed_) return;
    failed_ = true;
    status_ = status;
  }

  // Moves the stream on after any change: hands held requests to the core's
  // thread, reads ahead, acknowledges progress, and finishes when nothing is
  // left in flight. Releases the lock.
  void Advance(std::unique_lock<std::mutex> lock) {
    if (finished_) return;
    if (!failed_ && !pumping_ && !held_.empty()) {
      pumping_ = true;
      Acquire();
      gateway_.Post([this] {
        Pump(std::unique_lock<std::mutex>(mu_));
        Release();
      });
    }
    Kick();
    bool done = !pumping_ && !writing_ && (failed_ || (half_closed_ && held_.empty() && !reading_));
    if (!done) return;
    finished_ = true;
    grpc::Status status = grpc::Status::OK;
    if (failed_) {
      absl::Status failure = status_;
      if (!core::ErrorReason(failure).empty()) {
        core::AddErrorMetadata(&failure, "completed_requests", absl::StrCat(completed_requests_));
      }
      status = cancelled_ ? grpc::Status::CANCELLED : ToGrpcStatus(failure);
    }
    lock.unlock();
    Finish(status);
  }

  // Under the lock: reads ahead while there is room, acknowledges when due.
  void Kick() {
    bool room = held_.empty() ||
                (held_.size() < kReadAheadRequests && held_bytes_ < kReadAheadBytes);
    if (!failed_ && !half_closed_ && !reading_ && !invalid_held_ && room) {
      reading_ = true;
      StartRead(&request_);
    }
    // Acknowledgements cost a write here and a wake-up in the client: one per
    // kAckEvery requests, at the end, and on the service's tick.
    bool ack_due = completed_requests_ - acked_requests_ >= kAckEvery || half_closed_ || flush_;
    if (!writing_ && acked_requests_ != completed_requests_ && !failed_ && ack_due) {
      flush_ = false;
      response_.set_completed_requests(completed_requests_);
      response_.set_accepted_messages(accepted_messages_);
      acked_requests_ = completed_requests_;
      writing_ = true;
      StartWrite(&response_);
    }
  }

  // On the core's thread: sends held requests in order until none is left,
  // one fails, or one waits on the kernel (its completion, OnSent, goes on
  // from there). Releases the lock.
  void Pump(std::unique_lock<std::mutex> lock) {
    pump_running_ = true;
    while (!failed_ && !held_.empty()) {
      Batch batch = std::move(held_.front());
      held_.pop_front();
      held_bytes_ -= batch.bytes;
      if (!batch.invalid.ok()) {
        Fail(batch.invalid);
        break;
      }
      Kick();  // Room to read the next one.
      in_flight_ = true;
      op_ = 0;
      uint64_t attempt = ++attempt_;
      lock.unlock();
      core::OperationId op =
          gateway_.Send(batch.session, batch.association_id, std::move(batch.messages), deadline_,
                        [this, attempt](absl::StatusOr<size_t> result) { OnSent(attempt, result); });
      lock.lock();
      if (in_flight_ && attempt_ == attempt) {  // Waits on the kernel.
        op_ = op;
        pump_running_ = false;
        bool cancel = failed_;
        lock.unlock();
        if (cancel) gateway_.Cancel(op);
        return;
      }
    }
    pump_running_ = false;
    pumping_ = false;
    Advance(std::move(lock));
  }

  // A core Send is done, on the core's thread: inside Pump (which goes on),
  // or later (this goes on pumping).
  void OnSent(uint64_t attempt, const absl::StatusOr<size_t>& result) {
    std::unique_lock<std::mutex> lock(mu_);
    if (attempt != attempt_) return;
    in_flight_ = false;
    op_ = 0;
    if (result.ok()) {
      ++completed_requests_;
      accepted_messages_ += *result;
    } else {
      Fail(result.status());
    }
    if (pump_running_) return;
    Kick();
    Acquire();  // Pump may end the call.
    Pump(std::move(lock));
    Release();
  }

  CallCount::Hold hold_;
  core::Gateway& gateway_;
  grpc::CallbackServerContext* const context_;
  SendStreams& registry_;
  const core::Deadline deadline_;
  std::atomic<int> refs_{1};

  std::mutex mu_;
  v1::SendRequest request_;
  std::string key_for_;  // The session id `key_` was made for.
  std::string key_;
  std::deque<Batch> held_;  // Read, not yet handed to the core.
  size_t held_bytes_ = 0;
  bool reading_ = false;
  bool half_closed_ = false;
  bool invalid_held_ = false;  // The last held request is invalid: read no more.
  bool pumping_ = false;       // The core's thread owns sending (Pump posted or a Send in flight).
  bool pump_running_ = false;  // Pump is on the stack.
  bool in_flight_ = false;     // A core Send is waiting on the kernel.
  core::OperationId op_ = 0;
  uint64_t attempt_ = 0;  // Core Sends started so far.
  bool writing_ = false;
  bool flush_ = false;  // Acknowledge even if fewer than kAckEvery are due.
  bool failed_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
  absl::Status status_;
  uint64_t completed_requests_ = 0;
  uint64_t accepted_messages_ = 0;
  uint64_t acked_requests_ = 0;
  v1::SendStreamResponse response_;
};

class ReceiveStreamer final : public grpc::ServerWriteReactor<v1::ReceiveResponse> {
 public:
  ReceiveStreamer(core::Gateway& gateway, grpc::CallbackServerContext* context,
                  const v1::ReceiveRequest& request, CallCount& calls)
      : hold_(calls),
        gateway_(gateway),
        session_(Key(context, request.session_id())),
        deadline_(ToDeadline(context->deadline())) {
    auto spec = ToReceiveSpec(request);
    if (!spec.ok()) {
      finished_ = true;
      Finish(ToGrpcStatus(spec.status()));
      return;
    }
    spec_ = *spec;
    std::lock_guard<std::mutex> lock(mu_);
    receiving_ = true;
    PostReceive();
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) Fail(absl::CancelledError("the client went away"));
    Advance(std::move(lock));
  }

  void OnCancel() override {
    std::unique_lock<std::mutex> lock(mu_);
    Fail(absl::CancelledError("cancelled"));
    core::OperationId op = op_;
    if (receiving_ && op != 0) {
      core::Gateway* gateway = &gateway_;
      gateway_.Post([gateway, op] { gateway->Cancel(op); });
    }
    Advance(std::move(lock));
  }

  void OnDone() override {
    bool holds;
    {
      std::lock_guard<std::mutex> lock(mu_);
      holds = holds_session_;
    }
    if (holds) {
      core::Gateway* gateway = &gateway_;
      gateway_.Post([gateway, session = session_] { gateway->WatchEnded(session); });
    }
    Release();
  }

 private:
  void Acquire() { refs_.fetch_add(1); }
  void Release() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  void Fail(const absl::Status& status) {
    if (failed_) return;
    failed_ = true;
    status_ = status;
  }

  void PostReceive() {
    uint64_t attempt = ++attempt_;
    Acquire();  // `done` may end the call inside StartReceive.
    gateway_.Post([this, attempt] {
      StartReceive(attempt);
      Release();
    });
  }

  // Releases the lock.
  void Advance(std::unique_lock<std::mutex> lock) {
    if (finished_) return;
    if (!failed_ && !writing_ && !receiving_) {
      receiving_ = true;
      op_ = 0;
      PostReceive();
      return;
    }
    if (!failed_ || receiving_ || writing_) return;
    finished_ = true;
    grpc::Status status;
    if (status_.code() == absl::StatusCode::kCancelled) {
      status = grpc::Status::CANCELLED;
    } else if (core::ErrorReason(status_) == "ASSOCIATION_CLOSED") {
      status = grpc::Status::OK;  // Ended, and every message was delivered.
    } else {
      status = ToGrpcStatus(status_);
    }
    lock.unlock();
    Finish(status);
  }

  // On the core's thread.
  void StartReceive(uint64_t attempt) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!failed_ && !holds_session_) {
        // The session lives while this stream is open, as with an event
        // stream: an idle association must not let its lease run out.
        absl::Status session = gateway_.WatchStarted(session_);
        if (session.ok()) {
          holds_session_ = true;
        } else {
          Fail(session);
        }
      }
      if (failed_) {
        receiving_ = false;
        Advance(std::move(lock));
        return;
      }
    }
    core::OperationId op = gateway_.Receive(
        session_, spec_, deadline_,
        [this](absl::StatusOr<std::vector<core::ReceivedMessage>> result) {
          std::unique_lock<std::mutex> lock(mu_);
          receiving_ = false;
          op_ = 0;
          if (!result.ok()) {
            Fail(result.status());
            Advance(std::move(lock));
            return;
          }
          if (failed_) {  // Cancelled meanwhile; the messages go with the call.
            Advance(std::move(lock));
            return;
          }
          response_.Clear();
          for (core::ReceivedMessage& message : *result) {
            ToProto(std::move(message), response_.add_messages());
          }
          writing_ = true;
          StartWrite(&response_);
        });
    std::unique_lock<std::mutex> lock(mu_);
    if (!receiving_ || attempt_ != attempt) return;  // Done inside Receive (maybe the next one posted).
    op_ = op;
    bool cancel = failed_;
    lock.unlock();
    if (cancel) gateway_.Cancel(op);  // Its `done` takes the lock.
  }

  CallCount::Hold hold_;
  core::Gateway& gateway_;
  const std::string session_;
  const core::Deadline deadline_;
  core::ReceiveSpec spec_;
  std::atomic<int> refs_{1};

  std::mutex mu_;
  bool receiving_ = false;  // A core Receive is posted or waiting.
  bool holds_session_ = false;  // Counted by the core as keeping the session alive.
  core::OperationId op_ = 0;
  uint64_t attempt_ = 0;  // Core operations posted so far.
  bool writing_ = false;
  bool failed_ = false;
  bool finished_ = false;
  absl::Status status_;
  v1::ReceiveResponse response_;
};

bool SendStreams::Add(SendStreamer* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return false;
  live_.insert(stream);
  return true;
}

void SendStreams::Remove(SendStreamer* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(stream);
}

template <typename F>
void SendStreams::ForEach(bool stop, F f) {
  std::vector<SendStreamer*> streams;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop) stopping_ = true;
    for (SendStreamer* stream : live_) {
      stream->Acquire();  // Alive until Release(), even if it finishes meanwhile.
      streams.push_back(stream);
    }
  }
  for (SendStreamer* stream : streams) {
    f(stream);
    stream->Release();
  }
}

void SendStreams::StopAll() {
  ForEach(/*stop=*/true, [](SendStreamer* stream) { stream->Stop(); });
}

void SendStreams::Tick() {
  ForEach(/*stop=*/false, [](SendStreamer* stream) { stream->Flush(); });
}

grpc::ServerBidiReactor<v1::SendRequest, v1::SendStreamResponse>* GatewayServiceImpl::SendStream(
    grpc::CallbackServerContext* context) {
  return new SendStreamer(gateway_, context, calls_, send_streams_);
}

grpc::ServerWriteReactor<v1::ReceiveResponse>* GatewayServiceImpl::ReceiveStream(
    grpc::CallbackServerContext* context, const v1::ReceiveRequest* request) {
  return new ReceiveStreamer(gateway_, context, *request, calls_);
}

}  // namespace sctpgw::rpc
