// Joins the pieces that recvmsg() returns on one SCTP socket into whole
// messages and whole notifications. A message longer than one read arrives
// in pieces, the last one marked MSG_EOR (RFC 6458 section 3.1.4). A message
// longer than max_message_bytes is dropped whole (what came of it, the piece
// that crosses the limit and every later piece up to its MSG_EOR) and
// reported once.
//
// Threading and ownership: not thread-safe; one per socket, used on the
// thread that reads that socket (KernelSctpStack's loop thread). It owns the
// part of the message still arriving; Add() copies what it keeps of a piece,
// so the caller may reuse its read buffer at once.
#pragma once

#include <netinet/in.h>  // Before netinet/sctp.h, which needs it.
#include <netinet/sctp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "absl/types/span.h"
#include "server/net/sctp_socket.h"
#include "server/net/socket_carry_over.h"

namespace sctpgw::net {

// Nothing to deliver yet: the piece was kept (more pieces are due) or
// dropped (it belongs to a message already reported oversized).
struct NothingReady {};

// A whole message or notification.
struct AssembledMessage {
  // Its first piece's recvmsg() result (MSG_NOTIFICATION, SCTP_RCVINFO),
  // with length the whole's and end_of_record set.
  ReceiveResult info;
  std::string bytes;
};

// A message went past max_message_bytes: what came of it is dropped, and so
// is the rest of it as it arrives.
struct OversizedMessage {
  sctp_assoc_t assoc_id = 0;  // Its first piece's association.
};

using AssemblyResult = std::variant<NothingReady, AssembledMessage, OversizedMessage>;

class MessageAssembler {
 public:
  explicit MessageAssembler(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Takes the socket's next piece: `piece` as recvmsg() described it and
  // its bytes (piece.length of them). Data pieces of a message being dropped
  // are dropped; a notification piece never is.
  AssemblyResult Add(const ReceiveResult& piece, absl::Span<const uint8_t> bytes);

  // Stops dropping the rest of an oversized message: the next data piece
  // starts a new message.
  void StopDiscarding() { discarding_ = false; }

  // What is held of a message still arriving, and whether the rest of one
  // is being dropped; and the same put back (a handover, SocketCarryOver).
  std::optional<PartialMessage> Partial() const;
  bool discarding() const { return discarding_; }
  // Pieces of a message are held, or the rest of one is being dropped.
  bool mid_message() const { return !partial_.empty() || discarding_; }
  // The association of the message whose pieces are held.
  sctp_assoc_t partial_assoc_id() const { return partial_info_.assoc_id; }
  bool holds_pieces() const { return !partial_.empty(); }
  void Restore(const std::optional<PartialMessage>& partial, bool discarding);

 private:
  const size_t max_message_bytes_;
  // What came so far of a message (or notification) still arriving, and
  // its first piece's description.
  std::string partial_;
  ReceiveResult partial_info_;
  // Dropping the rest of a message too large to deliver.
  bool discarding_ = false;
};

}  // namespace sctpgw::net
