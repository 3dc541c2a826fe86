// Human-readable one-line descriptions of sctpgw's events, messages and
// errors, as sctpctl and the examples print them.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "sctpgw/v1/events.pb.h"
#include "sctpgw/v1/types.pb.h"

namespace sctpgw::client {

// "COMM_UP association 3 endpoint 1 streams in 10 out 10",
// "PEER_ADDRESS UNREACHABLE 198.51.100.2 association 3 error 0", ...
std::string DescribeEvent(const v1::Event& event);
// "ip:port" or "[ipv6]:port".
std::string DescribeAddress(const v1::TransportAddress& address);
// "ACTIVE", "INACTIVE", ... (the enum name without its prefix).
std::string PathStateName(v1::PathState state);
std::string AssociationStateName(v1::AssociationState state);
// "NOT_FOUND ASSOCIATION_NOT_FOUND: association 9 does not exist".
std::string DescribeError(const absl::Status& status);

}  // namespace sctpgw::client
