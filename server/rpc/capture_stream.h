// Capture: copies of the messages passing over a session's associations
// (core::CaptureTap), streamed as they pass. One write outstanding; woken by
// the tap when messages wait. The first response is empty: from then on the
// capture is in force. The stream does not hold its session; it ends with
// SESSION_NOT_FOUND once the session has ended and everything captured was
// written.
#pragma once

#include <grpcpp/grpcpp.h>

#include "sctpgw/v1/gateway_service.grpc.pb.h"
#include "server/core/gateway.h"
#include "server/rpc/call_count.h"

namespace sctpgw::rpc {

grpc::ServerWriteReactor<v1::CaptureResponse>* NewCaptureStream(core::Gateway& gateway,
                                                               const v1::CaptureRequest& request,
                                                               std::string session,
                                                               CallCount& calls);

}  // namespace sctpgw::rpc
