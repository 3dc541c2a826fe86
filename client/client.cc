#include "sctpgw/client.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/net/unique_fd.h"

namespace sctpgw::client {
namespace {


// Reconnect backoff of the event stream and the receive pump.
constexpr Milliseconds kFirstBackoff{100};
constexpr Milliseconds kMaxBackoff{5000};
// Retries of a call refused with HANDED_OVER, within its deadline.
constexpr Milliseconds kFirstHandoverRetry{20};
constexpr Milliseconds kMaxHandoverRetry{200};
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           std::shared_ptr<grpc::ChannelCredentials> credentials,
                                           Milliseconds keepalive_time,
                                           Milliseconds keepalive_timeout) {
  grpc::ChannelArguments args;
  // Keepalive, in this one place: matches the service's ping policy.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(keepalive_time.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(keepalive_timeout.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_HTTP2_MAX_FRAME_SIZE, 1 << 20);  // As the service: fewer frames.
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  if (credentials == nullptr) credentials = grpc::InsecureChannelCredentials();
  return grpc::CreateCustomChannel(target, credentials, args);
}

Milliseconds NextBackoff(Milliseconds backoff) { return std::min(backoff * 2, kMaxBackoff); }

}  // namespace


absl::Status CheckHealth(const std::string& target, Milliseconds timeout, bool wait,
                         std::shared_ptr<grpc::ChannelCredentials> credentials) {
  auto channel = MakeChannel(target, std::move(credentials), Milliseconds(10000),
                             Milliseconds(5000));
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  context.set_wait_for_ready(wait);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(absl::StrCat("sctpgw at ", target, " did not answer in time"));
  }
  if (!status.ok()) return FromGrpc(status);
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::FailedPreconditionError(
        absl::StrCat("sctpgw at ", target, " is ",
                     grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::GetServiceStatusResponse> GetServiceStatus(
    const std::string& target, Milliseconds timeout,
    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  auto channel = MakeChannel(target, std::move(credentials), Milliseconds(10000),
                             Milliseconds(5000));
  auto stub = v1::GatewayService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  v1::GetServiceStatusResponse response;
  grpc::Status status = stub->GetServiceStatus(&context, {}, &response);
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(absl::StrCat("sctpgw at ", target, " did not answer in time"));
  }
  if (!status.ok()) return FromGrpc(status);
  return response;
}

// event_fd()'s eventfd. The public header only names this type: it
// includes nothing from server/, while the library's own sources may use
// the server's header-only net::UniqueFd (see client/CMakeLists.txt).
struct Client::EventFd {
  net::UniqueFd fd;
};

Client::Client(ClientOptions options, EventHandler* handler)
    : options_(std::move(options)), handler_(handler) {}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(ClientOptions options,
                                                        EventHandler* handler) {
  std::unique_ptr<Client> client(new Client(std::move(options), handler));
  absl::Status status = client->Open();
  if (!status.ok()) return status;
  return client;
}

bool IsHandedOver(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable && ErrorReason(status) == "HANDED_OVER";
}

void Client::Prepare(grpc::ClientContext* context, std::optional<Milliseconds> timeout) const {
  context->set_deadline(std::chrono::system_clock::now() +
                        timeout.value_or(options_.call_timeout));
}

absl::Status Client::Open() {
  event_fd_ = std::make_unique<EventFd>();
  event_fd_->fd.Reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event_fd_->fd.valid()) return absl::InternalError("eventfd failed");
  channel_ = MakeChannel(options_.target, options_.credentials, options_.keepalive_time,
                         options_.keepalive_timeout);
  stub_ = v1::GatewayService::NewStub(channel_);
  if (options_.session_id.empty()) {
    grpc::ClientContext context;
    Prepare(&context, {});
    v1::OpenSessionRequest request;
    request.set_client_name(options_.client_name);
    request.set_requested_lease_ms(static_cast<uint32_t>(options_.lease.count()));
    request.set_liveness(options_.liveness == SessionLiveness::kApplication
                             ? v1::SESSION_LIVENESS_APPLICATION
                             : v1::SESSION_LIVENESS_CONNECTION);
    v1::OpenSessionResponse response;
    absl::Status status = FromGrpc(stub_->OpenSession(&context, request, &response));
    if (!status.ok()) return status;
    session_id_ = response.session_id();
    lease_ = Milliseconds(response.lease_ms());
  } else {
    session_id_ = options_.session_id;
    last_sequence_ = options_.resume_after_sequence;
  }
  if (!options_.session_id.empty() && options_.liveness == SessionLiveness::kApplication) {
    // Learns the lease to renew within (and renews it: the application is
    // here).
    grpc::ClientContext context;
    Prepare(&context, {});
    v1::RenewLeaseRequest request;
    request.set_session_id(session_id_);
    request.set_handled_sequence(options_.resume_after_sequence);
    v1::RenewLeaseResponse response;
    absl::Status status = FromGrpc(stub_->RenewLease(&context, request, &response));
    if (!status.ok()) return status;
    lease_ = Milliseconds(response.lease_ms());
  }
  last_renewal_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
  if (!options_.watch_events) return absl::OkStatus();
  if (options_.liveness == SessionLiveness::kApplication) {
    renewer_ = std::thread([this] { RenewalLoop(); });
  }
  auto started = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> acknowledged = started->get_future();
  watcher_ = std::thread([this, started] { WatchLoop(started); });
  if (acknowledged.wait_for(options_.call_timeout) != std::future_status::ready) {
    return absl::DeadlineExceededError("the event stream was not acknowledged in time");
  }
  return acknowledged.get();
}

