// One endpoint as the core holds it: its one-to-many socket, the
// associations made on it, those not yet peeled off by their kernel id, and
// the receives waiting for a message from any of its associations. Runs on
// the core's thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/core/gateway_types.h"

namespace sctpgw::core {

struct Endpoint {
  std::string session;
  // The session has ended: closed once its associations are gone.
  bool closing = false;
  EndpointInfo info;
  net::SocketId socket = 0;
  size_t max_send_bytes = 0;
  std::set<uint64_t> associations;
  std::map<net::AssocId, uint64_t> by_kernel_id;  // Not yet peeled off.
  std::vector<OperationId> receivers;             // Receive from any association.
  uint64_t next_receive_from = 0;                 // Round robin over associations.

  // The endpoint as callers see it now.
  EndpointInfo Snapshot() const {
    EndpointInfo snapshot = info;
    snapshot.association_count = associations.size();
    return snapshot;
  }
  // The associations in round-robin order: starting after the one served
  // last.
  std::vector<uint64_t> RoundRobin() const {
    std::vector<uint64_t> order(associations.upper_bound(next_receive_from), associations.end());
    order.insert(order.end(), associations.begin(), associations.upper_bound(next_receive_from));
    return order;
  }
};

}  // namespace sctpgw::core
