// What KernelSctpStack holds of one socket besides the kernel's own state,
// in plain values: enough for another process that adopts the socket (a
// planned handover, docs/handover.md) to go on reading it where this one
// stopped. A message read in part when reading stopped, and the parts of an
// unsent message coming back in SEND_FAILED notifications, would otherwise
// be lost with the process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/net/notification.h"
#include "server/net/sctp_types.h"

namespace sctpgw::net {

// The first pieces of a message or notification whose end is still in the
// kernel's buffer.
struct PartialMessage {
  bool notification = false;
  bool has_info = false;
  AssocId assoc_id = 0;
  uint16_t stream = 0;
  uint16_t ssn = 0;
  uint32_t tsn = 0;
  uint32_t ppid = 0;  // Host byte order.
  bool unordered = false;
  std::string bytes;
  // Delivered in parts so far: the bytes before `bytes`.
  uint64_t offset = 0;
  // The source address of its first piece.
  std::optional<SocketAddress> source;
  // The message is too large: its rest is being dropped (bytes empty).
  bool discarding = false;
};

struct SocketCarryOver {
  // An endpoint's one-to-many socket, or an association peeled off.
  bool one_to_many = true;
  // ASCONF offered (peeled-off sockets do not inherit it from the kernel).
  bool address_reconfiguration = false;
  // Messages read in part, one per association, stream and ordering.
  std::vector<PartialMessage> partials;
  // Dropping the data pieces up to the next MSG_EOR (the rest of a message
  // whose start died with a process).
  bool discarding = false;
  // Oversized incoming messages abort their association rather than arrive
  // in parts.
  bool abort_oversized = false;
  // SEND_FAILED of unsent messages, joined so far, one per association.
  std::vector<Notification> send_failed;
};

}  // namespace sctpgw::net
