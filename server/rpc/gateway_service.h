// GatewayService over the gRPC callback API. Each handler only maps: the
// request is converted and checked (convert.h), handed to the core on its
// thread, and the call is finished from there when the core answers
// (unary_call.h). Cancellation (client cancel, deadline, disconnect) cancels
// the core operation. The streams have a file each: event_stream,
// send_stream, receive_stream.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/synchronization/mutex.h"
#include "sctpgw/v1/gateway_service.grpc.pb.h"
#include "server/core/gateway.h"
#include "server/rpc/call_count.h"
#include "server/rpc/process_info.h"
#include "server/rpc/send_stream.h"

namespace sctpgw::rpc {

class GatewayServiceImpl final : public v1::GatewayService::CallbackService {
 public:
  explicit GatewayServiceImpl(core::Gateway& gateway);
  ~GatewayServiceImpl() override;

  grpc::ServerUnaryReactor* OpenSession(grpc::CallbackServerContext* context,
                                        const v1::OpenSessionRequest* request,
                                        v1::OpenSessionResponse* response) override;
  grpc::ServerUnaryReactor* CloseSession(grpc::CallbackServerContext* context,
                                         const v1::CloseSessionRequest* request,
                                         v1::CloseSessionResponse* response) override;
  grpc::ServerUnaryReactor* RenewLease(grpc::CallbackServerContext* context,
                                       const v1::RenewLeaseRequest* request,
                                       v1::RenewLeaseResponse* response) override;
  grpc::ServerUnaryReactor* OpenEndpoint(grpc::CallbackServerContext* context,
                                         const v1::OpenEndpointRequest* request,
                                         v1::OpenEndpointResponse* response) override;
  grpc::ServerUnaryReactor* CloseEndpoint(grpc::CallbackServerContext* context,
                                          const v1::CloseEndpointRequest* request,
                                          v1::CloseEndpointResponse* response) override;
  grpc::ServerUnaryReactor* UpdateEndpointAddresses(
      grpc::CallbackServerContext* context, const v1::UpdateEndpointAddressesRequest* request,
      v1::UpdateEndpointAddressesResponse* response) override;
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
  grpc::ServerUnaryReactor* SetPrimaryPath(grpc::CallbackServerContext* context,
                                           const v1::SetPrimaryPathRequest* request,
                                           v1::SetPrimaryPathResponse* response) override;
  grpc::ServerUnaryReactor* RequestPeerPrimaryPath(
      grpc::CallbackServerContext* context, const v1::RequestPeerPrimaryPathRequest* request,
      v1::RequestPeerPrimaryPathResponse* response) override;
  grpc::ServerUnaryReactor* ConfigurePaths(grpc::CallbackServerContext* context,
                                           const v1::ConfigurePathsRequest* request,
                                           v1::ConfigurePathsResponse* response) override;
  // The SCTP extensions (gateway_service_extensions.cc).
  grpc::ServerUnaryReactor* ResetStreams(grpc::CallbackServerContext* context,
                                         const v1::ResetStreamsRequest* request,
                                         v1::ResetStreamsResponse* response) override;
  grpc::ServerUnaryReactor* ResetAssociation(grpc::CallbackServerContext* context,
                                             const v1::ResetAssociationRequest* request,
                                             v1::ResetAssociationResponse* response) override;
  grpc::ServerUnaryReactor* AddStreams(grpc::CallbackServerContext* context,
                                       const v1::AddStreamsRequest* request,
                                       v1::AddStreamsResponse* response) override;
  grpc::ServerUnaryReactor* ConfigureStreams(grpc::CallbackServerContext* context,
                                             const v1::ConfigureStreamsRequest* request,
                                             v1::ConfigureStreamsResponse* response) override;
  grpc::ServerUnaryReactor* ChangeAuthKey(grpc::CallbackServerContext* context,
                                          const v1::ChangeAuthKeyRequest* request,
                                          v1::ChangeAuthKeyResponse* response) override;
  grpc::ServerUnaryReactor* RequestHeartbeat(grpc::CallbackServerContext* context,
                                             const v1::RequestHeartbeatRequest* request,
                                             v1::RequestHeartbeatResponse* response) override;
  grpc::ServerBidiReactor<v1::SendRequest, v1::SendStreamResponse>* SendStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerWriteReactor<v1::ReceiveResponse>* ReceiveStream(
      grpc::CallbackServerContext* context, const v1::ReceiveRequest* request) override;
  grpc::ServerWriteReactor<v1::WatchEventsResponse>* WatchEvents(
      grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) override;
  grpc::ServerWriteReactor<v1::CaptureResponse>* Capture(
      grpc::CallbackServerContext* context, const v1::CaptureRequest* request) override;

  // Wakes event streams so that idle ones send progress, and has send
  // streams acknowledge what they have done. Called once a second by the
  // owner.
  void Tick();

  // Ends send streams that wait on their clients; after the core is closed.
  void StopStreams(const absl::Status& why) { send_streams_.StopAll(why); }

  // Waits for the calls in progress to end (see CallCount).
  bool WaitForCalls(std::chrono::system_clock::time_point deadline) {
    return calls_.WaitForNone(deadline);
  }

  grpc::ServerUnaryReactor* GetServiceStatus(grpc::CallbackServerContext* context,
                                             const v1::GetServiceStatusRequest* request,
                                             v1::GetServiceStatusResponse* response) override;
  // Safe from any thread (TCP listeners may serve before main sets it).
  void SetProcessInfo(ProcessInfo info) {
    absl::MutexLock lock(&process_mu_);
    process_ = std::move(info);
  }

 private:
  core::Gateway& gateway_;
  absl::Mutex process_mu_;
  ProcessInfo process_ ABSL_GUARDED_BY(process_mu_);
  CallCount calls_;
  SendStreams send_streams_;
};

}  // namespace sctpgw::rpc
