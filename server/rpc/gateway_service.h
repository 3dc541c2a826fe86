// GatewayService over the gRPC callback API. Handlers never block: each
// request is converted, handed to the core on its thread, and finished from
// there when the core completes it. Cancellation (client cancel, deadline,
// disconnect) cancels the core operation.
#pragma once

#include <grpcpp/grpcpp.h>

#include "sctpgw/v1/gateway_service.grpc.pb.h"
#include "server/core/gateway.h"

namespace sctpgw::rpc {

class GatewayServiceImpl final : public v1::GatewayService::CallbackService {
 public:
  explicit GatewayServiceImpl(core::Gateway& gateway);
  ~GatewayServiceImpl() override;

  grpc::ServerUnaryReactor* OpenEndpoint(grpc::CallbackServerContext* context,
                                         const v1::OpenEndpointRequest* request,
                                         v1::OpenEndpointResponse* response) override;
  grpc::ServerUnaryReactor* CloseEndpoint(grpc::CallbackServerContext* context,
                                          const v1::CloseEndpointRequest* request,
                                          v1::CloseEndpointResponse* response) override;
  grpc::ServerUnaryReactor* ListEndpoints(grpc::CallbackServerContext* context,
                                          const v1::ListEndpointsRequest* request,
                                          v1::ListEndpointsResponse* response) override;
  grpc::ServerUnaryReactor* Associate(grpc::CallbackServerContext* context,
                                      const v1::AssociateRequest* request,
                                      v1::AssociateResponse* response) override;
  grpc::ServerUnaryReactor* Send(grpc::CallbackServerContext* context,
                                 const v1::SendRequest* request,
                                 v1::SendResponse* response) override;
  grpc::ServerUnaryReactor* Receive(grpc::CallbackServerContext* context,
                                    const v1::ReceiveRequest* request,
                                    v1::ReceiveResponse* response) override;
  grpc::ServerUnaryReactor* Shutdown(grpc::CallbackServerContext* context,
                                     const v1::ShutdownRequest* request,
                                     v1::ShutdownResponse* response) override;
  grpc::ServerUnaryReactor* ListAssociations(grpc::CallbackServerContext* context,
                                             const v1::ListAssociationsRequest* request,
                                             v1::ListAssociationsResponse* response) override;
  grpc::ServerUnaryReactor* GetAssociation(grpc::CallbackServerContext* context,
                                           const v1::GetAssociationRequest* request,
                                           v1::GetAssociationResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchEventsResponse>* WatchEvents(
      grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) override;

  // Wakes event streams so that idle ones send progress. Called once a
  // second by the owner.
  void Tick();

 private:
  core::Gateway& gateway_;
};

}  // namespace sctpgw::rpc
