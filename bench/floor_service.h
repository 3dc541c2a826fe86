// The floor of any gRPC design (docs/benchmarks.md, "native"): a callback
// service whose handlers only send the payload back, unary and streaming.
#pragma once

#include "sctpgw/bench/v1/floor.grpc.pb.h"

namespace sctpgw::bench {

class FloorService final : public v1::FloorService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const v1::PingRequest* request,
                                 v1::PingResponse* response) override;
  grpc::ServerBidiReactor<v1::PingRequest, v1::PingResponse>* PingStream(
      grpc::CallbackServerContext* context) override;
};

}  // namespace sctpgw::bench
