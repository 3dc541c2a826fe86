// What another party keeps of the stack's sockets so that they outlive this
// process (crash survival, docs/handover.md): it is told of every socket the
// stack takes and lets go of, and of every read that stops in the middle of
// a message. KernelSctpStack calls it on the loop thread, inside the call
// that opened, peeled off, adopted, closed or read the socket; it must not
// call back into the stack.
#pragma once

#include <cstdint>

#include "server/net/sctp_stack.h"
#include "server/net/sctp_types.h"

namespace sctpgw::net {

class SocketKeeper {
 public:
  virtual ~SocketKeeper() = default;
  // The stack holds `id` on `fd` (the stack's; valid until Dropped(id)).
  virtual void Kept(SocketId id, int fd, bool one_to_many) = 0;
  // The stack has closed `id`.
  virtual void Dropped(SocketId id) = 0;
  // Reading `id` is now in the middle of a message (`mid`) or no longer.
  // With `held`, the first pieces of a message of `assoc_id` are held (they
  // go with this process); without it only the rest of a message too large
  // to deliver is being dropped.
  virtual void MidMessage(SocketId id, bool mid, bool held, AssocId assoc_id) = 0;
  // Where the stack writes the id of the socket it is reading from, from
  // before recvmsg() until what it read has been handed on (0 between
  // reads): a message read when the process died is then known to be
  // perhaps lost. nullptr: not kept.
  virtual uint64_t* ReadMarker() = 0;
};

}  // namespace sctpgw::net
