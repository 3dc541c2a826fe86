// How sctpgw's answers read in the SCTP library's terms: return codes,
// association and path states, and the status of a lost association.
// Pure functions, tested on their own.
#pragma once

#include <string>
#include <vector>

#include "google/protobuf/repeated_ptr_field.h"

#include "absl/status/status.h"
#include "sctpgw/v1/events.pb.h"
#include "sctpgw/v1/types.pb.h"

namespace sctpgw::sctpd {

// SCTP_SUCCESS, or the return code a failed call gives (SCTP_ASSOC_NOT_FOUND,
// SCTP_WRONG_STATE, ...).
int ToReturnCode(const absl::Status& status);
// "REASON: message" for sctpd_lastError(); "" for OK.
std::string ErrorText(const absl::Status& status);
// SCTP_CLOSED .. SCTP_SHUTDOWNACK_SENT.
unsigned short ToAssociationState(v1::KernelAssociationState state);
// SCTP_PATH_OK or SCTP_PATH_UNREACHABLE (SCTP_PathStatus.state).
short ToPathState(v1::PathState state);
// networkStatusChangeNotif's new state for a peer address change; -1 for
// changes the SCTP library did not report.
int ToNetworkStatus(v1::PeerAddressChangeType type);
// communicationLostNotif's status for COMM_LOST or CANT_STR_ASSOC.
unsigned short ToCommLostStatus(const v1::Event& event);
// `ip` in an address field of the SCTP library's structures (NUL-padded,
// at most SCTP_MAX_IP_LEN - 1 characters).
void CopyAddress(const std::string& ip, unsigned char* out);
// The ip of each address, in order: destination address indexes.
std::vector<std::string> IpsOf(
    const google::protobuf::RepeatedPtrField<v1::TransportAddress>& addresses);

}  // namespace sctpgw::sctpd
