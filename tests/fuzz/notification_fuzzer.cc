// Fuzzes the notification decoder with arbitrary bytes, as if the kernel had
// delivered them with MSG_NOTIFICATION. The decoder must never read out of
// bounds or crash; what it accepts must be self-consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "server/net/notification.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sctpgw::net::DecodeNotification;
  using sctpgw::net::NotificationType;
  auto decoded = DecodeNotification(absl::Span<const uint8_t>(data, size));
  if (!decoded.ok()) {
    // Malformed input is INVALID_ARGUMENT with a message, never anything else.
    if (decoded.status().code() != absl::StatusCode::kInvalidArgument ||
        decoded.status().message().empty()) {
      std::abort();
    }
    return 0;
  }
  // Everything decoded came from the input: no more bytes than were given.
  if (decoded->data.size() > size) std::abort();
  if (decoded->streams.size() * sizeof(uint16_t) > size) std::abort();
  // The names used in logs and metrics exist for whatever was decoded.
  if (sctpgw::net::NotificationTypeName(decoded->type) == nullptr) std::abort();
  if (decoded->type == NotificationType::kAssociationChange &&
      sctpgw::net::AssociationChangeName(decoded->association_change) == nullptr) {
    std::abort();
  }
  if (decoded->type == NotificationType::kPeerAddressChange &&
      sctpgw::net::PeerAddressStateName(decoded->address_state) == nullptr) {
    std::abort();
  }
  if (decoded->address.has_value()) (void)decoded->address->ToString();
  return 0;
}
