// The counts that say what a crash lost, in shared memory that outlives the
// process (a memfd kept in the file descriptor store): the last event
// sequence handed out, how many received messages each association has
// queued for its application, and which sockets were being read in the
// middle of a message. Stores into it are plain memory writes, made as
// things change; the next process reads what they were when this one died.
//
// Layout (native byte order: it never leaves the machine): a header, then
// `slots` slots of {key, value}. A key of 0 is a free slot; otherwise its
// top two bits say what it counts (kQueueSlot: an association's queue
// length; kMidMessageSlot: a socket read in the middle of a message, the
// value saying whether pieces were held and of which association).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "server/net/unique_fd.h"

namespace sctpgw::survival {

// What a dead process's ledger says.
struct LedgerContents {
  uint64_t last_sequence = 0;
  struct Held {
    uint64_t queued = 0;     // Not yet given to a receive call.
    uint64_t unsettled = 0;  // Being written to one.
  };
  // Association id -> messages held for its application.
  std::map<uint64_t, Held> held;
  struct MidMessage {
    bool held = false;  // Pieces of a message were held (one message lost).
    int32_t assoc_id = 0;
  };
  // Socket id (the dead process's) -> how its reading stood.
  std::map<uint64_t, MidMessage> mid_message;
  // The socket being read when the process died (0: none): what it read
  // may be lost.
  uint64_t reading_socket = 0;
};

class Ledger {
 public:
  // A new ledger with room for `slots` counts.
  static absl::StatusOr<Ledger> Create(size_t slots);
  // Reads the ledger another process left in `fd` (bytes from anyone: a
  // ledger that is not one, or is torn, is INVALID_ARGUMENT).
  static absl::StatusOr<LedgerContents> Read(int fd);

  Ledger(Ledger&& other) noexcept;
  Ledger& operator=(Ledger&& other) noexcept;
  ~Ledger();

  int fd() const { return fd_.get(); }

  // The counter of the last event sequence handed out.
  uint64_t* SequenceCounter();
  // Where the socket being read is marked (SocketKeeper::ReadMarker).
  uint64_t* ReadingSocket();
  // The counter of an association's messages held (its queue length and
  // its messages being written, as Association::MirrorQueueLength writes
  // them); nullptr when full.
  uint64_t* QueueCounter(uint64_t association_id);
  void ReleaseQueueCounter(uint64_t association_id);
  void SetMidMessage(uint64_t socket_id, bool mid, bool held, int32_t assoc_id);

 private:
  struct Header;
  struct Slot;
  Ledger(net::UniqueFd fd, void* memory, size_t bytes);
  Slot* Claim(uint64_t key);
  void Free(uint64_t key);

  net::UniqueFd fd_;
  void* memory_ = nullptr;
  size_t bytes_ = 0;
  std::map<uint64_t, size_t> used_;  // Key -> slot index.
  std::vector<size_t> free_;         // Slot indexes, the lowest last.
};

}  // namespace sctpgw::survival