Client::~Client() {
  StopReceiving();
  CancelAsync();
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    if (watch_context_ != nullptr) watch_context_->TryCancel();
  }
  if (watcher_.joinable()) watcher_.join();
  if (renewer_.joinable()) renewer_.join();
  if (options_.close_session_on_destroy && !session_id_.empty() && stub_ != nullptr) {
    grpc::ClientContext context;
    Prepare(&context, {});
    v1::CloseSessionRequest request;
    request.set_session_id(session_id_);
    v1::CloseSessionResponse response;
    (void)stub_->CloseSession(&context, request, &response);
  }
}

bool Client::Backoff(Milliseconds delay) {
  absl::MutexLock lock(&mu_);
  auto closing = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closing_; };
  return !mu_.AwaitWithTimeout(absl::Condition(&closing), absl::FromChrono(delay));
}

void Client::WatchLoop(std::shared_ptr<std::promise<absl::Status>> started) {
  bool first = true;
  bool fresh_session = options_.session_id.empty();
  Milliseconds backoff = kFirstBackoff;
  auto report_start = [&](absl::Status status) {
    if (started != nullptr) started->set_value(std::move(status));
    started = nullptr;
  };
  while (true) {
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mu_);
      if (closing_) break;
      watch_context_ = &context;
    }
    // Reconnecting waits for the service to come back rather than failing.
    context.set_wait_for_ready(!first);
    v1::WatchEventsRequest request;
    request.set_session_id(session_id_);
    if (first && fresh_session) {
      request.set_only_new(true);
    } else {
      request.set_after_sequence(last_sequence_.load());
    }
    auto reader = stub_->WatchEvents(&context, request);
    v1::WatchEventsResponse response;
    while (reader->Read(&response)) {
      if (response.has_ack()) {
        backoff = kFirstBackoff;
        if (first && fresh_session) last_sequence_ = response.ack().after_sequence();
        report_start(absl::OkStatus());
        Deliver(StreamStatusItem(absl::OkStatus()));
      }
      for (v1::Event& event : *response.mutable_events()->mutable_events()) {
        last_sequence_ = event.sequence();
        Deliver(EventItem(std::move(event)));
      }
    }
    absl::Status status = FromGrpc(reader->Finish());
    {
      absl::MutexLock lock(&mu_);
      watch_context_ = nullptr;
      if (closing_) break;
    }
    if (started != nullptr) {  // Never acknowledged: Connect() fails with this.
      report_start(status.ok() ? absl::UnavailableError("the event stream ended") : status);
      return;
    }
    first = false;
    if (status.code() == absl::StatusCode::kNotFound) {
      Deliver(StreamStatusItem(status));  // The session is gone: nothing to resume.
      return;
    }
    if (status.code() == absl::StatusCode::kOutOfRange) {
      // Events were lost to the history limit: say so, go on from the oldest.
      auto metadata = ErrorMetadata(status);
      auto kept = metadata.find("first_kept_sequence");
      uint64_t first_kept = kept == metadata.end() ? 0 : std::stoull(kept->second);
      last_sequence_ = first_kept > 0 ? first_kept - 1 : 0;
      Deliver(StreamStatusItem(status));
      continue;
    }
    Deliver(StreamStatusItem(absl::UnavailableError(
        absl::StrCat("event stream interrupted (", status.message(), "); reconnecting"))));
    if (!Backoff(backoff)) break;
    backoff = NextBackoff(backoff);
  }
  report_start(absl::CancelledError("the client is closing"));
}

