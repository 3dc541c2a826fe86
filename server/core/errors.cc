#include "server/core/errors.h"

#include <cerrno>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/net/errno_status.h"

namespace sctpgw::core {
namespace {

constexpr absl::string_view kReasonUrl = "type.sctpgw.dev/reason";
constexpr absl::string_view kMetadataUrlPrefix = "type.sctpgw.dev/metadata/";

struct ReasonRow {
  Reason reason;
  const char* name;
  absl::StatusCode code;
};

// The table of every reason sctpgw returns and its canonical code.
constexpr ReasonRow kReasons[] = {
    {Reason::kInvalidAddress, "INVALID_ADDRESS", absl::StatusCode::kInvalidArgument},
    {Reason::kInvalidPort, "INVALID_PORT", absl::StatusCode::kInvalidArgument},
    {Reason::kInvalidArgument, "INVALID_ARGUMENT", absl::StatusCode::kInvalidArgument},
    {Reason::kStreamOutOfRange, "STREAM_OUT_OF_RANGE", absl::StatusCode::kInvalidArgument},
    {Reason::kMessageTooLarge, "MESSAGE_TOO_LARGE", absl::StatusCode::kInvalidArgument},
    {Reason::kEmptyMessage, "EMPTY_MESSAGE", absl::StatusCode::kInvalidArgument},
    {Reason::kMessageTooLargeForPath, "MESSAGE_TOO_LARGE_FOR_PATH", absl::StatusCode::kInvalidArgument},
    {Reason::kSessionNotFound, "SESSION_NOT_FOUND", absl::StatusCode::kNotFound},
    {Reason::kEndpointNotFound, "ENDPOINT_NOT_FOUND", absl::StatusCode::kNotFound},
    {Reason::kAssociationNotFound, "ASSOCIATION_NOT_FOUND", absl::StatusCode::kNotFound},
    {Reason::kAssociationNotEstablished, "ASSOCIATION_NOT_ESTABLISHED",
     absl::StatusCode::kFailedPrecondition},
    {Reason::kAssociationClosed, "ASSOCIATION_CLOSED", absl::StatusCode::kFailedPrecondition},
    {Reason::kEndpointNotListening, "ENDPOINT_NOT_LISTENING",
     absl::StatusCode::kFailedPrecondition},
    {Reason::kAssociateFailed, "ASSOCIATE_FAILED", absl::StatusCode::kUnavailable},
    {Reason::kAssociationLost, "ASSOCIATION_LOST", absl::StatusCode::kUnavailable},
    {Reason::kLimitExceeded, "LIMIT_EXCEEDED", absl::StatusCode::kResourceExhausted},
    {Reason::kDeadlineExceeded, "DEADLINE_EXCEEDED", absl::StatusCode::kDeadlineExceeded},
    {Reason::kCancelled, "CANCELLED", absl::StatusCode::kCancelled},
    {Reason::kHistoryCompacted, "HISTORY_COMPACTED", absl::StatusCode::kOutOfRange},
    {Reason::kSubscriberTooSlow, "SUBSCRIBER_TOO_SLOW", absl::StatusCode::kResourceExhausted},
    {Reason::kKernelSctpUnavailable, "KERNEL_SCTP_UNAVAILABLE",
     absl::StatusCode::kFailedPrecondition},
    {Reason::kAddressInUse, "ADDRESS_IN_USE", absl::StatusCode::kAlreadyExists},
    {Reason::kAssociationExists, "ASSOCIATION_EXISTS", absl::StatusCode::kAlreadyExists},
    {Reason::kAddressNotAvailable, "ADDRESS_NOT_AVAILABLE", absl::StatusCode::kFailedPrecondition},
    {Reason::kReconfigurationUnsupported, "RECONFIGURATION_UNSUPPORTED",
     absl::StatusCode::kFailedPrecondition},
    {Reason::kUdpEncapsulationUnavailable, "UDP_ENCAPSULATION_UNAVAILABLE",
     absl::StatusCode::kFailedPrecondition},
    {Reason::kStreamReconfigurationUnavailable, "STREAM_RECONFIGURATION_UNAVAILABLE",
     absl::StatusCode::kFailedPrecondition},
    {Reason::kReconfigurationPending, "RECONFIGURATION_PENDING", absl::StatusCode::kUnavailable},
    {Reason::kInterleavingUnavailable, "INTERLEAVING_UNAVAILABLE",
     absl::StatusCode::kFailedPrecondition},
    {Reason::kSchedulerUnsupported, "SCHEDULER_UNSUPPORTED", absl::StatusCode::kFailedPrecondition},
    {Reason::kAuthUnavailable, "AUTH_UNAVAILABLE", absl::StatusCode::kFailedPrecondition},
    {Reason::kAuthKeyNotFound, "AUTH_KEY_NOT_FOUND", absl::StatusCode::kNotFound},
    {Reason::kAuthKeyActive, "AUTH_KEY_ACTIVE", absl::StatusCode::kFailedPrecondition},
    {Reason::kSocketError, "SOCKET_ERROR", absl::StatusCode::kInternal},
    {Reason::kShuttingDown, "SHUTTING_DOWN", absl::StatusCode::kUnavailable},
    {Reason::kHandedOver, "HANDED_OVER", absl::StatusCode::kUnavailable},
};

const ReasonRow& Row(Reason reason) {
  for (const ReasonRow& row : kReasons) {
    if (row.reason == reason) return row;
  }
  return kReasons[0];  // Unreachable: every Reason has a row.
}

}  // namespace

const char* ReasonName(Reason reason) { return Row(reason).name; }
absl::StatusCode ReasonCode(Reason reason) { return Row(reason).code; }

absl::Status Error(Reason reason, absl::string_view message, const ErrorMetadata& metadata) {
  absl::Status status(ReasonCode(reason), message);
  status.SetPayload(kReasonUrl, absl::Cord(ReasonName(reason)));
  for (const auto& [key, value] : metadata) {
    status.SetPayload(absl::StrCat(kMetadataUrlPrefix, key), absl::Cord(value));
  }
  return status;
}

absl::Status FromKernel(const absl::Status& status, absl::string_view what) {
  if (status.ok()) return status;
  if (!ErrorReason(status).empty()) return status;
  int error = net::StatusErrno(status);
  std::string message = absl::StrCat(what, ": ", status.message());
  ErrorMetadata metadata;
  if (error != 0) metadata["errno"] = absl::StrCat(error);
  switch (error) {
    case EADDRINUSE:
      return Error(Reason::kAddressInUse, message, metadata);
    case EADDRNOTAVAIL:
      return Error(Reason::kAddressNotAvailable, message, metadata);
    case EPROTONOSUPPORT:
    case ESOCKTNOSUPPORT:
      return Error(Reason::kKernelSctpUnavailable, message, metadata);
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOBUFS:
      return Error(Reason::kLimitExceeded, message, metadata);
    default:
      break;
  }
  if (status.code() == absl::StatusCode::kFailedPrecondition &&
      absl::StrContains(status.message(), "no SCTP")) {
    return Error(Reason::kKernelSctpUnavailable, message, metadata);
  }
  if (status.code() == absl::StatusCode::kInvalidArgument && error == 0) {
    return Error(Reason::kInvalidArgument, message, metadata);
  }
  absl::Status result = Error(Reason::kSocketError, message, metadata);
  return result;
}

void AddErrorMetadata(absl::Status* status, absl::string_view key, absl::string_view value) {
  status->SetPayload(absl::StrCat(kMetadataUrlPrefix, key), absl::Cord(value));
}

std::string ErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonUrl);
  return payload ? std::string(*payload) : std::string();
}

bool HasReason(const absl::Status& status, Reason reason) {
  auto payload = status.GetPayload(kReasonUrl);
  return payload.has_value() && *payload == ReasonName(reason);
}

ErrorMetadata ErrorMetadataOf(const absl::Status& status) {
  ErrorMetadata metadata;
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& value) {
    if (absl::StartsWith(url, kMetadataUrlPrefix)) {
      metadata[std::string(url.substr(kMetadataUrlPrefix.size()))] = std::string(value);
    }
  });
  return metadata;
}

}  // namespace sctpgw::core
