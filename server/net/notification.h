// Decodes the notifications the kernel delivers on an SCTP socket
// (MSG_NOTIFICATION, RFC 6458 section 6.1) into a plain value. Works on bytes
// only: what the kernel gives is treated as untrusted input, every length is
// checked, and malformed input is an error, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "server/net/sctp_types.h"
#include "server/net/socket_address.h"

namespace sctpgw::net {

enum class NotificationType {
  kAssociationChange,     // SCTP_ASSOC_CHANGE
  kPeerAddressChange,     // SCTP_PEER_ADDR_CHANGE
  kRemoteError,           // SCTP_REMOTE_ERROR
  kSendFailed,            // SCTP_SEND_FAILED and SCTP_SEND_FAILED_EVENT
  kShutdown,              // SCTP_SHUTDOWN_EVENT
  kAdaptationIndication,  // SCTP_ADAPTATION_INDICATION
  kPartialDelivery,       // SCTP_PARTIAL_DELIVERY_EVENT
  kAuthentication,        // SCTP_AUTHENTICATION_EVENT
  kSenderDry,             // SCTP_SENDER_DRY_EVENT
  kStreamReset,           // SCTP_STREAM_RESET_EVENT
  kAssociationReset,      // SCTP_ASSOC_RESET_EVENT
  kStreamChange,          // SCTP_STREAM_CHANGE_EVENT
};

// SCTP_ASSOC_CHANGE's sac_state.
enum class AssociationChange {
  kUnknown,
  kCommUp,
  kCommLost,
  kRestart,
  kShutdownComplete,
  kCantStartAssociation,
};

// SCTP_PEER_ADDR_CHANGE's spc_state.
enum class PeerAddressState {
  kUnknown,
  kAvailable,
  kUnreachable,
  kRemoved,
  kAdded,
  kMadePrimary,
  kConfirmed,
  kPotentiallyFailed,
};

// One decoded notification. Which fields are meaningful depends on `type`;
// the others stay zero or empty.
struct Notification {
  NotificationType type = NotificationType::kAssociationChange;
  AssocId assoc_id = 0;
  // kStreamReset, kAssociationReset, kStreamChange: the event's flags as
  // RFC 6458 section 6.1 numbers them (SCTP_STREAM_RESET_INCOMING_SSN, ...),
  // passed on as they are.
  uint16_t flags = 0;

  AssociationChange association_change = AssociationChange::kUnknown;  // kAssociationChange
  PeerAddressState address_state = PeerAddressState::kUnknown;         // kPeerAddressChange
  // kPartialDelivery and kAuthentication: the indication, as the kernel gives it.
  uint32_t indication = 0;
  // sac_error, spc_error, sre_error (host order), ssf_error.
  uint32_t error = 0;

  // kAssociationChange and kStreamChange.
  uint16_t outbound_streams = 0;
  uint16_t inbound_streams = 0;

  // kPeerAddressChange.
  std::optional<SocketAddress> address;

  // kSendFailed: how the message was sent, and the message itself.
  uint16_t stream = 0;
  uint32_t ppid = 0;  // Host byte order.
  uint32_t context = 0;
  bool sent = false;        // SCTP_DATA_SENT: it was on the wire, unacknowledged.
  bool unordered = false;   // Sent unordered (normalised for both event kinds).
  // Linux reports a fragmented message that was not sent once per DATA
  // chunk, each with its part of the payload: these say which part this is
  // (both true for a whole message). SendFailedJoiner joins the parts.
  bool first_fragment = true;
  bool last_fragment = true;

  // kAdaptationIndication.
  uint32_t adaptation_indication = 0;
  // kPartialDelivery.
  uint32_t pd_stream = 0;
  uint32_t pd_sequence = 0;
  // kAuthentication.
  uint16_t key_number = 0;
  // kStreamReset.
  std::vector<uint16_t> streams;
  // kAssociationReset.
  uint32_t local_tsn = 0;
  uint32_t remote_tsn = 0;

  // sac_info (ABORT cause or supported features), sre_data (the error
  // cause TLV), ssf_data (the undelivered message).
  std::string data;
};

// Decodes one complete notification. INVALID_ARGUMENT for anything
// truncated, inconsistent or of an unknown type.
absl::StatusOr<Notification> DecodeNotification(absl::Span<const uint8_t> bytes);

// The notification types sctpgw subscribes to (SCTP_EVENT), in the form the
// kernel wants them.
const std::vector<uint16_t>& SubscribedNotificationTypes();

// "assoc_change", "peer_addr_change", ...: for metrics and logs.
const char* NotificationTypeName(NotificationType type);
// "COMM_UP", "ADDR_UNREACHABLE", ...: for logs and messages.
const char* AssociationChangeName(AssociationChange change);
const char* PeerAddressStateName(PeerAddressState state);

}  // namespace sctpgw::net