Client::Item Client::EventItem(v1::Event event) {
  Item item;
  item.endpoint_id = event.endpoint_id();
  item.event = std::move(event);
  return item;
}

Client::Item Client::StreamStatusItem(absl::Status status) {
  Item item;
  item.stream_status = std::move(status);
  return item;
}

void Client::StartReceiving(uint64_t endpoint_id, uint64_t association_id) {
  absl::MutexLock lock(&mu_);
  if (closing_) return;
  const ReceiverKey key{endpoint_id, association_id};
  if (receivers_.count(key) != 0) return;
  auto receiver = std::make_unique<Receiver>();
  receiver->thread = std::thread([this, key] { ReceiveLoop(key); });
  receivers_.emplace(key, std::move(receiver));
}

void Client::StopReceiving(uint64_t endpoint_id, uint64_t association_id) {
  const ReceiverKey wanted{endpoint_id, association_id};
  StopReceivers([&wanted](const ReceiverKey& key) { return key == wanted; });
}

void Client::StopReceiving() {
  StopReceivers([](const ReceiverKey&) { return true; });
}

void Client::StopReceivers(const std::function<bool(const ReceiverKey&)>& which) {
  std::vector<std::unique_ptr<Receiver>> stopped;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = receivers_.begin(); it != receivers_.end();) {
      if (!which(it->first)) {
        ++it;
        continue;
      }
      it->second->running = false;
      if (it->second->context != nullptr) it->second->context->TryCancel();
      stopped.push_back(std::move(it->second));
      it = receivers_.erase(it);
    }
    stopping_ += stopped.size();
  }
  for (auto& receiver : stopped) {
    if (receiver->thread.joinable()) receiver->thread.join();
  }
  absl::MutexLock lock(&mu_);
  stopping_ -= stopped.size();
}

