// WatchEvents: a session's events, sequenced and resumable (etcd's Watch).
// One write outstanding; woken by the event log on every new event and by
// the service's once-a-second tick for progress messages. The stream starts
// with an acknowledgement, holds its session alive while open, and ends with
// an explicit status: SESSION_NOT_FOUND when the session ends,
// HISTORY_COMPACTED / SUBSCRIBER_TOO_SLOW when it cannot go on without a
// gap, SHUTTING_DOWN when the service stops.
#pragma once

#include <grpcpp/grpcpp.h>

#include "sctpgw/v1/gateway_service.grpc.pb.h"
#include "server/core/gateway.h"
#include "server/rpc/call_count.h"

namespace sctpgw::rpc {

grpc::ServerWriteReactor<v1::WatchEventsResponse>* NewEventStream(
    core::Gateway& gateway, const v1::WatchEventsRequest& request, std::string session,
    CallCount& calls);

}  // namespace sctpgw::rpc
