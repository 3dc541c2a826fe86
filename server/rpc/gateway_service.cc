#include "server/rpc/gateway_service.h"

#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/rpc/capture_stream.h"
#include "server/rpc/convert.h"
#include "server/rpc/options_convert.h"
#include "server/rpc/event_stream.h"
#include "server/rpc/limits.h"
#include "server/rpc/peer_identity.h"
#include "server/rpc/receive_stream.h"
#include "server/rpc/unary_call.h"

namespace sctpgw::rpc {
namespace {

using core::Error;
using core::Reason;

// Fills one page of `items` (sorted by id) after id `after`: adds up to
// `size` of them with `add`, and sets the next page token when more remain.
template <typename Item, typename Response, typename Add>
void FillPage(const std::vector<Item>& items, uint64_t after, int size, Response* response,
              Add add) {
  int count = 0;
  uint64_t last = after;
  for (const Item& item : items) {
    if (item.id <= after) continue;
    if (count == size) {
      response->set_next_page_token(absl::StrCat(last));
      return;
    }
    add(item);
    last = item.id;
    ++count;
  }
}

// The first error of several checks, or OK.
absl::Status FirstError(std::initializer_list<absl::Status> checks) {
  for (const absl::Status& check : checks) {
    if (!check.ok()) return check;
  }
  return absl::OkStatus();
}

absl::StatusOr<net::SocketAddress> ParseIp(const std::string& ip, const char* field) {
  auto address = net::SocketAddress::Parse(ip, 0);
  if (!address.ok()) {
    return Error(Reason::kInvalidAddress,
                 absl::StrCat(field, " is not a numeric IPv4 or IPv6 address"),
                 {{"field", field}});
  }
  return address;
}

}  // namespace

GatewayServiceImpl::GatewayServiceImpl(core::Gateway& gateway) : gateway_(gateway) {}
GatewayServiceImpl::~GatewayServiceImpl() = default;

void GatewayServiceImpl::Tick() {
  gateway_.events().WakeAll();
  send_streams_.Tick();
}

grpc::ServerUnaryReactor* GatewayServiceImpl::OpenSession(grpc::CallbackServerContext* context,
                                                          const v1::OpenSessionRequest* request,
                                                          v1::OpenSessionResponse* response) {
  absl::Status checked;
  if (request->client_name().size() > kMaxClientNameBytes) {
    checked = Error(Reason::kInvalidArgument,
                    absl::StrCat("client_name is longer than ", kMaxClientNameBytes, " bytes"),
                    {{"field", "client_name"}});
  }
  auto liveness = ToSessionLiveness(request->liveness());
  if (checked.ok()) checked = liveness.status();
  return Answer(gateway_, calls_, checked,
                [this, response, lease = request->requested_lease_ms(),
                 name = request->client_name(), owner = PeerIdentity(context),
                 liveness = liveness.value_or(core::SessionLiveness::kConnection)] {
                  auto session = gateway_.OpenSession(std::chrono::milliseconds(lease), name,
                                                      owner, liveness);
                  if (session.ok()) {
                    response->set_session_id(session->id);
                    response->set_lease_ms(static_cast<uint32_t>(session->lease.count()));
                    response->set_liveness(ToProto(session->liveness));
                  }
                  return session.status();
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::RenewLease(grpc::CallbackServerContext* context,
                                                         const v1::RenewLeaseRequest* request,
                                                         v1::RenewLeaseResponse* response) {
  return Answer(gateway_, calls_, absl::OkStatus(),
                [this, response, session = SessionKeyOf(context, request->session_id()),
                 handled = request->handled_sequence()] {
                  auto renewed = gateway_.RenewLease(session, handled);
                  if (renewed.ok()) {
                    response->set_lease_ms(static_cast<uint32_t>(renewed->lease.count()));
                    response->set_liveness(ToProto(renewed->liveness));
                  }
                  return renewed.status();
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::CloseSession(grpc::CallbackServerContext* context,
                                                           const v1::CloseSessionRequest* request,
                                                           v1::CloseSessionResponse*) {
  return Answer(gateway_, calls_, absl::OkStatus(),
                [this, session = SessionKeyOf(context, request->session_id())] {
                  return gateway_.CloseSession(session);
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::OpenEndpoint(grpc::CallbackServerContext* context,
                                                           const v1::OpenEndpointRequest* request,
                                                           v1::OpenEndpointResponse* response) {
  auto spec = ToEndpointSpec(*request);
  absl::Status checked = spec.status();
  return Answer(gateway_, calls_, checked,
                [this, response, session = SessionKeyOf(context, request->session_id()),
                 spec = std::move(spec)] {
                  auto endpoint = gateway_.OpenEndpoint(session, *spec);
                  if (endpoint.ok()) ToProto(*endpoint, response->mutable_endpoint());
                  return endpoint.status();
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::CloseEndpoint(grpc::CallbackServerContext* context,
                                                            const v1::CloseEndpointRequest* request,
                                                            v1::CloseEndpointResponse*) {
  return Answer(gateway_, calls_, absl::OkStatus(),
                [this, session = SessionKeyOf(context, request->session_id()),
                 id = request->endpoint_id(), abort = request->abort()] {
                  return gateway_.CloseEndpoint(session, id, abort);
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::UpdateEndpointAddresses(
    grpc::CallbackServerContext* context, const v1::UpdateEndpointAddressesRequest* request,
    v1::UpdateEndpointAddressesResponse* response) {
  auto add = ToAddresses(request->add_addresses(), "add_addresses");
  auto remove = ToAddresses(request->remove_addresses(), "remove_addresses");
  absl::Status checked = FirstError({add.status(), remove.status()});
  return Answer(gateway_, calls_, checked,
                [this, response, session = SessionKeyOf(context, request->session_id()),
                 id = request->endpoint_id(), add = std::move(add),
                 remove = std::move(remove)]() mutable {
                  auto endpoint =
                      gateway_.ChangeEndpointAddresses(session, id, std::move(*add), std::move(*remove));
                  if (endpoint.ok()) ToProto(*endpoint, response->mutable_endpoint());
                  return endpoint.status();
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::ListEndpoints(grpc::CallbackServerContext* context,
                                                            const v1::ListEndpointsRequest* request,
                                                            v1::ListEndpointsResponse* response) {
  auto after = ParsePageToken(request->page_token());
  auto size = PageSize(request->page_size());
  absl::Status checked = FirstError({after.status(), size.status()});
  return Answer(gateway_, calls_, checked,
                [this, response, session = SessionKeyOf(context, request->session_id()),
                 after = after.value_or(0), size = size.value_or(0)] {
                  auto endpoints = gateway_.ListEndpoints(session);
                  if (!endpoints.ok()) return endpoints.status();
                  FillPage(*endpoints, after, size, response, [response](const core::EndpointInfo& e) {
                    ToProto(e, response->add_endpoints());
                  });
                  return absl::OkStatus();
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::GetServiceStatus(
    grpc::CallbackServerContext*, const v1::GetServiceStatusRequest*,
    v1::GetServiceStatusResponse* response) {
  return Answer(gateway_, calls_, absl::OkStatus(), [this, response] {
    ProcessInfo p;
    {
      absl::MutexLock lock(&process_mu_);
      p = process_;
    }
    response->set_version(p.version);
    response->set_kernel_sctp(p.kernel_sctp);
    *response->mutable_started() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
        std::chrono::duration_cast<std::chrono::nanoseconds>(p.started.time_since_epoch()).count());
    switch (p.start) {
      case ProcessInfo::Start::kFresh: response->set_start(v1::SERVICE_START_FRESH); break;
      case ProcessInfo::Start::kTookOver: response->set_start(v1::SERVICE_START_TOOK_OVER); break;
      case ProcessInfo::Start::kRecovered: response->set_start(v1::SERVICE_START_RECOVERED); break;
      case ProcessInfo::Start::kRestarted: response->set_start(v1::SERVICE_START_RESTARTED); break;
    }
    response->set_took_over_from_version(p.took_over_from_version);
    response->set_associations_recovered(static_cast<uint32_t>(p.associations_recovered));
    response->set_messages_lost(p.messages_lost);
    response->set_messages_unconfirmed(p.messages_unconfirmed);
    response->set_crash_survival(p.crash_survival);
    switch (gateway_.Condition()) {
      case core::GatewayCondition::kServing: response->set_state(v1::SERVICE_STATE_SERVING); break;
      case core::GatewayCondition::kHandingOver:
        response->set_state(v1::SERVICE_STATE_HANDING_OVER);
        break;
      case core::GatewayCondition::kHandedOver:
        response->set_state(v1::SERVICE_STATE_HANDED_OVER);
        break;
      case core::GatewayCondition::kStopping: response->set_state(v1::SERVICE_STATE_STOPPING); break;
    }
    const core::GatewayStats stats = gateway_.Stats();
    response->set_sessions(static_cast<uint32_t>(stats.sessions));
    response->set_endpoints(static_cast<uint32_t>(stats.endpoints));
    uint64_t associations = 0;
    for (const auto& [state, count] : stats.associations) associations += count;
    response->set_associations(static_cast<uint32_t>(associations));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::ListAssociations(
    grpc::CallbackServerContext* context, const v1::ListAssociationsRequest* request,
    v1::ListAssociationsResponse* response) {
  auto after = ParsePageToken(request->page_token());
  auto size = PageSize(request->page_size());
  absl::Status checked = FirstError({after.status(), size.status()});
  return Answer(gateway_, calls_, checked,
                [this, response, session = SessionKeyOf(context, request->session_id()),
                 endpoint = request->endpoint_id(), after = after.value_or(0),
                 size = size.value_or(0)] {
                  auto associations = gateway_.ListAssociations(session, endpoint);
                  if (!associations.ok()) return associations.status();
                  FillPage(*associations, after, size, response,
                           [response](const core::AssociationInfo& a) {
                             ToProto(a, response->add_associations());
                           });
                  return absl::OkStatus();
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::GetAssociation(
    grpc::CallbackServerContext* context, const v1::GetAssociationRequest* request,
    v1::GetAssociationResponse* response) {
  auto streams = ToCounterStreams(*request);
  absl::Status checked = streams.status();  // Before streams is moved.
  return Answer(gateway_, calls_, checked,
                [this, response, session = SessionKeyOf(context, request->session_id()),
                 id = request->association_id(), streams = std::move(streams)] {
                  auto description = gateway_.DescribeAssociation(session, id, *streams);
                  if (description.ok()) ToProto(*description, response);
                  return description.status();
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::SetPrimaryPath(
    grpc::CallbackServerContext* context, const v1::SetPrimaryPathRequest* request,
    v1::SetPrimaryPathResponse*) {
  auto peer = ParseIp(request->peer_address(), "peer_address");
  absl::Status checked = peer.status();
  return Answer(gateway_, calls_, checked,
                [this, session = SessionKeyOf(context, request->session_id()),
                 id = request->association_id(), peer = std::move(peer)] {
                  return gateway_.SetPrimaryPath(session, id, *peer);
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::RequestPeerPrimaryPath(
    grpc::CallbackServerContext* context, const v1::RequestPeerPrimaryPathRequest* request,
    v1::RequestPeerPrimaryPathResponse*) {
  auto local = ParseIp(request->local_address(), "local_address");
  absl::Status checked = local.status();
  return Answer(gateway_, calls_, checked,
                [this, session = SessionKeyOf(context, request->session_id()),
                 id = request->association_id(), local = std::move(local)] {
                  return gateway_.RequestPeerPrimaryPath(session, id, *local);
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::ConfigurePaths(
    grpc::CallbackServerContext* context, const v1::ConfigurePathsRequest* request,
    v1::ConfigurePathsResponse* response) {
  auto parameters = ToPathParameters(request->parameters(), "parameters");
  std::optional<net::SocketAddress> peer;
  absl::Status checked = parameters.status();
  if (checked.ok() && !request->peer_address().empty()) {
    auto parsed = ParseIp(request->peer_address(), "peer_address");
    checked = parsed.ok() ? CheckPerPathParameters(request->parameters(), "parameters")
                          : parsed.status();
    if (parsed.ok()) peer = *parsed;
  }
  return Answer(gateway_, calls_, checked,
                [this, response, session = SessionKeyOf(context, request->session_id()),
                 id = request->association_id(), parameters = std::move(parameters), peer] {
                  auto now = gateway_.ConfigurePaths(session, id, *parameters, peer);
                  if (now.ok()) {
                    ToProto(now->parameters, response->mutable_parameters());
                    if (now->path.has_value()) ToProto(*now->path, response->mutable_path());
                  }
                  return now.status();
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::Associate(grpc::CallbackServerContext* context,
                                                        const v1::AssociateRequest* request,
                                                        v1::AssociateResponse* response) {
  auto spec = ToAssociateSpec(*request);
  absl::Status checked = spec.status();
  return Await(gateway_, calls_, checked,
               [this, response, session = SessionKeyOf(context, request->session_id()),
                spec = std::move(spec), deadline = ToDeadline(context->deadline())](UnaryCall* call) {
                 return gateway_.Associate(
                     session, *spec, deadline,
                     [call, response](absl::StatusOr<core::AssociationInfo> result) {
                       if (result.ok()) ToProto(*result, response->mutable_association());
                       call->Finish(result.status());
                     });
               });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::Send(grpc::CallbackServerContext* context,
                                                   const v1::SendRequest* request,
                                                   v1::SendResponse* response) {
  // The request lives until the call finishes; its payloads are moved, not
  // copied, on their way to the kernel.
  auto messages = ToOutboundMessages(const_cast<v1::SendRequest*>(request));
  absl::Status checked = messages.status();
  return Await(gateway_, calls_, checked,
               [this, response, session = SessionKeyOf(context, request->session_id()),
                id = request->association_id(), messages = std::move(messages),
                deadline = ToDeadline(context->deadline())](UnaryCall* call) mutable {
                 return gateway_.Send(session, id, std::move(*messages), deadline,
                                      [call, response](absl::StatusOr<size_t> result) {
                                        if (result.ok()) {
                                          response->set_accepted_messages(
                                              static_cast<uint32_t>(*result));
                                        }
                                        call->Finish(result.status());
                                      });
               });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::Receive(grpc::CallbackServerContext* context,
                                                      const v1::ReceiveRequest* request,
                                                      v1::ReceiveResponse* response) {
  auto spec = ToReceiveSpec(*request);
  absl::Status checked = spec.status();
  return Await(gateway_, calls_, checked,
               [this, context, response, session = SessionKeyOf(context, request->session_id()),
                spec = std::move(spec), deadline = ToDeadline(context->deadline())](UnaryCall* call) {
                 return gateway_.Receive(
                     session, *spec, deadline,
                     [call, context, response](
                         absl::StatusOr<std::vector<core::ReceivedMessage>> result) {
                       if (result.ok()) {
                         for (core::ReceivedMessage& message : *result) {
                           ToProto(std::move(message), response->add_messages());
                         }
                         call->SettleWhenDone(context, response);
                       }
                       call->Finish(result.status());
                     });
               });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::Shutdown(grpc::CallbackServerContext* context,
                                                       const v1::ShutdownRequest* request,
                                                       v1::ShutdownResponse*) {
  absl::Status checked;
  if (request->mode() != v1::SHUTDOWN_MODE_GRACEFUL && request->mode() != v1::SHUTDOWN_MODE_ABORT) {
    checked = Error(Reason::kInvalidArgument,
                    "mode must be SHUTDOWN_MODE_GRACEFUL or SHUTDOWN_MODE_ABORT",
                    {{"field", "mode"}});
  } else if (request->abort_reason().size() > kMaxAbortReasonBytes) {
    checked = Error(Reason::kInvalidArgument,
                    absl::StrCat("abort_reason has ", request->abort_reason().size(),
                                 " bytes; at most ", kMaxAbortReasonBytes),
                    {{"field", "abort_reason"}});
  }
  return Await(gateway_, calls_, checked,
               [this, session = SessionKeyOf(context, request->session_id()),
                id = request->association_id(), abort = request->mode() == v1::SHUTDOWN_MODE_ABORT,
                reason = request->abort_reason(),
                deadline = ToDeadline(context->deadline())](UnaryCall* call) {
                 return gateway_.Shutdown(
                     session, id, abort, reason, deadline,
                     [call](absl::StatusOr<bool> result) { call->Finish(result.status()); });
               });
}

grpc::ServerBidiReactor<v1::SendRequest, v1::SendStreamResponse>* GatewayServiceImpl::SendStream(
    grpc::CallbackServerContext* context) {
  return send_streams_.Open(gateway_, context, calls_);
}

grpc::ServerWriteReactor<v1::ReceiveResponse>* GatewayServiceImpl::ReceiveStream(
    grpc::CallbackServerContext* context, const v1::ReceiveRequest* request) {
  return NewReceiveStream(gateway_, context, *request, calls_);
}

grpc::ServerWriteReactor<v1::WatchEventsResponse>* GatewayServiceImpl::WatchEvents(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) {
  return NewEventStream(gateway_, *request, SessionKeyOf(context, request->session_id()), calls_);
}

grpc::ServerWriteReactor<v1::CaptureResponse>* GatewayServiceImpl::Capture(
    grpc::CallbackServerContext* context, const v1::CaptureRequest* request) {
  return NewCaptureStream(gateway_, *request, SessionKeyOf(context, request->session_id()),
                          calls_);
}

}  // namespace sctpgw::rpc
