// Joins the pieces that recvmsg() returns on one SCTP socket into whole
// messages and whole notifications. A message longer than one read arrives
// in pieces, the last one marked MSG_EOR (RFC 6458 section 3.1.4). Pieces
// are joined per association, stream and ordering: with message
// interleaving (RFC 8260 I-DATA, SCTP_FRAGMENT_INTERLEAVE) the kernel may
// deliver the pieces of messages of several streams in turn. A message
// longer than max_message_bytes is dropped whole (what came of it, the
// piece that crosses the limit and every later piece of it up to its
// MSG_EOR) and reported once.
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
#include <map>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

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

  // Stops dropping the rest of oversized messages: the next data piece
  // starts a new message.
  void StopDiscarding();

  // What is held of messages still arriving (with discarding set: the rest
  // of an oversized one is being dropped), and whether the rest of a
  // message whose start is unknown is being dropped; and the same put back
  // (a handover, SocketCarryOver).
  std::vector<PartialMessage> Partials() const;
  bool discarding() const { return discarding_; }
  // Pieces of a message are held, or the rest of one is being dropped.
  bool mid_message() const { return !pending_.empty() || discarding_; }
  // The association of the first message whose pieces are held.
  sctp_assoc_t partial_assoc_id() const;
  bool holds_pieces() const;
  void Restore(const std::vector<PartialMessage>& partials, bool discarding);

 private:
  // Which message a piece belongs to.
  struct Key {
    bool notification = false;
    sctp_assoc_t assoc_id = 0;
    uint16_t stream = 0;
    bool unordered = false;
    bool operator<(const Key& other) const {
      return std::tie(notification, assoc_id, stream, unordered) <
             std::tie(other.notification, other.assoc_id, other.stream, other.unordered);
    }
  };
  static Key KeyOf(bool notification, sctp_assoc_t assoc_id, uint16_t stream, bool unordered);
  // What came so far of a message (or notification) still arriving, and
  // its first piece's description; or, discarding, the message is too
  // large and its rest is dropped.
  struct Pending {
    ReceiveResult info;
    std::string bytes;
    bool discarding = false;
  };

  const size_t max_message_bytes_;
  std::map<Key, Pending> pending_;
  // Dropping the data pieces up to the next MSG_EOR, whatever their
  // stream: the rest of a message whose start died with a process.
  bool discarding_ = false;
};

}  // namespace sctpgw::net
