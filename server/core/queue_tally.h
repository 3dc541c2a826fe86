// Where the count of messages held for applications is mirrored, one
// counter per association (Association::MirrorQueueLength says how), so that another process can read what this one
// held should it die (crash survival, docs/handover.md). The counters live
// outside the core (shared memory, server/survival); the core only writes
// them, on its own thread, as its queues change.
#pragma once

#include <cstdint>

namespace sctpgw::core {

class QueueTally {
 public:
  virtual ~QueueTally() = default;
  // The counter for `association_id`, valid until Untrack(); nullptr when
  // there is no room (the association is then not tallied).
  virtual uint64_t* Track(uint64_t association_id) = 0;
  virtual void Untrack(uint64_t association_id) = 0;
};

}  // namespace sctpgw::core
