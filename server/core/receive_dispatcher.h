// Hands received messages to the Receive calls waiting for them: a
// Receive of one association, oldest first, before those of its endpoint
// (which take from the endpoint's associations in round robin), within each
// call's message and byte budget. Applies flow control as queues drain.
// Runs on the core's thread.
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "server/core/association_registry.h"
#include "server/core/limits.h"
#include "server/core/pending_operations.h"
#include "server/net/sctp_stack.h"

namespace sctpgw::core {

class ReceiveDispatcher {
 public:
  // `read_out(id)` runs when a receive took the last message of association
  // `id` after it had ended: nothing is left to keep it for.
  ReceiveDispatcher(AssociationRegistry& registry, PendingOperations& pending,
                    net::SctpStack& stack, std::function<void(uint64_t)> read_out)
      : registry_(registry), pending_(pending), stack_(stack), read_out_(std::move(read_out)) {}

  // Checks a request against the limits; fills in the defaults.
  static absl::StatusOr<ReceiveSpec> Validate(const ReceiveSpec& spec, const Limits& limits);

  // Completes receive `id` if messages are queued for it; true if it did.
  bool TryReceive(OperationId id);
  // Messages came for `association`: serves the receives waiting for them.
  void Serve(Association& association);
  // Pauses or resumes reading `association`'s socket as its queue fills and
  // drains.
  void UpdateReading(Association& association);

 private:
  AssociationRegistry& registry_;
  PendingOperations& pending_;
  net::SctpStack& stack_;
  const std::function<void(uint64_t)> read_out_;
};

}  // namespace sctpgw::core
