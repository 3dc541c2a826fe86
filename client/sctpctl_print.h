// sctpctl's output (sctpctl_print.cc): sctpgw's objects for people, or with
// `json` as one JSON object per line (proto field names).
#pragma once

#include <string>

#include <google/protobuf/message.h>
#include <google/protobuf/repeated_ptr_field.h>

#include "sctpgw/v1/gateway_service.pb.h"
#include "sctpgw/v1/types.pb.h"

namespace sctpgw::client::sctpctl {

// One line of JSON, proto field names.
std::string Json(const google::protobuf::Message& message);
// "192.0.2.1,192.0.2.2".
std::string Addresses(const google::protobuf::RepeatedPtrField<v1::TransportAddress>& list);
// The name sctpctl takes for a stream scheduler ("rr", ...; "default").
const char* SchedulerName(v1::StreamScheduler scheduler);

// "endpoint 1 port 5000 listening addresses 127.0.0.1 associations 0
// cookie-life 60000 ... [oversized abort] [udp-port N] [reset-streams] ...".
void PrintEndpoint(bool json, const v1::Endpoint& endpoint);
void PrintAssociation(bool json, const v1::Association& association);
// "association 3 stream 1 ppid 5[ unordered][ offset N more-follows|last-piece]
// [ from ADDRESS:PORT]: PAYLOAD" (the source with `with_source`).
void PrintMessage(bool json, const v1::InboundMessage& message, bool with_source = false);
void PrintServiceStatus(bool json, const v1::GetServiceStatusResponse& status);
// The association, its status, streams, AUTH, statistics, PR-SCTP counters
// and a table of its paths.
void PrintStatus(bool json, const v1::GetAssociationResponse& response);

}  // namespace sctpgw::client::sctpctl
