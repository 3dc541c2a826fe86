#include "server/net/kernel_values.h"

#include <netinet/in.h>  // Before netinet/sctp.h, which needs it.
#include <netinet/sctp.h>

namespace sctpgw::net {

PathState DecodePathState(int32_t state) {
  switch (state) {
    case SCTP_ACTIVE: return PathState::kActive;
    case SCTP_INACTIVE: return PathState::kInactive;
    case SCTP_UNCONFIRMED: return PathState::kUnconfirmed;
    case SCTP_PF: return PathState::kPotentiallyFailed;
    default: return PathState::kUnknown;
  }
}

ProtocolState DecodeProtocolState(int32_t state) {
  switch (state) {
    case SCTP_CLOSED: return ProtocolState::kClosed;
    case SCTP_COOKIE_WAIT: return ProtocolState::kCookieWait;
    case SCTP_COOKIE_ECHOED: return ProtocolState::kCookieEchoed;
    case SCTP_ESTABLISHED: return ProtocolState::kEstablished;
    case SCTP_SHUTDOWN_PENDING: return ProtocolState::kShutdownPending;
    case SCTP_SHUTDOWN_SENT: return ProtocolState::kShutdownSent;
    case SCTP_SHUTDOWN_RECEIVED: return ProtocolState::kShutdownReceived;
    case SCTP_SHUTDOWN_ACK_SENT: return ProtocolState::kShutdownAckSent;
    default: return ProtocolState::kUnknown;
  }
}

AssociationChange DecodeAssociationChange(uint32_t state) {
  switch (state) {
    case SCTP_COMM_UP: return AssociationChange::kCommUp;
    case SCTP_COMM_LOST: return AssociationChange::kCommLost;
    case SCTP_RESTART: return AssociationChange::kRestart;
    case SCTP_SHUTDOWN_COMP: return AssociationChange::kShutdownComplete;
    case SCTP_CANT_STR_ASSOC: return AssociationChange::kCantStartAssociation;
    default: return AssociationChange::kUnknown;
  }
}

PeerAddressState DecodePeerAddressState(uint32_t state) {
  switch (state) {
    case SCTP_ADDR_AVAILABLE: return PeerAddressState::kAvailable;
    case SCTP_ADDR_UNREACHABLE: return PeerAddressState::kUnreachable;
    case SCTP_ADDR_REMOVED: return PeerAddressState::kRemoved;
    case SCTP_ADDR_ADDED: return PeerAddressState::kAdded;
    case SCTP_ADDR_MADE_PRIM: return PeerAddressState::kMadePrimary;
    case SCTP_ADDR_CONFIRMED: return PeerAddressState::kConfirmed;
    case SCTP_ADDR_POTENTIALLY_FAILED: return PeerAddressState::kPotentiallyFailed;
    default: return PeerAddressState::kUnknown;
  }
}

}  // namespace sctpgw::net
