// The two shapes of every unary handler, so that each handler only maps
// its request and response:
//
//   Answer(): the request is checked on the gRPC thread; the core answers
//   at once on its thread, and the call finishes from there.
//   Await(): the core starts an operation that waits (Associate, Send,
//   Receive, Shutdown) and finishes the call from its completion; when the
//   client cancels (or its deadline passes) the operation is cancelled.
//
// Both go to the core with RunOrPost(): when the core's thread is idle, the
// gRPC thread that read the request takes its turn and runs the operation,
// and an operation that completes at once (a Send the kernel takes, a
// Receive of queued messages) finishes the call from that same thread. One
// gRPC round trip, no hand-off to the core's thread and back.
//
// Neither blocks a thread: a busy core gets the operation posted. The
// core's completions never run inside the call that started them, so the
// operation's id is known before any cancellation, which is posted to the
// core's thread after the start.
#pragma once

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "server/core/gateway.h"
#include "server/rpc/call_count.h"
#include "server/rpc/convert.h"
#include "server/rpc/status.h"

namespace sctpgw::rpc {

class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  UnaryCall(core::Gateway& gateway, CallCount& calls)
      : hold_(calls), gateway_(gateway), operation_(std::make_shared<core::OperationId>(0)) {}

  void Finish(const absl::Status& status) { grpc::ServerUnaryReactor::Finish(ToGrpcStatus(status)); }

  // The operation the call waits on; read and written on the core's thread
  // only (shared so that a cancellation posted there outlives the call).
  const std::shared_ptr<core::OperationId>& operation() const { return operation_; }

  void OnCancel() override {
    gateway_.Post([gateway = &gateway_, operation = operation_] {
      if (*operation != 0) gateway->Cancel(*operation);
    });
  }
  // A Receive's `response` holds messages: once the call is done they are
  // settled with the core (Gateway::Settle), or, when the call failed
  // before its response went out (the client cancelled, its deadline
  // passed, the connection broke), returned to their queues for the next
  // receive (Gateway::ReturnUnwritten). Before Finish.
  void SettleWhenDone(grpc::CallbackServerContext* context, v1::ReceiveResponse* response) {
    context_ = context;
    receive_response_ = response;
  }

  void OnDone() override {
    if (receive_response_ != nullptr && receive_response_->messages_size() > 0) {
      if (context_->IsCancelled()) {
        std::vector<core::ReceivedMessage> unwritten;
        for (v1::InboundMessage& message : *receive_response_->mutable_messages()) {
          unwritten.push_back(FromProto(std::move(message)));
        }
        gateway_.RunOrPost([gateway = &gateway_, unwritten = std::move(unwritten)]() mutable {
          gateway->ReturnUnwritten(std::move(unwritten));
        });
      } else {
        std::map<uint64_t, size_t> written;
        for (const v1::InboundMessage& message : receive_response_->messages()) {
          ++written[message.association_id()];
        }
        gateway_.RunOrPost(
            [gateway = &gateway_, written = std::move(written)] { gateway->Settle(written); });
      }
    }
    delete this;
  }

 private:
  grpc::CallbackServerContext* context_ = nullptr;
  v1::ReceiveResponse* receive_response_ = nullptr;
  CallCount::Hold hold_;
  core::Gateway& gateway_;
  const std::shared_ptr<core::OperationId> operation_;
};

// `answer()` runs on the core's thread and returns the call's status
// (filling the response first when OK). A `checked` error finishes the call
// at once.
template <typename F>
grpc::ServerUnaryReactor* Answer(core::Gateway& gateway, CallCount& calls,
                                 const absl::Status& checked, F answer) {
  auto* call = new UnaryCall(gateway, calls);
  if (!checked.ok()) {
    call->Finish(checked);
    return call;
  }
  gateway.RunOrPost([call, answer = std::move(answer)]() mutable { call->Finish(answer()); });
  return call;
}

// `start(call)` runs on the core's thread, starts a core operation whose
// completion finishes `call`, and returns the operation's id.
template <typename F>
grpc::ServerUnaryReactor* Await(core::Gateway& gateway, CallCount& calls,
                                const absl::Status& checked, F start) {
  auto* call = new UnaryCall(gateway, calls);
  if (!checked.ok()) {
    call->Finish(checked);
    return call;
  }
  gateway.RunOrPost([call, operation = call->operation(), start = std::move(start)]() mutable {
    *operation = start(call);
  });
  return call;
}

}  // namespace sctpgw::rpc
