// Human-readable one-line descriptions of sctpgw's events, messages and
// errors, as sctpctl and the examples print them.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "sctpgw/v1/events.pb.h"
#include "sctpgw/v1/gateway_service.pb.h"
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
// What a received message is, without its payload: "association 3 stream 1
// ppid 5", then " unordered", for a piece of a longer message " offset N
// more-follows" or " offset N last-piece", and with `with_source` its source
// address " from 198.51.100.2:2905" where the kernel gave one.
std::string DescribeMessage(const v1::InboundMessage& message, bool with_source = false);
// An endpoint's socket settings as sctpctl's options say them, each present
// one: "cookie-life 60000 receive-window 524288 max-segment 0
// partial-delivery-point 262144", then " disable-fragments", " bundle".
std::string DescribeSocketSettings(const v1::SocketSettings& settings);
// "pieces" or "abort" (UNSPECIFIED reads as the default, "pieces").
std::string OversizedMessagesName(v1::OversizedMessages policy);
// An association's counters on two lines (no trailing newline):
// "packets sent 120 received 118, DATA chunks sent 100 ordered + 0
// unordered, received 98 ordered + 0 unordered, SACKs sent 60 received 58,
// control chunks sent 10 received 9" and "retransmitted chunks 3, gap
// reports 1, out-of-sequence TSNs 0, duplicate chunks received 0, max RTO
// 1000 ms on 198.51.100.2".
std::string DescribeStatistics(const v1::AssociationStatistics& statistics);
// Abandoned messages, unsent/sent, in all and by policy: "all 2/5, timed
// 0/0, retransmissions 2/5, priority 0/0".
std::string DescribeAbandoned(const v1::PrSctpStatus& status);
std::string DescribeAbandoned(const v1::StreamAbandoned& stream);

}  // namespace sctpgw::client
