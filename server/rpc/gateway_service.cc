#include "server/rpc/gateway_service.h"

#include <algorithm>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/core/errors.h"
#include "server/rpc/convert.h"
#include "server/rpc/status.h"
#include "server/rpc/unix_listener.h"

namespace sctpgw::rpc {
namespace {

using core::Error;
using core::Reason;

// A unary call that waits on a core operation: finished from the core's
// thread; cancellation by the client (or its deadline) cancels the operation.
class WaitingCall final : public grpc::ServerUnaryReactor {
 public:
  struct State {
    std::mutex mu;
    core::OperationId op = 0;
    bool cancelled = false;
  };

  WaitingCall(core::Gateway& gateway, CallCount& calls)
      : hold_(calls), gateway_(gateway), state_(std::make_shared<State>()) {}

  std::shared_ptr<State> state() const { return state_; }

  // On the core's thread, after the operation started (it may already have
  // finished the call: this touches only the shared state).
  static void Started(core::Gateway& gateway, const std::shared_ptr<State>& state,
                      core::OperationId id) {
    bool cancel_now;
    {
      std::lock_guard<std::mutex> lock(state->mu);
      state->op = id;
      cancel_now = state->cancelled;
    }
    if (cancel_now && id != 0) gateway.Cancel(id);
  }

  void OnCancel() override {
    core::OperationId id;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->cancelled = true;
      id = state_->op;
    }
    if (id != 0) {
      core::Gateway* gateway = &gateway_;
      gateway_.Post([gateway, id] { gateway->Cancel(id); });
    }
  }

  void OnDone() override { delete this; }

 private:
  CallCount::Hold hold_;
  core::Gateway& gateway_;
  std::shared_ptr<State> state_;
};

// A unary call the core answers at once.
class QuickCall final : public grpc::ServerUnaryReactor {
 public:
  explicit QuickCall(CallCount& calls) : hold_(calls) {}
  void OnDone() override { delete this; }

 private:
  CallCount::Hold hold_;
};

// WatchEvents: one write outstanding; woken by the event log on every new
// event and by the once-a-second tick for progress messages.
class EventWatcher final : public grpc::ServerWriteReactor<v1::WatchEventsResponse> {
 public:
  EventWatcher(core::Gateway& gateway, const v1::WatchEventsRequest& request, std::string session,
               CallCount& calls)
      : hold_(calls), gateway_(gateway), log_(gateway.events()), session_(std::move(session)) {
    endpoint_id_ = request.endpoint_id();
    uint32_t interval_ms = request.progress_interval_ms();
    if (interval_ms == 0) interval_ms = 10000;
    if (interval_ms < 1000 || interval_ms > 3600000) {
      finished_ = true;
      Finish(ToGrpcStatus(Error(Reason::kInvalidArgument,
                                absl::StrCat("progress_interval_ms ", interval_ms,
                                             " is outside 1000..3600000"),
                                {{"field", "progress_interval_ms"}})));
      return;
    }
    progress_interval_ = std::chrono::milliseconds(interval_ms);
    // The session is checked (and kept alive by this stream) on the core's
    // thread; the stream starts from there. Until then OnCancel only records
    // the cancellation, so that this reactor outlives the posted task.
    gateway_.Post([this, request] {
      absl::Status status = gateway_.WatchStarted(session_);
      Start(request, status);
    });
  }

