// GatewayServiceImpl's handlers of the SCTP extensions: stream
// reconfiguration (RFC 6525), stream scheduling (RFC 8260) and SCTP-AUTH
// keys (RFC 4895). Each checks its request, then maps it to the core.
#include "server/rpc/extensions_convert.h"
#include "server/rpc/options_convert.h"
#include "server/rpc/gateway_service.h"
#include "server/rpc/peer_identity.h"
#include "server/rpc/unary_call.h"

namespace sctpgw::rpc {

grpc::ServerUnaryReactor* GatewayServiceImpl::ResetStreams(grpc::CallbackServerContext* context,
                                                           const v1::ResetStreamsRequest* request,
                                                           v1::ResetStreamsResponse*) {
  auto reset = ToStreamReset(*request);
  absl::Status checked = reset.status();  // Before reset is moved.
  return Answer(gateway_, calls_, checked,
                [this, session = SessionKeyOf(context, request->session_id()),
                 id = request->association_id(), reset = std::move(reset)] {
                  return gateway_.ReconfigureStreams(session, id, *reset);
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::ResetAssociation(
    grpc::CallbackServerContext* context, const v1::ResetAssociationRequest* request,
    v1::ResetAssociationResponse*) {
  net::StreamReconfigRequest reset;
  reset.kind = net::StreamReconfigRequest::Kind::kResetAssociation;
  return Answer(gateway_, calls_, absl::OkStatus(),
                [this, session = SessionKeyOf(context, request->session_id()),
                 id = request->association_id(), reset] {
                  return gateway_.ReconfigureStreams(session, id, reset);
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::AddStreams(grpc::CallbackServerContext* context,
                                                         const v1::AddStreamsRequest* request,
                                                         v1::AddStreamsResponse*) {
  auto add = ToStreamAddition(*request);
  absl::Status checked = add.status();  // Before add is moved.
  return Answer(gateway_, calls_, checked,
                [this, session = SessionKeyOf(context, request->session_id()),
                 id = request->association_id(), add = std::move(add)] {
                  return gateway_.ReconfigureStreams(session, id, *add);
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::ConfigureStreams(
    grpc::CallbackServerContext* context, const v1::ConfigureStreamsRequest* request,
    v1::ConfigureStreamsResponse* response) {
  auto scheduling = ToStreamScheduling(*request);
  absl::Status checked = scheduling.status();  // Before scheduling is moved.
  return Answer(gateway_, calls_, checked,
                [this, response, session = SessionKeyOf(context, request->session_id()),
                 id = request->association_id(), scheduling = std::move(scheduling)] {
                  auto now = gateway_.ConfigureStreams(session, id, scheduling->first,
                                                       scheduling->second);
                  if (now.ok()) {
                    response->set_scheduler(ToProto(now->scheduler));
                    for (const net::StreamValue& value : now->values) {
                      v1::StreamValue* out = response->add_values();
                      out->set_stream(value.stream);
                      out->set_value(value.value);
                    }
                  }
                  return now.status();
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::ChangeAuthKey(grpc::CallbackServerContext* context,
                                                            const v1::ChangeAuthKeyRequest* request,
                                                            v1::ChangeAuthKeyResponse*) {
  auto change = ToAuthKeyChange(*request);
  absl::Status checked = change.status();  // Before change is moved.
  return Answer(gateway_, calls_, checked,
                [this, session = SessionKeyOf(context, request->session_id()),
                 change = std::move(change)] {
                  return gateway_.ChangeAuthKey(session, change->first, change->second);
                });
}

grpc::ServerUnaryReactor* GatewayServiceImpl::RequestHeartbeat(
    grpc::CallbackServerContext* context, const v1::RequestHeartbeatRequest* request,
    v1::RequestHeartbeatResponse*) {
  auto peer = ToHeartbeatTarget(*request);
  absl::Status checked = peer.status();  // Before peer is moved.
  return Answer(gateway_, calls_, checked,
                [this, session = SessionKeyOf(context, request->session_id()),
                 id = request->association_id(), peer = std::move(peer)] {
                  return gateway_.RequestHeartbeat(session, id, *peer);
                });
}

}  // namespace sctpgw::rpc
