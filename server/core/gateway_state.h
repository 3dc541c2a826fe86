// Everything a Gateway holds, as plain values: what another sctpgw process
// needs to carry on with the same sessions, endpoints, associations,
// received messages and event history (a planned handover, see
// docs/handover.md). Operations that were waiting are not part of it: they
// end with HANDED_OVER before the state is taken, and their callers retry.
//
// Sockets are named by the exporting stack's SocketId; the process that
// takes the state over maps each to the socket it adopted in its place.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "server/core/event_log.h"
#include "server/core/gateway_types.h"
#include "server/net/sctp_stack.h"

namespace sctpgw::core {

struct SessionRecord {
  SessionInfo info;
  std::string client_name;
};

struct EndpointRecord {
  std::string session;
  bool closing = false;  // Its session ended: closed once its associations are gone.
  EndpointInfo info;
  net::SocketId socket = 0;
  size_t max_send_bytes = 0;
  uint64_t next_receive_from = 0;
};

struct AssociationRecord {
  std::string session;
  AssociationInfo info;      // Its id, endpoint, kernel id, state, streams, addresses.
  net::SocketId socket = 0;  // 0 while it is on its endpoint's socket (not yet up).
  std::vector<net::InboundMessage> queue;  // Received, not yet read, oldest first.
  std::string abort_detail;
  bool associate_interrupted = false;
  bool shutdown_interrupted = false;
};

// The socket of an association that ended, still being read out.
struct DrainingRecord {
  net::SocketId socket = 0;
  uint64_t endpoint_id = 0;
  uint64_t association_id = 0;
};

struct GatewayState {
  std::vector<SessionRecord> sessions;
  std::vector<EndpointRecord> endpoints;
  std::vector<AssociationRecord> associations;
  std::vector<DrainingRecord> draining;
  // Associations that ended recently, with their sessions (oldest first).
  std::vector<std::pair<uint64_t, std::string>> ended;
  uint64_t next_endpoint_id = 1;
  uint64_t next_association_id = 1;
  GatewayStats counters;  // The "since start" fields.
  EventLogState events;

  // Every socket the state names, endpoints first.
  std::vector<net::SocketId> Sockets() const {
    std::vector<net::SocketId> sockets;
    for (const EndpointRecord& e : endpoints) sockets.push_back(e.socket);
    for (const AssociationRecord& a : associations) {
      if (a.socket != 0) sockets.push_back(a.socket);
    }
    for (const DrainingRecord& d : draining) sockets.push_back(d.socket);
    return sockets;
  }
};

}  // namespace sctpgw::core
