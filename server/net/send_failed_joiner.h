// Joins the SCTP_SEND_FAILED(_EVENT) notifications of one unsent message
// back into one. Linux reports a message it had fragmented, and could not
// send, once per DATA chunk, each notification with its part of the payload
// (Notification::first_fragment, last_fragment); the owner wants the message
// it sent back whole. Every other notification passes through, and the
// order of what is delivered is the order of what came.
//
// Threading and ownership: not thread-safe; one per socket, used on the
// thread that reads that socket (KernelSctpStack's loop thread). It holds,
// per association, the joined parts of the one message whose last fragment
// has not come yet.
#pragma once

#include <cstddef>
#include <unordered_map>
#include <vector>

#include "server/net/notification.h"

namespace sctpgw::net {

class SendFailedJoiner {
 public:
  // A message that would be longer than `max_message_bytes` joined is not
  // one the owner sent: it is delivered in parts.
  explicit SendFailedJoiner(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Takes the socket's next notification; returns what is ready to deliver,
  // in order (nothing while more fragments of a message are due).
  std::vector<Notification> Add(Notification notification);

  // The messages joined so far whose last fragment has not come, and the
  // same put back (a handover, SocketCarryOver).
  std::vector<Notification> Pending() const;
  void Restore(std::vector<Notification> pending);

 private:
  const size_t max_message_bytes_;
  // Per association: an unsent message coming back in SEND_FAILED
  // notifications, one per fragment, until its last fragment.
  std::unordered_map<AssocId, Notification> pending_;
};

}  // namespace sctpgw::net
