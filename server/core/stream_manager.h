// The streams of live associations: reconfiguration (RFC 6525: resetting
// streams or the association, adding streams), the stream scheduler and
// its per-stream values, and what is in force. The façade finds and checks
// the association; this checks the request against it and does the work on
// its socket, with the kernel's refusals given their reasons. Runs on the
// core's thread.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/core/association_registry.h"
#include "server/core/gateway_types.h"
#include "server/net/sctp_stack.h"

namespace sctpgw::core {

class StreamManager {
 public:
  StreamManager(net::SctpStack& stack, AssociationRegistry& registry)
      : stack_(stack), registry_(registry) {}

  // Returns once the request is sent; the outcome arrives as a
  // notification (STREAM_RESET, ASSOC_RESET, STREAM_CHANGE).
  absl::Status Reconfigure(Association& association, const net::StreamReconfigRequest& request);
  // kDefault keeps the scheduler; then sets `values`. Returns what is in
  // force, with the values of the streams named.
  absl::StatusOr<net::StreamSettings> Configure(Association& association,
                                                net::StreamScheduler scheduler,
                                                const std::vector<net::StreamValue>& values);
  absl::StatusOr<net::StreamSettings> Settings(Association& association);

 private:
  net::SctpStack& stack_;
  AssociationRegistry& registry_;
};

}  // namespace sctpgw::core