void Client::ReceiveLoop(ReceiverKey key) {
  const auto [endpoint_id, association_id] = key;
  // The receiver's state: it stays in receivers_ while running, and its
  // thread is joined by whoever removed it.
  auto running = [this, key]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = receivers_.find(key);
    return !closing_ && it != receivers_.end() && it->second->running;
  };
  Milliseconds backoff = kFirstBackoff;
  bool retried = false;
  bool handing_over = false;
  while (true) {
    std::unique_ptr<ReceiveStream> stream;
    {
      absl::MutexLock lock(&mu_);
      if (!running()) return;
      // After a failure the next stream waits for the service to answer
      // again (a restart, a handover) instead of failing at once.
      stream = OpenReceiveStream(association_id, endpoint_id, 0, {},
                                 /*wait_for_ready=*/retried);
      receivers_[key]->context = &stream->context_;
    }
    absl::StatusOr<std::vector<v1::InboundMessage>> messages;
    while ((messages = stream->Read()).ok()) {
      backoff = kFirstBackoff;
      for (v1::InboundMessage& message : *messages) {
        Item item;
        item.message = std::move(message);
        item.endpoint_id = endpoint_id;
        Deliver(std::move(item));
      }
    }
    absl::StatusCode code = messages.status().code();
    {
      absl::MutexLock lock(&mu_);
      if (!running()) return;  // StopReceiving() or the Client ends.
      receivers_[key]->context = nullptr;
    }
    // CANCELLED here is the service's doing (this client's own cancels
    // were ruled out above): a service stopping or handing over.
    bool transient = code == absl::StatusCode::kUnavailable ||
                     code == absl::StatusCode::kCancelled ||
                     code == absl::StatusCode::kDeadlineExceeded ||
                     code == absl::StatusCode::kResourceExhausted ||
                     code == absl::StatusCode::kAborted || code == absl::StatusCode::kInternal ||
                     code == absl::StatusCode::kUnknown;
    if (!transient) {
      // The association ended, the endpoint is gone, or the request cannot
      // succeed: say so instead of retrying for ever.
      Item item;
      item.receiving_stopped = messages.status();
      item.endpoint_id = endpoint_id;
      Deliver(std::move(item));
      return;
    }
    retried = true;
    // A handover is brief: the new process answers within moments, and
    // retries meanwhile do not grow the backoff. A CANCELLED right after
    // HANDED_OVER is the old process closing its connections.
    handing_over = IsHandedOver(messages.status()) ||
                   (handing_over && code == absl::StatusCode::kCancelled);
    const Milliseconds delay = handing_over ? kFirstHandoverRetry : backoff;
    if (!handing_over) backoff = NextBackoff(backoff);
    absl::MutexLock lock(&mu_);
    auto stop = [&running]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !running(); };
    if (mu_.AwaitWithTimeout(absl::Condition(&stop), absl::FromChrono(delay))) return;
  }
}

void Client::SetEndpointHandler(uint64_t endpoint_id, EventHandler* handler) {
  absl::MutexLock lock(&mu_);
  if (handler == nullptr) {
    endpoint_handlers_.erase(endpoint_id);
  } else {
    endpoint_handlers_[endpoint_id] = handler;
  }
}

EventHandler* Client::HandlerFor(uint64_t endpoint_id) {
  absl::MutexLock lock(&mu_);
  auto it = endpoint_handlers_.find(endpoint_id);
  return it != endpoint_handlers_.end() ? it->second : handler_;
}

void Client::Deliver(Item item) {
  if (item.event.has_value()) item.endpoint_id = item.event->endpoint_id();
  if (options_.delivery == EventDelivery::kLibraryThread) {
    absl::MutexLock lock(&handler_mu_);
    Handle(item);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (options_.max_dispatch_queue > 0 && !item.completion.has_value()) {
      // Full: this thread (the event stream's, or the receiver's) waits,
      // and so stops reading its stream, until Dispatch() makes room. A
      // receiver being stopped, or the client closing, does not wait: what
      // it holds was already taken from sctpgw and is kept.
      const bool message = item.message.has_value();
      auto room = [this, message]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return closing_ || (message && stopping_ > 0) ||
               pending_.size() < options_.max_dispatch_queue;
      };
      mu_.Await(absl::Condition(&room));
    }
    pending_.push_back(std::move(item));
  }
  uint64_t one = 1;
  (void)!write(event_fd_->fd.get(), &one, sizeof(one));
}

int Client::event_fd() const { return event_fd_ == nullptr ? -1 : event_fd_->fd.get(); }

size_t Client::Dispatch() {
  uint64_t count;
  (void)!read(event_fd_->fd.get(), &count, sizeof(count));
  std::deque<Item> items;
  {
    absl::MutexLock lock(&mu_);
    items.swap(pending_);
  }
  absl::MutexLock lock(&handler_mu_);
  for (const Item& item : items) Handle(item);
  RenewIfDue();
  return items.size();
}

