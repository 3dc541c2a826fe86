// A start after a crash (docs/handover.md): what the service manager handed
// back from its file descriptor store — SCTP sockets, the newest state
// record, the ledger — put back into the stack and the core, as a planned
// handover's taker would, and what could not be kept reported:
//   - messages the dead process had read and not delivered (the ledger's
//     counts): a MESSAGES_LOST event to each association's session;
//   - a message whose first pieces it held: its rest is dropped as it
//     arrives and it counts as one lost;
//   - an association whose socket did not come back: COMM_LOST, saying why.
// Sockets the record does not name (taken within moments of the crash) are
// closed. Nothing handed back: nothing to do.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "server/core/gateway.h"
#include "server/net/kernel_sctp_stack.h"
#include "server/survival/fd_store.h"
#include "server/survival/survival_keeper.h"

namespace sctpgw::survival {

struct Recovered {
  KeptState kept;  // For SurvivalKeeper::Start.
  bool restored = false;  // The core was restored (and is frozen: Thaw() it).
  // The record was written by a stop for a restart: nothing was lost.
  bool complete = false;
  size_t associations = 0;
  uint64_t messages_lost = 0;
  uint64_t messages_unconfirmed = 0;
};

// On any thread but the stack's, before anything serves. Errors in what was
// handed back are logged and the process starts with what could be kept;
// the error returned is only for a core that already holds state.
absl::StatusOr<Recovered> Recover(FdStore& store, net::KernelSctpStack& stack,
                                  core::Gateway& gateway, std::vector<StoredFd> handed_back);

}  // namespace sctpgw::survival
