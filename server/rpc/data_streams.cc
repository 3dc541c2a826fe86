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
      Fail(messages.status());
      Advance(std::move(lock));
      return;
    }
    held_ = Batch{Key(context_, request_.session_id()), request_.association_id(),
                  std::move(*messages)};
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
    if (sending_ && op != 0) {
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

  // SendStreams keeps a stream alive across Stop() with these.
  void Acquire() { refs_.fetch_add(1); }
  void Release() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

 private:
  struct Batch {
    std::string session;
    uint64_t association_id = 0;
    std::vector<core::OutboundMessage> messages;
  };

  // Records the first error; the stream ends with it.
  void Fail(const absl::Status& status) {
    if (failed_) return;
    failed_ = true;
    status_ = status;
  }

  // Moves the stream on after any change: starts the held request when the
  // previous one is done, reads ahead, acknowledges progress, and finishes
  // when nothing is left in flight. Releases the lock.
  void Advance(std::unique_lock<std::mutex> lock) {
    if (finished_) return;
    if (!failed_ && !sending_ && held_.has_value()) {
      Batch batch = std::move(*held_);
      held_.reset();
      sending_ = true;
      op_ = 0;
      uint64_t attempt = ++attempt_;
      Acquire();  // `done` may end the call inside StartSend.
      gateway_.Post([this, attempt, batch = std::move(batch)]() mutable {
        StartSend(attempt, std::move(batch));
        Release();
      });
    }
    if (!failed_ && !half_closed_ && !reading_ && !held_.has_value()) {
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
    bool done = !sending_ && !writing_ &&
                (failed_ || (half_closed_ && !held_.has_value() && !reading_));
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

  // On the core's thread.
  void StartSend(uint64_t attempt, Batch batch) {
    core::OperationId op = gateway_.Send(
        batch.session, batch.association_id, std::move(batch.messages), deadline_,
        [this](absl::StatusOr<size_t> result) {
          std::unique_lock<std::mutex> lock(mu_);
          sending_ = false;
          op_ = 0;
          if (result.ok()) {
            ++completed_requests_;
            accepted_messages_ += *result;
          } else {
            Fail(result.status());
          }
          Advance(std::move(lock));
        });
    std::lock_guard<std::mutex> lock(mu_);
    if (!sending_ || attempt_ != attempt) return;  // Done inside Send (maybe the next one posted).
    op_ = op;
    if (failed_) gateway_.Cancel(op);
  }

  CallCount::Hold hold_;
  core::Gateway& gateway_;
  grpc::CallbackServerContext* const context_;
  SendStreams& registry_;
  const core::Deadline deadline_;
  std::atomic<int> refs_{1};

  std::mutex mu_;
  v1::SendRequest request_;
  std::optional<Batch> held_;
  bool reading_ = false;
  bool half_closed_ = false;
  bool sending_ = false;
  core::OperationId op_ = 0;
  uint64_t attempt_ = 0;  // Core operations posted so far.
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

  void OnDone() override { Release(); }

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
    std::lock_guard<std::mutex> lock(mu_);
    if (!receiving_ || attempt_ != attempt) return;  // Done inside Receive (maybe the next one posted).
    op_ = op;
    if (failed_) gateway_.Cancel(op);
  }

  CallCount::Hold hold_;
  core::Gateway& gateway_;
  const std::string session_;
  const core::Deadline deadline_;
  core::ReceiveSpec spec_;
  std::atomic<int> refs_{1};

  std::mutex mu_;
  bool receiving_ = false;  // A core Receive is posted or waiting.
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
