// Hands an association's outbound queue to the kernel: sends in the order
// they were made, message by message, until the kernel's buffer is full
// (the stack's OnWritable resumes it); a graceful shutdown queued behind
// them starts its SHUTDOWN handshake when its turn comes. Also the checks
// every message passes before any of a batch is sent. Runs on the core's
// thread.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "server/core/association.h"
#include "server/core/capture_tap.h"
#include "server/core/gateway_types.h"
#include "server/core/limits.h"
#include "server/core/pending_operations.h"
#include "server/net/sctp_stack.h"

namespace sctpgw::core {

// Checks a batch for `association`: count, streams against those
// negotiated, empty and oversized payloads (`max_size` bytes). The error
// names the first message at fault.
absl::Status ValidateMessages(const Association& association,
                              const std::vector<OutboundMessage>& messages, size_t max_size,
                              const Limits& limits);

// `status` for a send that ended before all its messages went: when some
// did, the message and metadata ("accepted_messages") say how many.
absl::Status WithAcceptedCount(const absl::Status& status, const SendOperation& send);

class SendPump {
 public:
  SendPump(net::SctpStack& stack, PendingOperations& pending, GatewayStats& counters,
           CaptureTap& captures)
      : stack_(stack), pending_(pending), counters_(counters), captures_(captures) {}

  void Pump(Association& association);

 private:
  // Sends what is left of `send`; false when the kernel's buffer is full.
  // A send the kernel refuses is failed and taken out of the queue.
  bool SendMessages(Association& association, OperationId id, SendOperation& send);

  net::SctpStack& stack_;
  PendingOperations& pending_;
  GatewayStats& counters_;
  CaptureTap& captures_;
};

}  // namespace sctpgw::core
