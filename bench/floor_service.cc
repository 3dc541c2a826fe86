#include "bench/floor_service.h"

namespace sctpgw::bench {
namespace {

// One request read, its answer written, then the next: ping-pong.
class PingPong final : public grpc::ServerBidiReactor<v1::PingRequest, v1::PingResponse> {
 public:
  PingPong() { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    response_.set_payload(std::move(*request_.mutable_payload()));
    StartWrite(&response_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    StartRead(&request_);
  }
  void OnDone() override { delete this; }

 private:
  v1::PingRequest request_;
  v1::PingResponse response_;
};

}  // namespace

grpc::ServerUnaryReactor* FloorService::Ping(grpc::CallbackServerContext* context,
                                             const v1::PingRequest* request,
                                             v1::PingResponse* response) {
  response->set_payload(request->payload());
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerBidiReactor<v1::PingRequest, v1::PingResponse>* FloorService::PingStream(
    grpc::CallbackServerContext* /*context*/) {
  return new PingPong();
}

}  // namespace sctpgw::bench
