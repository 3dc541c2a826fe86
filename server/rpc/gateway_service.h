// GatewayService over the gRPC callback API. Handlers never block: each
// request is converted, handed to the core on its thread, and finished from
// there when the core completes it. Cancellation (client cancel, deadline,
// disconnect) cancels the core operation.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

#include "sctpgw/v1/gateway_service.grpc.pb.h"
#include "server/core/gateway.h"

namespace sctpgw::rpc {

// Counts the calls in progress, so that a stopping service waits for them
// and not for idle connections.
class CallCount {
 public:
  // Held by each call from its start to its end.
  class Hold {
   public:
    explicit Hold(CallCount& count) : count_(count) { count_.Add(1); }
    ~Hold() { count_.Add(-1); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    CallCount& count_;
  };

  // Waits until no call is in progress or `deadline` passes; true if none is.
  bool WaitForNone(std::chrono::system_clock::time_point deadline);

 private:
  void Add(int delta);
  std::mutex mu_;
  std::condition_variable none_;
  int calls_ = 0;
};

class SendStreamer;

// The SendStream calls open now, so that a stopping service can end the idle
// ones (they wait on their client, not on the core).
class SendStreams {
 public:
  // False once stopping: the call is refused.
  bool Add(SendStreamer* stream);
  void Remove(SendStreamer* stream);
  void StopAll();
  // Has every stream acknowledge what it has done.
  void Tick();

 private:
  template <typename F>
  void ForEach(bool stop, F f);
  std::mutex mu_;
  std::set<SendStreamer*> live_;
  bool stopping_ = false;
};

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
  // The streaming data path (data_streams.cc).
  grpc::ServerBidiReactor<v1::SendRequest, v1::SendStreamResponse>* SendStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerWriteReactor<v1::ReceiveResponse>* ReceiveStream(
      grpc::CallbackServerContext* context, const v1::ReceiveRequest* request) override;
  grpc::ServerWriteReactor<v1::WatchEventsResponse>* WatchEvents(
      grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) override;

  // Wakes event streams so that idle ones send progress, and has send
  // streams acknowledge what they have done. Called once a second by the
  // owner.
  void Tick();

  // Ends send streams that wait on their clients; after the core is closed.
  void StopStreams() { send_streams_.StopAll(); }

  // Waits for the calls in progress to end (see CallCount).
  bool WaitForCalls(std::chrono::system_clock::time_point deadline) {
    return calls_.WaitForNone(deadline);
  }

 private:
  core::Gateway& gateway_;
  CallCount calls_;
  SendStreams send_streams_;
};

// The identity the transport proved for the caller: a verified client
// certificate's (mutual TLS), "uid:N" for a unix client (SO_PEERCRED), ""
// otherwise.
std::string PeerIdentity(const grpc::ServerContextBase* context);
// The core's name for the session `id` as this caller sees it.
std::string Key(const grpc::ServerContextBase* context, const std::string& id);

}  // namespace sctpgw::rpc
