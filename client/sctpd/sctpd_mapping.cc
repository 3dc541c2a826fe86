#include "sctpd_mapping.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "sctpgw/client.h"
#include "ua.h"

namespace sctpgw::sctpd {

int ToReturnCode(const absl::Status& status) {
  if (status.ok()) return SCTP_SUCCESS;
  const std::string reason = client::ErrorReason(status);
  if (reason == "ASSOCIATION_NOT_FOUND") return SCTP_ASSOC_NOT_FOUND;
  if (reason == "ENDPOINT_NOT_FOUND") return SCTP_INSTANCE_NOT_FOUND;
  if (reason == "SESSION_NOT_FOUND") return SCTP_LIBRARY_NOT_INITIALIZED;
  if (reason == "INVALID_ADDRESS" || reason == "ADDRESS_IN_USE" ||
      reason == "ADDRESS_NOT_AVAILABLE") {
    return SCTP_WRONG_ADDRESS;
  }
  if (reason == "ASSOCIATION_NOT_ESTABLISHED" || reason == "ASSOCIATION_CLOSED") {
    return SCTP_WRONG_STATE;
  }
  if (reason == "LIMIT_EXCEEDED") return SCTP_OUT_OF_RESOURCES;
  if (reason == "KERNEL_SCTP_UNAVAILABLE") return SCTP_MODULE_NOT_FOUND;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return SCTP_PARAMETER_PROBLEM;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return SCTP_INSUFFICIENT_PRIVILEGES;
    case absl::StatusCode::kDeadlineExceeded:
      // A send that waited for room in the kernel's buffer until its deadline.
      return SCTP_QUEUE_EXCEEDED;
    case absl::StatusCode::kUnimplemented:
      return SCTP_NOT_SUPPORTED;
    case absl::StatusCode::kUnavailable:
      // sctpgw is away (no reason) or stopping; an association failing to
      // come up (ASSOCIATE_FAILED) is reported by its callbacks.
      return reason.empty() || reason == "SHUTTING_DOWN" || reason == "HANDED_OVER"
                 ? SCTP_MODULE_NOT_FOUND
                 : SCTP_UNSPECIFIED_ERROR;
    default:
      return SCTP_UNSPECIFIED_ERROR;
  }
}

std::string ErrorText(const absl::Status& status) {
  if (status.ok()) return "";
  std::string reason = client::ErrorReason(status);
  return reason.empty() ? std::string(status.message())
                        : absl::StrCat(reason, ": ", status.message());
}

unsigned short ToAssociationState(v1::KernelAssociationState state) {
  switch (state) {
    case v1::KERNEL_ASSOCIATION_STATE_COOKIE_WAIT: return SCTP_COOKIE_WAIT;
    case v1::KERNEL_ASSOCIATION_STATE_COOKIE_ECHOED: return SCTP_COOKIE_ECHOED;
    case v1::KERNEL_ASSOCIATION_STATE_ESTABLISHED: return SCTP_ESTABLISHED;
    case v1::KERNEL_ASSOCIATION_STATE_SHUTDOWN_PENDING: return SCTP_SHUTDOWN_PENDING;
    case v1::KERNEL_ASSOCIATION_STATE_SHUTDOWN_SENT: return SCTP_SHUTDOWN_SENT;
    case v1::KERNEL_ASSOCIATION_STATE_SHUTDOWN_RECEIVED: return SCTP_SHUTDOWN_RECEIVED;
    case v1::KERNEL_ASSOCIATION_STATE_SHUTDOWN_ACK_SENT: return SCTP_SHUTDOWNACK_SENT;
    default: return SCTP_CLOSED;
  }
}

short ToPathState(v1::PathState state) {
  return state == v1::PATH_STATE_ACTIVE || state == v1::PATH_STATE_POTENTIALLY_FAILED
             ? SCTP_PATH_OK
             : SCTP_PATH_UNREACHABLE;
}

int ToNetworkStatus(v1::PeerAddressChangeType type) {
  switch (type) {
    case v1::PEER_ADDRESS_CHANGE_TYPE_AVAILABLE: return SCTP_PATH_OK;
    case v1::PEER_ADDRESS_CHANGE_TYPE_UNREACHABLE: return SCTP_PATH_UNREACHABLE;
    case v1::PEER_ADDRESS_CHANGE_TYPE_ADDED: return SCTP_PATH_ADDED;
    case v1::PEER_ADDRESS_CHANGE_TYPE_REMOVED: return SCTP_PATH_REMOVED;
    case v1::PEER_ADDRESS_CHANGE_TYPE_CONFIRMED: return SCTP_PATH_CONFIRMED;
    default: return -1;  // MADE_PRIMARY, POTENTIALLY_FAILED: not the library's news.
  }
}

unsigned short ToCommLostStatus(const v1::Event& event) {
  const v1::AssociationChange& change = event.association_change();
  if (change.type() == v1::ASSOCIATION_CHANGE_TYPE_CANT_STR_ASSOC) {
    return SCTP_COMM_LOST_ENDPOINT_UNREACHABLE;
  }
  // An ABORT (with a cause, or sent by sctpgw itself, which says why) or
  // else retransmissions running out: Linux does not tell more.
  if (change.error() != 0 || !event.detail().empty()) return SCTP_COMM_LOST_ABORTED;
  return SCTP_COMM_LOST_EXCEEDED_RETRANSMISSIONS;
}

void CopyAddress(const std::string& ip, unsigned char* out) {
  std::memset(out, 0, SCTP_MAX_IP_LEN);
  std::memcpy(out, ip.data(), std::min<size_t>(ip.size(), SCTP_MAX_IP_LEN - 1));
}

std::vector<std::string> IpsOf(
    const google::protobuf::RepeatedPtrField<v1::TransportAddress>& addresses) {
  std::vector<std::string> ips;
  for (const v1::TransportAddress& a : addresses) ips.push_back(a.ip());
  return ips;
}

}  // namespace sctpgw::sctpd
