// Client's calls that do not block: AssociateAsync and ShutdownAsync, on
// gRPC's callback API. Each returns a tag at once; its outcome is an Item
// handed to the handler like an event (Deliver), so an application on its
// own loop gets it from Dispatch(), never inside the call that started it.
#include "sctpgw/client.h"

namespace sctpgw::client {

struct Client::AsyncCall {
  grpc::ClientContext context;
  Completion::Kind kind = Completion::Kind::kAssociate;
  uint64_t tag = 0;
  uint64_t association_id = 0;
  v1::AssociateRequest associate;
  v1::AssociateResponse associated;
  v1::ShutdownRequest shutdown;
  v1::ShutdownResponse shut_down;
};

bool Client::StartAsync(AsyncCall* call) {
  absl::MutexLock lock(&mu_);
  if (closing_) return false;
  async_calls_[call->tag] = &call->context;
  return true;
}

void Client::FinishAsync(AsyncCall* call, Completion completion) {
  // Handed on before the call is forgotten: the destructor waits for every
  // call it knows of, so the client outlives this.
  Item item;
  item.completion = std::move(completion);
  item.endpoint_id = call->associate.endpoint_id();  // 0 for a shutdown.
  Deliver(std::move(item));
  {
    absl::MutexLock lock(&mu_);
    async_calls_.erase(call->tag);
  }
  delete call;
}

void Client::CancelAsync() {
  absl::MutexLock lock(&mu_);
  closing_ = true;  // No new call starts.
  for (auto& [tag, context] : async_calls_) context->TryCancel();
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return async_calls_.empty(); };
  mu_.Await(absl::Condition(&none));
}

uint64_t Client::AssociateAsync(uint64_t endpoint_id, const AssociateOptions& options,
                                std::optional<Milliseconds> timeout) {
  auto* call = new AsyncCall;
  call->kind = Completion::Kind::kAssociate;
  call->tag = next_tag_++;
  call->associate = MakeAssociateRequest(options);
  call->associate.set_session_id(session_id_);
  call->associate.set_endpoint_id(endpoint_id);
  Prepare(&call->context, timeout);
  const uint64_t tag = call->tag;
  if (!StartAsync(call)) {
    delete call;
    return tag;
  }
  stub_->async()->Associate(&call->context, &call->associate, &call->associated,
                            [this, call](grpc::Status status) {
                              Completion done;
                              done.kind = Completion::Kind::kAssociate;
                              done.tag = call->tag;
                              done.status = FromGrpc(status);
                              if (status.ok()) {
                                done.association = call->associated.association();
                                done.association_id = done.association.association_id();
                              }
                              FinishAsync(call, std::move(done));
                            });
  return tag;
}

uint64_t Client::ShutdownAsync(uint64_t association_id, std::optional<Milliseconds> timeout) {
  auto* call = new AsyncCall;
  call->kind = Completion::Kind::kShutdown;
  call->tag = next_tag_++;
  call->association_id = association_id;
  call->shutdown.set_session_id(session_id_);
  call->shutdown.set_association_id(association_id);
  call->shutdown.set_mode(v1::SHUTDOWN_MODE_GRACEFUL);
  Prepare(&call->context, timeout);
  const uint64_t tag = call->tag;
  if (!StartAsync(call)) {
    delete call;
    return tag;
  }
  stub_->async()->Shutdown(&call->context, &call->shutdown, &call->shut_down,
                           [this, call](grpc::Status status) {
                             Completion done;
                             done.kind = Completion::Kind::kShutdown;
                             done.tag = call->tag;
                             done.association_id = call->association_id;
                             done.status = FromGrpc(status);
                             FinishAsync(call, std::move(done));
                           });
  return tag;
}

}  // namespace sctpgw::client