void Client::Handle(const Item& item) {
  EventHandler* const handler = HandlerFor(item.endpoint_id);
  if (handler == nullptr) return;
  if (item.stream_status.has_value()) {
    handler->OnStreamStatus(*item.stream_status);
    return;
  }
  if (item.receiving_stopped.has_value()) {
    handler->OnReceivingStopped(*item.receiving_stopped);
    return;
  }
  if (item.message.has_value()) {
    handler->OnMessage(*item.message);
    return;
  }
  if (item.completion.has_value()) {
    const Completion& done = *item.completion;
    if (done.kind == Completion::Kind::kAssociate) {
      if (done.status.ok()) {
        handler->OnAssociated(done.tag, done.association);
      } else {
        handler->OnAssociated(done.tag, done.status);
      }
    } else {
      handler->OnShutdownComplete(done.tag, done.association_id, done.status);
    }
    return;
  }
  const v1::Event& event = *item.event;
  handled_sequence_ = event.sequence();
  switch (event.kind_case()) {
    case v1::Event::kAssociationChange:
      handler->OnAssociationChange(event, event.association_change());
      break;
    case v1::Event::kPeerAddressChange:
      handler->OnPeerAddressChange(event, event.peer_address_change());
      break;
    case v1::Event::kSendFailed:
      handler->OnSendFailed(event, event.send_failed());
      break;
    case v1::Event::kShutdown:
      handler->OnShutdown(event, event.shutdown());
      break;
    case v1::Event::kRemoteError:
      handler->OnRemoteError(event, event.remote_error());
      break;
    case v1::Event::kMessagesLost:
      handler->OnMessagesLost(event, event.messages_lost());
      break;
    default:
      handler->OnOtherEvent(event);
      break;
  }
}

// ---------------------------------------------------------------- calls

template <typename Rpc>
absl::Status Client::Call(std::optional<Milliseconds> timeout, Rpc rpc) {
  const auto deadline = std::chrono::system_clock::now() + timeout.value_or(options_.call_timeout);
  Milliseconds backoff = kFirstHandoverRetry;
  for (bool retry = false;; retry = true) {
    grpc::ClientContext context;
    context.set_deadline(deadline);
    // A retry waits for the connection to the new process instead of
    // failing while the channel reconnects.
    context.set_wait_for_ready(retry);
    absl::Status status = rpc(context);
    // After HANDED_OVER, CANCELLED is the old process closing its
    // connections: gRPC cancels the calls that reach a server shutting
    // down before they run, and that process does nothing any more.
    const bool again =
        IsHandedOver(status) || (retry && status.code() == absl::StatusCode::kCancelled);
    if (!again || std::chrono::system_clock::now() + backoff >= deadline || !Backoff(backoff)) {
      return status;
    }
    backoff = std::min(backoff * 2, kMaxHandoverRetry);
  }
}

absl::Status Client::CallWith(std::optional<Milliseconds> timeout,
                              const std::function<absl::Status(grpc::ClientContext&)>& rpc) {
  return Call(timeout, rpc);
}

absl::StatusOr<v1::Endpoint> Client::OpenEndpoint(const EndpointOptions& options,
                                                  std::optional<Milliseconds> timeout) {
  v1::OpenEndpointRequest request = MakeOpenEndpointRequest(options);
  request.set_session_id(session_id_);
  v1::OpenEndpointResponse response;
  absl::Status status = Call(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->OpenEndpoint(&context, request, &response));
  });
  if (!status.ok()) return status;
  return response.endpoint();
}

absl::Status Client::CloseEndpoint(uint64_t endpoint_id, bool abort,
                                   std::optional<Milliseconds> timeout) {
    v1::CloseEndpointRequest request;
  request.set_session_id(session_id_);
  request.set_endpoint_id(endpoint_id);
  request.set_abort(abort);
  v1::CloseEndpointResponse response;
  return Call(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->CloseEndpoint(&context, request, &response));
  });
}

absl::StatusOr<std::vector<v1::Endpoint>> Client::ListEndpoints(
    std::optional<Milliseconds> timeout) {
  std::vector<v1::Endpoint> endpoints;
  std::string token;
  do {
        v1::ListEndpointsRequest request;
    request.set_session_id(session_id_);
    request.set_page_token(token);
    v1::ListEndpointsResponse response;
    absl::Status status = Call(timeout, [&](grpc::ClientContext& context) {
      return FromGrpc(stub_->ListEndpoints(&context, request, &response));
    });
    if (!status.ok()) return status;
    endpoints.insert(endpoints.end(), response.endpoints().begin(), response.endpoints().end());
    token = response.next_page_token();
  } while (!token.empty());
  return endpoints;
}

