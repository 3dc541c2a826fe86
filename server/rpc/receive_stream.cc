#include "server/rpc/receive_stream.h"

#include <map>

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/core/errors.h"
#include "server/rpc/convert.h"
#include "server/rpc/peer_identity.h"
#include "server/rpc/status.h"

namespace sctpgw::rpc {
namespace {

// Lifetime: Finish() is called only when no core Receive is posted or
// waiting (its completion touches the reactor) and no write is outstanding,
// as the last thing a thread does with the reactor, outside its mutex.
class ReceiveStream final : public grpc::ServerWriteReactor<v1::ReceiveResponse> {
 public:
  ReceiveStream(core::Gateway& gateway, grpc::CallbackServerContext* context,
                const v1::ReceiveRequest& request, CallCount& calls)
      : hold_(calls),
        gateway_(gateway),
        session_(SessionKeyOf(context, request.session_id())),
        deadline_(ToDeadline(context->deadline())),
        core_(std::make_shared<CoreSide>()) {
    auto spec = ToReceiveSpec(request);
    absl::MutexLock lock(&mu_);
    if (!spec.ok()) {
      finished_ = true;
      Finish(ToGrpcStatus(spec.status()));
      return;
    }
    spec_ = *spec;
    receiving_ = true;
    gateway_.Post([this] { StartReceive(); });
  }

  void OnWriteDone(bool ok) override {
    mu_.Lock();
    writing_ = false;
    Settlement settlement;
    if (ok) {
      settlement.written = std::move(unsettled_);
    } else {
      // Never written as a whole: the messages go back to their queues for
      // the next receive (or the record of a restart in place).
      settlement.unwritten = TakeUnwritten();
      Fail(absl::CancelledError("the client went away"));
    }
    unsettled_.clear();
    AdvanceAndUnlock(std::move(settlement));
  }

  void OnCancel() override {
    mu_.Lock();
    Fail(absl::CancelledError("cancelled"));
    if (receiving_) {
      gateway_.Post([gateway = &gateway_, core = core_] {
        if (core->operation != 0) gateway->Cancel(core->operation);
      });
    }
    AdvanceAndUnlock();
  }

  void OnDone() override {
    Settlement settlement;
    {
      absl::MutexLock lock(&mu_);
      // A response whose write never completed (every write ends in
      // OnWriteDone first, so none should be left).
      if (!unsettled_.empty()) settlement.unwritten = TakeUnwritten();
    }
    gateway_.RunOrPost([gateway = &gateway_, core = core_, session = session_,
                        settlement = std::move(settlement)]() mutable {
      Apply(*gateway, std::move(settlement));
      if (core->holds_session) gateway->WatchEnded(session);
    });
    delete this;
  }

 private:
  // What only the core's thread reads and writes; shared with tasks posted
  // there that may run after the call has ended.
  struct CoreSide {
    core::OperationId operation = 0;
    bool holds_session = false;  // Counted by the core as keeping the session alive.
  };

  // What became of the messages of a response: written (by association
  // id), or not.
  struct Settlement {
    std::map<uint64_t, size_t> written;
    std::vector<core::ReceivedMessage> unwritten;
    bool empty() const { return written.empty() && unwritten.empty(); }
  };

  // On the core's thread.
  static void Apply(core::Gateway& gateway, Settlement settlement) {
    if (!settlement.written.empty()) gateway.Settle(settlement.written);
    if (!settlement.unwritten.empty()) gateway.ReturnUnwritten(std::move(settlement.unwritten));
  }

  // The messages of response_, taken back from it.
  std::vector<core::ReceivedMessage> TakeUnwritten() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<core::ReceivedMessage> unwritten;
    unwritten.reserve(response_.messages_size());
    for (v1::InboundMessage& message : *response_.mutable_messages()) {
      unwritten.push_back(FromProto(std::move(message)));
    }
    response_.Clear();
    unsettled_.clear();
    return unwritten;
  }

  void Fail(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (failed_) return;
    failed_ = true;
    status_ = status;
  }

