// ReceiveStream: the kernel → client data path on one long-lived call. A
// loop over the core's Receive with one response in flight: messages leave
// the association's queue only when the previous response is written, so a
// slow reader leaves them queued and the association's flow control takes
// over. Ends OK after an ended association's last message. Holds its
// session alive while open, like an event stream.
#pragma once

#include <grpcpp/grpcpp.h>

#include "sctpgw/v1/gateway_service.grpc.pb.h"
#include "server/core/gateway.h"
#include "server/rpc/call_count.h"

namespace sctpgw::rpc {

grpc::ServerWriteReactor<v1::ReceiveResponse>* NewReceiveStream(
    core::Gateway& gateway, grpc::CallbackServerContext* context,
    const v1::ReceiveRequest& request, CallCount& calls);

}  // namespace sctpgw::rpc