absl::StatusOr<v1::Association> Client::Associate(uint64_t endpoint_id,
                                                  const std::vector<std::string>& peer_addresses,
                                                  uint16_t peer_port, uint16_t streams,
                                                  std::optional<Milliseconds> timeout) {
  AssociateOptions options;
  options.peer_addresses = peer_addresses;
  options.peer_port = peer_port;
  options.outbound_streams = streams;
  options.max_inbound_streams = streams;
  return Associate(endpoint_id, options, timeout);
}

absl::StatusOr<v1::Association> Client::Associate(uint64_t endpoint_id,
                                                  const AssociateOptions& options,
                                                  std::optional<Milliseconds> timeout) {
  v1::AssociateRequest request = MakeAssociateRequest(options);
  request.set_session_id(session_id_);
  request.set_endpoint_id(endpoint_id);
  v1::AssociateResponse response;
  absl::Status status = Call(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->Associate(&context, request, &response));
  });
  if (!status.ok()) return status;
  return response.association();
}

absl::Status Client::Shutdown(uint64_t association_id, std::optional<Milliseconds> timeout) {
  return End(association_id, v1::SHUTDOWN_MODE_GRACEFUL, "", timeout);
}

absl::Status Client::Abort(uint64_t association_id, const std::string& reason,
                           std::optional<Milliseconds> timeout) {
  return End(association_id, v1::SHUTDOWN_MODE_ABORT, reason, timeout);
}

absl::Status Client::End(uint64_t association_id, v1::ShutdownMode mode,
                         const std::string& reason, std::optional<Milliseconds> timeout) {
    v1::ShutdownRequest request;
  request.set_session_id(session_id_);
  request.set_association_id(association_id);
  request.set_mode(mode);
  request.set_abort_reason(reason);
  v1::ShutdownResponse response;
  return Call(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->Shutdown(&context, request, &response));
  });
}

absl::StatusOr<std::vector<v1::Association>> Client::ListAssociations(
    uint64_t endpoint_id, std::optional<Milliseconds> timeout) {
  std::vector<v1::Association> associations;
  std::string token;
  do {
        v1::ListAssociationsRequest request;
    request.set_session_id(session_id_);
    request.set_endpoint_id(endpoint_id);
    request.set_page_token(token);
    v1::ListAssociationsResponse response;
    absl::Status status = Call(timeout, [&](grpc::ClientContext& context) {
      return FromGrpc(stub_->ListAssociations(&context, request, &response));
    });
    if (!status.ok()) return status;
    associations.insert(associations.end(), response.associations().begin(),
                        response.associations().end());
    token = response.next_page_token();
  } while (!token.empty());
  return associations;
}

absl::StatusOr<v1::GetAssociationResponse> Client::GetAssociation(
    uint64_t association_id, std::optional<Milliseconds> timeout) {
  return GetAssociation(association_id, std::vector<uint32_t>{}, timeout);
}

absl::StatusOr<v1::GetAssociationResponse> Client::GetAssociation(
    uint64_t association_id, const std::vector<uint32_t>& pr_sctp_streams,
    std::optional<Milliseconds> timeout) {
  v1::GetAssociationRequest request;
  request.set_session_id(session_id_);
  request.set_association_id(association_id);
  for (uint32_t stream : pr_sctp_streams) request.add_streams(stream);
  v1::GetAssociationResponse response;
  absl::Status status = Call(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->GetAssociation(&context, request, &response));
  });
  if (!status.ok()) return status;
  return response;
}

absl::Status Client::SetPrimaryPath(uint64_t association_id, const std::string& peer_address,
                                    std::optional<Milliseconds> timeout) {
    v1::SetPrimaryPathRequest request;
  request.set_session_id(session_id_);
  request.set_association_id(association_id);
  request.set_peer_address(peer_address);
  v1::SetPrimaryPathResponse response;
  return Call(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->SetPrimaryPath(&context, request, &response));
  });
}

}  // namespace sctpgw::client