  // Moves the stream on: the next Receive once the last response is
  // written, or the end. Settles the messages of the response just written
  // (or not) with the core first. Releases the lock.
  void AdvanceAndUnlock(Settlement settlement = {}) ABSL_UNLOCK_FUNCTION(mu_) {
    // The next Receive starts outside mu_ (StartReceive takes it): on this
    // thread when the core's is idle (RunOrPost), so that queued messages
    // are written without a hand-off. The stream cannot finish meanwhile:
    // receiving_ is set.
    const bool start_receive = !finished_ && !failed_ && !writing_ && !receiving_;
    if (start_receive) receiving_ = true;
    if (finished_ || !failed_ || receiving_ || writing_) {
      mu_.Unlock();
      if (start_receive) {
        gateway_.RunOrPost([this, settlement = std::move(settlement)]() mutable {
          Apply(gateway_, std::move(settlement));
          StartReceive();
        });
      } else {
        Settle(std::move(settlement));
      }
      return;
    }
    finished_ = true;
    grpc::Status status;
    if (status_.code() == absl::StatusCode::kCancelled) {
      status = grpc::Status::CANCELLED;
    } else if (core::HasReason(status_, core::Reason::kAssociationClosed)) {
      status = grpc::Status::OK;  // Ended, and every message was delivered.
    } else {
      status = ToGrpcStatus(status_);
    }
    mu_.Unlock();
    Settle(std::move(settlement));
    Finish(status);
  }

  // Settles with the core (Apply); not under mu_.
  void Settle(Settlement settlement) {
    if (settlement.empty()) return;
    gateway_.RunOrPost([gateway = &gateway_, settlement = std::move(settlement)]() mutable {
      Apply(*gateway, std::move(settlement));
    });
  }

  // On the core's thread.
  void StartReceive() {
    if (!core_->holds_session) {
      // The session lives while this stream is open, as with an event
      // stream: an idle association must not let its lease run out.
      absl::Status session = gateway_.WatchStarted(session_);
      if (!session.ok()) {
        mu_.Lock();
        receiving_ = false;
        Fail(session);
        AdvanceAndUnlock();
        return;
      }
      core_->holds_session = true;
    }
    mu_.Lock();
    if (failed_) {
      receiving_ = false;
      AdvanceAndUnlock();
      return;
    }
    mu_.Unlock();
    core_->operation = gateway_.Receive(
        session_, spec_, deadline_,
        [this](absl::StatusOr<std::vector<core::ReceivedMessage>> result) {
          OnReceived(std::move(result));
        });
  }

  // On the core's thread, after StartReceive.
  void OnReceived(absl::StatusOr<std::vector<core::ReceivedMessage>> result) {
    core_->operation = 0;
    mu_.Lock();
    receiving_ = false;
    Settlement settlement;
    if (!result.ok()) {
      Fail(result.status());
    } else if (!failed_) {
      response_.Clear();
      for (core::ReceivedMessage& message : *result) {
        ++unsettled_[message.association_id];
        ToProto(std::move(message), response_.add_messages());
      }
      writing_ = true;
      StartWrite(&response_);
      mu_.Unlock();
      return;
    } else {
      // Cancelled meanwhile: the messages stay for the next receive.
      settlement.unwritten = std::move(*result);
    }
    AdvanceAndUnlock(std::move(settlement));
  }

  CallCount::Hold hold_;
  core::Gateway& gateway_;
  const std::string session_;
  const core::Deadline deadline_;
  const std::shared_ptr<CoreSide> core_;
  core::ReceiveSpec spec_;  // Set before the first Receive is posted.

  absl::Mutex mu_;
  bool receiving_ ABSL_GUARDED_BY(mu_) = false;  // A core Receive is posted or waiting.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  v1::ReceiveResponse response_ ABSL_GUARDED_BY(mu_);
  // The messages of response_ by association, until written (Settle).
  std::map<uint64_t, size_t> unsettled_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerWriteReactor<v1::ReceiveResponse>* NewReceiveStream(
    core::Gateway& gateway, grpc::CallbackServerContext* context,
    const v1::ReceiveRequest& request, CallCount& calls) {
  return new ReceiveStream(gateway, context, request, calls);
}

}  // namespace sctpgw::rpc
