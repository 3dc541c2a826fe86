// sctpgw's errors: a canonical code plus a machine-readable reason
// (AIP-193 ErrorInfo: UPPER_SNAKE reason, metadata with the dynamic values).
// Every error the service returns is made here, so the table of reasons and
// their codes lives in one place (see errors.cc and the README).
#pragma once

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sctpgw::core {

enum class Reason {
  kInvalidAddress,            // INVALID_ARGUMENT: not a numeric IPv4/IPv6 address.
  kInvalidPort,               // INVALID_ARGUMENT: port outside 0..65535 (1..65535 for peers).
  kInvalidArgument,           // INVALID_ARGUMENT: any other field out of range.
  kStreamOutOfRange,          // INVALID_ARGUMENT: stream >= negotiated outbound streams.
  kMessageTooLarge,           // INVALID_ARGUMENT: payload above the maximum message size.
  kEmptyMessage,              // INVALID_ARGUMENT: SCTP cannot carry an empty user message.
  kMessageTooLargeForPath,    // INVALID_ARGUMENT: fragments disabled, above the fragmentation point.
  kSessionNotFound,           // NOT_FOUND: no such session (ended, expired, or never opened).
  kEndpointNotFound,          // NOT_FOUND
  kAssociationNotFound,       // NOT_FOUND
  kAssociationNotEstablished, // FAILED_PRECONDITION: shutting down or closed.
  kAssociationClosed,         // FAILED_PRECONDITION: ended while the call waited.
  kEndpointNotListening,      // FAILED_PRECONDITION
  kAssociateFailed,           // UNAVAILABLE: the peer refused or could not be reached.
  kAssociationLost,           // UNAVAILABLE: the association ended while the call waited.
  kLimitExceeded,             // RESOURCE_EXHAUSTED: a named service limit.
  kDeadlineExceeded,          // DEADLINE_EXCEEDED
  kCancelled,                 // CANCELLED
  kHistoryCompacted,          // OUT_OF_RANGE: the requested events are no longer kept.
  kSubscriberTooSlow,         // RESOURCE_EXHAUSTED: an event stream fell behind the history.
  kKernelSctpUnavailable,     // FAILED_PRECONDITION: the kernel has no SCTP.
  kAddressInUse,              // ALREADY_EXISTS: bind() found the address and port taken.
  kAssociationExists,         // ALREADY_EXISTS: the endpoint already has one with that peer.
  kAddressNotAvailable,       // FAILED_PRECONDITION: bind() to an address this host lacks.
  kReconfigurationUnsupported,  // FAILED_PRECONDITION: no ASCONF on this endpoint or the peer.
  kUdpEncapsulationUnavailable,  // FAILED_PRECONDITION: no local UDP port for SCTP over UDP.
  kStreamReconfigurationUnavailable,  // FAILED_PRECONDITION: not allowed here or by the peer.
  kReconfigurationPending,    // UNAVAILABLE: an earlier request or queued messages; retry.
  kInterleavingUnavailable,   // FAILED_PRECONDITION: net.sctp.intl_enable is 0.
  kSchedulerUnsupported,      // FAILED_PRECONDITION: the kernel does not offer that scheduler.
  kAuthUnavailable,           // FAILED_PRECONDITION: no AUTH on the endpoint or the peer.
  kAuthKeyNotFound,           // NOT_FOUND: no key with that id.
  kAuthKeyActive,             // FAILED_PRECONDITION: the active key cannot be deleted.
  kSocketError,               // INTERNAL (or the errno's code): any other kernel error.
  kShuttingDown,              // UNAVAILABLE: the service is stopping.
  kHandedOver,                // UNAVAILABLE: a new sctpgw process takes over; retry there.
};

// "STREAM_OUT_OF_RANGE", ...
const char* ReasonName(Reason reason);
// The canonical code a reason is returned with.
absl::StatusCode ReasonCode(Reason reason);

using ErrorMetadata = std::map<std::string, std::string>;

// An error with `reason`'s code, a message for humans and metadata for code.
absl::Status Error(Reason reason, absl::string_view message, const ErrorMetadata& metadata = {});

// A kernel error (net layer status carrying errno) given a reason: EADDRINUSE
// becomes ADDRESS_IN_USE, EPROTONOSUPPORT KERNEL_SCTP_UNAVAILABLE, and so on.
absl::Status FromKernel(const absl::Status& status, absl::string_view what);

// Adds one metadata value to an error made by Error().
void AddErrorMetadata(absl::Status* status, absl::string_view key, absl::string_view value);

// The reason and metadata attached by Error(), if any.
std::string ErrorReason(const absl::Status& status);
bool HasReason(const absl::Status& status, Reason reason);
ErrorMetadata ErrorMetadataOf(const absl::Status& status);

}  // namespace sctpgw::core
