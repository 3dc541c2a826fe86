// Helpers for lab tests that drive kernel SCTP sockets directly.
#pragma once

#include <netinet/in.h>  // Before netinet/sctp.h, which needs it.
#include <netinet/sctp.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "server/net/sctp_socket.h"

namespace sctpgw::testing {

struct TestMessage {
  sctp_assoc_t assoc_id = 0;
  uint16_t stream = 0;
  uint32_t ppid = 0;
  bool unordered = false;
  std::string payload;
};

// Receives one whole data message (reassembling pieces until MSG_EOR),
// skipping notifications; DEADLINE_EXCEEDED if none completes in `timeout`.
absl::StatusOr<TestMessage> ReceiveMessage(net::SctpSocket& socket,
                                           std::chrono::milliseconds timeout);

// Reads notifications until an SCTP_ASSOC_CHANGE with SCTP_COMM_UP arrives and
// returns its association id; data messages met on the way are an error.
absl::StatusOr<sctp_assoc_t> WaitForCommUp(net::SctpSocket& socket,
                                           std::chrono::milliseconds timeout);

// Sends `payload` whole with the given stream, PPID and association.
absl::Status SendMessage(net::SctpSocket& socket, sctp_assoc_t assoc_id, uint16_t stream,
                         uint32_t ppid, const std::string& payload, bool unordered = false);

}  // namespace sctpgw::testing
