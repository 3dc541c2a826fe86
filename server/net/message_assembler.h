// Joins the pieces that recvmsg() returns on one SCTP socket into whole
// messages and whole notifications. A message longer than one read arrives
// in pieces, the last one marked MSG_EOR (RFC 6458 section 3.1.4). Pieces
// are joined per association, stream and ordering: with message
// interleaving (RFC 8260 I-DATA, SCTP_FRAGMENT_INTERLEAVE) the kernel may
// deliver the pieces of messages of several streams in turn. A message
// longer than max_message_bytes is delivered in consecutive parts of
// max_message_bytes (the last one shorter), each marked with its offset and
// whether more follows; or, with deliver_in_pieces off, dropped whole (what
// came of it, the piece that crosses the limit and every later piece of it
// up to its MSG_EOR) and reported once. Notifications are never cut.
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
#include <deque>
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
  // A part of a message longer than max_message_bytes: where it starts in
  // the message, and whether more of it follows.
  uint64_t offset = 0;
  bool more_follows = false;
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

  // Messages longer than the maximum: delivered in parts (true, the
  // default) or dropped and reported (false).
  void set_deliver_in_pieces(bool on) { deliver_in_pieces_ = on; }
  bool deliver_in_pieces() const { return deliver_in_pieces_; }

  // Takes the socket's next piece: `piece` as recvmsg() described it and
  // its bytes (piece.length of them). Data pieces of a message being dropped
  // are dropped; a notification piece never is.
  AssemblyResult Add(const ReceiveResult& piece, absl::Span<const uint8_t> bytes);
  // The further parts of a long message that the last Add() completed
  // (one piece read may complete several), in order; empty once taken.
  std::optional<AssembledMessage> TakeReady();

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
    uint64_t offset = 0;  // Bytes of the message already delivered in parts.
    bool discarding = false;
  };
  // Cuts parts of max_message_bytes off `pending` into ready_ while it
  // holds more, and the rest too when the message is complete.
  void CutParts(Pending& pending, bool complete);

  const size_t max_message_bytes_;
  bool deliver_in_pieces_ = true;
  std::map<Key, Pending> pending_;
  std::deque<AssembledMessage> ready_;
  // Dropping the data pieces up to the next MSG_EOR, whatever their
  // stream: the rest of a message whose start died with a process.
  bool discarding_ = false;
};

}  // namespace sctpgw::net
