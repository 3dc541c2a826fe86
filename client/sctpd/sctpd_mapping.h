// How sctpgw's answers read in the SCTP library's terms: return codes,
// association and path states, and the status of a lost association.
// Pure functions, tested on their own.
#pragma once

#include <string>

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

}  // namespace sctpgw::sctpd
