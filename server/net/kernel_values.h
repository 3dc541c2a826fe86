// The kernel's SCTP values (RFC 6458 constants from <netinet/sctp.h>)
// decoded into net's own enums, so that no SCTP_* constant travels above the
// net layer. A value this build does not know decodes to kUnknown.
#pragma once

#include <cstdint>

#include "server/net/notification.h"
#include "server/net/sctp_types.h"

namespace sctpgw::net {

PathState DecodePathState(int32_t state);                       // enum sctp_spinfo_state
ProtocolState DecodeProtocolState(int32_t state);               // enum sctp_sstat_state
AssociationChange DecodeAssociationChange(uint32_t state);      // sac_state
PeerAddressState DecodePeerAddressState(uint32_t state);        // spc_state

}  // namespace sctpgw::net