  void Start(const v1::WatchEventsRequest& request, const absl::Status& session) {
    if (session.ok()) {
      registered_ = true;
      // Subscribe before reading so that no event slips between the two (and
      // not under mu_: the log calls Wake() with its subscriber lock held).
      subscription_ = log_.Subscribe([this] { Wake(); });
      subscribed_ = true;
    }
    std::lock_guard<std::mutex> lock(mu_);
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

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) {
      // The client is gone; OnCancel or OnDone follows.
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "event stream write failed"));
      return;
    }
    NextLocked();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    if (started_) FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (subscribed_) log_.Unsubscribe(subscription_);
    if (registered_) {
      core::Gateway* gateway = &gateway_;
      gateway_.Post([gateway, session = session_] { gateway->WatchEnded(session); });
    }
    delete this;
  }

 private:
  void Wake() {
    std::lock_guard<std::mutex> lock(mu_);
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

  void FinishTooSlowLocked() {
    FinishLocked(ToGrpcStatus(Error(
        Reason::kSubscriberTooSlow,
        absl::StrCat("the event stream fell behind the ", log_.last_sequence() - after_,
                     " events kept; resume from a fresh state"),
        {{"last_delivered_sequence", absl::StrCat(after_)}})));
  }

  void StartWriteLocked() {
    writing_ = true;
    last_write_ = std::chrono::steady_clock::now();
    StartWrite(&response_);
  }

  void FinishLocked(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  // Writes the next batch of events, or a progress message when due.
  void NextLocked() {
    if (finished_ || writing_) return;
    constexpr size_t kBatch = 256;
    constexpr size_t kMaxResponseBytes = 1024 * 1024;
    std::vector<core::EventPtr> events;
    absl::Status status = log_.Read(after_, kBatch, &events);
    if (!status.ok()) {
      FinishTooSlowLocked();  // The subscriber fell behind the kept history.
      return;
    }
    if (log_.SessionEnded(session_)) {
      FinishLocked(ToGrpcStatus(Error(Reason::kSessionNotFound, "the session has ended")));
      return;
    }
    if (events.empty() && log_.closed()) {
      // Everything was sent and the service is stopping.
      FinishLocked(ToGrpcStatus(Error(Reason::kShuttingDown, "sctpgw is stopping")));
      return;
    }
    response_.Clear();
    size_t bytes = 0;
    for (const core::EventPtr& event : events) {
      // A response stays well below gRPC's default 4 MiB receive limit even
      // when SEND_FAILED events carry whole messages: the rest wait for the
      // next write.
      if (bytes >= kMaxResponseBytes) break;
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
    if (std::chrono::steady_clock::now() - last_write_ >= progress_interval_) {
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
  bool registered_ = false;  // Counted as a watcher of the session.
  uint64_t endpoint_id_ = 0;
  std::chrono::milliseconds progress_interval_{10000};
  core::EventLog::SubscriberId subscription_ = 0;
  bool subscribed_ = false;

  std::mutex mu_;
  uint64_t after_ = 0;
  bool started_ = false;
  bool cancelled_ = false;
  bool writing_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point last_write_;
  v1::WatchEventsResponse response_;
};

// Fills one page of `items` (sorted by id) after id `after`: adds up to
// `size` of them with `add`, and sets the next page token when more remain.
template <typename Item, typename Response, typename IdOf, typename Add>
void FillPage(const std::vector<Item>& items, uint64_t after, int size, Response* response,
              IdOf id_of, Add add) {
  int count = 0;
  uint64_t last = after;
  for (const Item& item : items) {
    if (id_of(item) <= after) continue;
    if (count == size) {
      response->set_next_page_token(absl::StrCat(last));
      return;
    }
    add(item);
    last = id_of(item);
    ++count;
  }
}

}  // namespace

void CallCount::Add(int delta) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_ += delta;
  if (calls_ == 0) none_.notify_all();
}

bool CallCount::WaitForNone(std::chrono::system_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return none_.wait_until(lock, deadline, [this] { return calls_ == 0; });
}

GatewayServiceImpl::GatewayServiceImpl(core::Gateway& gateway) : gateway_(gateway) {}
GatewayServiceImpl::~GatewayServiceImpl() = default;

void GatewayServiceImpl::Tick() {
  gateway_.events().WakeAll();
  send_streams_.Tick();
}

std::string PeerIdentity(const grpc::ServerContextBase* context) {
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    // A unix client accepted by UnixListener: its uid.
    std::optional<uid_t> uid = UnixListener::PeerUid(context->peer());
    return uid.has_value() ? absl::StrCat("uid:", *uid) : "";
  }
  std::string identity;
  for (const grpc::string_ref& value : auth->GetPeerIdentity()) {
    if (!identity.empty()) identity += ",";
    identity.append(value.data(), value.size());
  }
  return identity;
}

std::string Key(const grpc::ServerContextBase* context, const std::string& id) {
  return core::SessionKey(id, PeerIdentity(context));
}

grpc::ServerUnaryReactor* GatewayServiceImpl::OpenSession(grpc::CallbackServerContext* context,
                                                          const v1::OpenSessionRequest* request,
                                                          v1::OpenSessionResponse* response) {
  (void)context;
  auto* call = new QuickCall(calls_);
  if (request->client_name().size() > 64) {
    call->Finish(ToGrpcStatus(Error(Reason::kInvalidArgument,
                                    "client_name is longer than 64 bytes",
                                    {{"field", "client_name"}})));
    return call;
  }
  gateway_.Post([this, call, response, lease = request->requested_lease_ms(),
                 name = request->client_name(), owner = PeerIdentity(context)] {
    auto session = gateway_.OpenSession(std::chrono::milliseconds(lease), name, owner);
    if (session.ok()) {
      response->set_session_id(session->id);
      response->set_lease_ms(static_cast<uint32_t>(session->lease.count()));
    }
    call->Finish(ToGrpcStatus(session.status()));
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::CloseSession(grpc::CallbackServerContext* context,
                                                           const v1::CloseSessionRequest* request,
                                                           v1::CloseSessionResponse* response) {
  (void)context;
  (void)response;
  auto* call = new QuickCall(calls_);
  gateway_.Post([this, call, session = Key(context, request->session_id())] {
    call->Finish(ToGrpcStatus(gateway_.CloseSession(session)));
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::OpenEndpoint(grpc::CallbackServerContext* context,
                                                           const v1::OpenEndpointRequest* request,
                                                           v1::OpenEndpointResponse* response) {
  (void)context;
  auto* call = new QuickCall(calls_);
  auto spec = ToEndpointSpec(*request);
  if (!spec.ok()) {
    call->Finish(ToGrpcStatus(spec.status()));
    return call;
  }
  gateway_.Post([this, call, session = Key(context, request->session_id()), spec = std::move(*spec), response] {
    auto endpoint = gateway_.OpenEndpoint(session, spec);
    if (endpoint.ok()) ToProto(*endpoint, response->mutable_endpoint());
    call->Finish(ToGrpcStatus(endpoint.status()));
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::CloseEndpoint(grpc::CallbackServerContext* context,
                                                            const v1::CloseEndpointRequest* request,
                                                            v1::CloseEndpointResponse* response) {
  (void)context;
  (void)response;
  auto* call = new QuickCall(calls_);
  gateway_.Post([this, call, session = Key(context, request->session_id()), id = request->endpoint_id(),
                 abort = request->abort()] {
    call->Finish(ToGrpcStatus(gateway_.CloseEndpoint(session, id, abort)));
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::UpdateEndpointAddresses(
    grpc::CallbackServerContext* context, const v1::UpdateEndpointAddressesRequest* request,
    v1::UpdateEndpointAddressesResponse* response) {
  (void)context;
  auto* call = new QuickCall(calls_);
  auto add = ToAddresses(request->add_addresses(), "add_addresses");
  auto remove = ToAddresses(request->remove_addresses(), "remove_addresses");
  if (!add.ok() || !remove.ok()) {
    call->Finish(ToGrpcStatus(!add.ok() ? add.status() : remove.status()));
    return call;
  }
  gateway_.Post([this, call, response, session = Key(context, request->session_id()), id = request->endpoint_id(),
                 add = std::move(*add), remove = std::move(*remove)]() mutable {
    auto endpoint = gateway_.ChangeEndpointAddresses(session, id, std::move(add), std::move(remove));
    if (endpoint.ok()) ToProto(*endpoint, response->mutable_endpoint());
    call->Finish(ToGrpcStatus(endpoint.status()));
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::ListEndpoints(grpc::CallbackServerContext* context,
                                                            const v1::ListEndpointsRequest* request,
                                                            v1::ListEndpointsResponse* response) {
  (void)context;
  auto* call = new QuickCall(calls_);
  auto after = ParsePageToken(request->page_token());
  auto size = PageSize(request->page_size());
  if (!after.ok() || !size.ok()) {
    call->Finish(ToGrpcStatus(!after.ok() ? after.status() : size.status()));
    return call;
  }
  gateway_.Post([this, call, response, session = Key(context, request->session_id()), after = *after,
                 size = *size] {
    auto endpoints = gateway_.ListEndpoints(session);
    if (!endpoints.ok()) {
      call->Finish(ToGrpcStatus(endpoints.status()));
      return;
    }
    FillPage(
        *endpoints, after, size, response, [](const core::EndpointInfo& e) { return e.id; },
        [response](const core::EndpointInfo& e) { ToProto(e, response->add_endpoints()); });
    call->Finish(grpc::Status::OK);
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::Associate(grpc::CallbackServerContext* context,
                                                        const v1::AssociateRequest* request,
                                                        v1::AssociateResponse* response) {
  auto* call = new WaitingCall(gateway_, calls_);
  auto spec = ToAssociateSpec(*request);
  if (!spec.ok()) {
    call->Finish(ToGrpcStatus(spec.status()));
    return call;
  }
  core::Deadline deadline = ToDeadline(context->deadline());
  gateway_.Post([this, call, state = call->state(), session = Key(context, request->session_id()),
                 spec = std::move(*spec), deadline, response] {
    core::OperationId id = gateway_.Associate(
        session, spec, deadline, [call, response](absl::StatusOr<core::AssociationInfo> result) {
          if (result.ok()) ToProto(*result, response->mutable_association());
          call->Finish(ToGrpcStatus(result.status()));
        });
    WaitingCall::Started(gateway_, state, id);
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::Send(grpc::CallbackServerContext* context,
                                                   const v1::SendRequest* request,
                                                   v1::SendResponse* response) {
  auto* call = new WaitingCall(gateway_, calls_);
  // The request lives until the call finishes; its payloads are moved, not
  // copied, on their way to the kernel.
  auto messages = ToOutboundMessages(const_cast<v1::SendRequest*>(request));
  if (!messages.ok()) {
    call->Finish(ToGrpcStatus(messages.status()));
    return call;
  }
  core::Deadline deadline = ToDeadline(context->deadline());
  gateway_.Post([this, call, state = call->state(), session = Key(context, request->session_id()),
                 id = request->association_id(), messages = std::move(*messages), deadline,
                 response]() mutable {
    core::OperationId op = gateway_.Send(
        session, id, std::move(messages), deadline, [call, response](absl::StatusOr<size_t> result) {
          if (result.ok()) response->set_accepted_messages(static_cast<uint32_t>(*result));
          call->Finish(ToGrpcStatus(result.status()));
        });
    WaitingCall::Started(gateway_, state, op);
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::Receive(grpc::CallbackServerContext* context,
                                                      const v1::ReceiveRequest* request,
                                                      v1::ReceiveResponse* response) {
  auto* call = new WaitingCall(gateway_, calls_);
  auto spec = ToReceiveSpec(*request);
  if (!spec.ok()) {
    call->Finish(ToGrpcStatus(spec.status()));
    return call;
  }
  core::Deadline deadline = ToDeadline(context->deadline());
  gateway_.Post([this, call, state = call->state(), session = Key(context, request->session_id()), spec = *spec,
                 deadline, response] {
    core::OperationId op = gateway_.Receive(
        session, spec, deadline,
        [call, response](absl::StatusOr<std::vector<core::ReceivedMessage>> result) {
          if (result.ok()) {
            for (core::ReceivedMessage& message : *result) {
              ToProto(std::move(message), response->add_messages());
            }
          }
          call->Finish(ToGrpcStatus(result.status()));
        });
    WaitingCall::Started(gateway_, state, op);
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::Shutdown(grpc::CallbackServerContext* context,
                                                       const v1::ShutdownRequest* request,
                                                       v1::ShutdownResponse* response) {
  (void)response;
  auto* call = new WaitingCall(gateway_, calls_);
  if (request->mode() != v1::SHUTDOWN_MODE_GRACEFUL && request->mode() != v1::SHUTDOWN_MODE_ABORT) {
    call->Finish(ToGrpcStatus(Error(Reason::kInvalidArgument,
                                    "mode must be SHUTDOWN_MODE_GRACEFUL or SHUTDOWN_MODE_ABORT",
                                    {{"field", "mode"}})));
    return call;
  }
  if (request->abort_reason().size() > kMaxAbortReasonBytes) {
    call->Finish(ToGrpcStatus(Error(Reason::kInvalidArgument,
                                    absl::StrCat("abort_reason has ", request->abort_reason().size(),
                                                 " bytes; at most ", kMaxAbortReasonBytes),
                                    {{"field", "abort_reason"}})));
    return call;
  }
  core::Deadline deadline = ToDeadline(context->deadline());
  gateway_.Post([this, call, state = call->state(), session = Key(context, request->session_id()),
                 id = request->association_id(), abort = request->mode() == v1::SHUTDOWN_MODE_ABORT,
                 reason = request->abort_reason(), deadline] {
    core::OperationId op = gateway_.Shutdown(session, id, abort, reason, deadline,
                                             [call](absl::StatusOr<bool> result) {
                                               call->Finish(ToGrpcStatus(result.status()));
                                             });
    WaitingCall::Started(gateway_, state, op);
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::ListAssociations(
    grpc::CallbackServerContext* context, const v1::ListAssociationsRequest* request,
    v1::ListAssociationsResponse* response) {
  (void)context;
  auto* call = new QuickCall(calls_);
  auto after = ParsePageToken(request->page_token());
  auto size = PageSize(request->page_size());
  if (!after.ok() || !size.ok()) {
    call->Finish(ToGrpcStatus(!after.ok() ? after.status() : size.status()));
    return call;
  }
  gateway_.Post([this, call, response, session = Key(context, request->session_id()),
                 endpoint = request->endpoint_id(), after = *after, size = *size] {
    auto associations = gateway_.ListAssociations(session, endpoint);
    if (!associations.ok()) {
      call->Finish(ToGrpcStatus(associations.status()));
      return;
    }
    FillPage(
        *associations, after, size, response,
        [](const core::AssociationInfo& a) { return a.id; },
        [response](const core::AssociationInfo& a) { ToProto(a, response->add_associations()); });
    call->Finish(grpc::Status::OK);
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::GetAssociation(
    grpc::CallbackServerContext* context, const v1::GetAssociationRequest* request,
    v1::GetAssociationResponse* response) {
  (void)context;
  auto* call = new QuickCall(calls_);
  gateway_.Post([this, call, response, session = Key(context, request->session_id()),
                 id = request->association_id()] {
    auto association = gateway_.GetAssociation(session, id);
    if (!association.ok()) {
      call->Finish(ToGrpcStatus(association.status()));
      return;
    }
    ToProto(*association, response->mutable_association());
    if (association->state == core::AssociationState::kEstablished ||
        association->state == core::AssociationState::kShuttingDown) {
      auto detail = gateway_.GetAssociationDetail(session, id);
      if (detail.ok()) {
        ToProto(detail->status, response->mutable_status());
        for (const net::PathInfo& path : detail->paths) ToProto(path, response->add_paths());
        ToProto(detail->parameters, response->mutable_path_parameters());
        // Refreshed by the detail: addresses can change during the association.
        response->mutable_association()->clear_local_addresses();
        response->mutable_association()->clear_peer_addresses();
        core::AssociationInfo fresh = *association;
        fresh.local_addresses = detail->local_addresses;
        fresh.peer_addresses.clear();
        for (const net::PathInfo& path : detail->paths) fresh.peer_addresses.push_back(path.address);
        ToProto(fresh, response->mutable_association());
      }
    }
    call->Finish(grpc::Status::OK);
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::SetPrimaryPath(
    grpc::CallbackServerContext* context, const v1::SetPrimaryPathRequest* request,
    v1::SetPrimaryPathResponse* response) {
  (void)context;
  (void)response;
  auto* call = new QuickCall(calls_);
  auto peer = net::SocketAddress::Parse(request->peer_address(), 0);
  if (!peer.ok()) {
    call->Finish(ToGrpcStatus(Error(Reason::kInvalidAddress,
                                    "peer_address is not a numeric IPv4 or IPv6 address",
                                    {{"field", "peer_address"}})));
    return call;
  }
  gateway_.Post([this, call, session = Key(context, request->session_id()), id = request->association_id(),
                 peer = *peer] {
    call->Finish(ToGrpcStatus(gateway_.SetPrimaryPath(session, id, peer)));
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::RequestPeerPrimaryPath(
    grpc::CallbackServerContext* context, const v1::RequestPeerPrimaryPathRequest* request,
    v1::RequestPeerPrimaryPathResponse* response) {
  (void)context;
  (void)response;
  auto* call = new QuickCall(calls_);
  auto local = net::SocketAddress::Parse(request->local_address(), 0);
  if (!local.ok()) {
    call->Finish(ToGrpcStatus(Error(Reason::kInvalidAddress,
                                    "local_address is not a numeric IPv4 or IPv6 address",
                                    {{"field", "local_address"}})));
    return call;
  }
  gateway_.Post([this, call, session = Key(context, request->session_id()), id = request->association_id(),
                 local = *local] {
    call->Finish(ToGrpcStatus(gateway_.RequestPeerPrimaryPath(session, id, local)));
  });
  return call;
}

grpc::ServerUnaryReactor* GatewayServiceImpl::ConfigurePaths(
    grpc::CallbackServerContext* context, const v1::ConfigurePathsRequest* request,
    v1::ConfigurePathsResponse* response) {
  (void)context;
  auto* call = new QuickCall(calls_);
  auto parameters = ToPathParameters(request->parameters(), "parameters");
  std::optional<net::SocketAddress> peer;
  absl::Status status = parameters.status();
  if (status.ok() && !request->peer_address().empty()) {
    auto parsed = net::SocketAddress::Parse(request->peer_address(), 0);
    if (parsed.ok()) {
      peer = *parsed;
      status = CheckPerPathParameters(request->parameters(), "parameters");
    } else {
      status = Error(Reason::kInvalidAddress, "peer_address is not a numeric IPv4 or IPv6 address",
                     {{"field", "peer_address"}});
    }
  }
  if (!status.ok()) {
    call->Finish(ToGrpcStatus(status));
    return call;
  }
  gateway_.Post([this, call, response, session = Key(context, request->session_id()),
                 id = request->association_id(), parameters = *parameters, peer] {
    auto now = gateway_.ConfigurePaths(session, id, parameters, peer);
    if (now.ok()) {
      ToProto(now->parameters, response->mutable_parameters());
      if (now->path.has_value()) ToProto(*now->path, response->mutable_path());
    }
    call->Finish(ToGrpcStatus(now.status()));
  });
  return call;
}

grpc::ServerWriteReactor<v1::WatchEventsResponse>* GatewayServiceImpl::WatchEvents(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) {
  (void)context;
  return new EventWatcher(gateway_, *request, Key(context, request->session_id()), calls_);
}

}  // namespace sctpgw::rpc
