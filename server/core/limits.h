// The core's named limits. Each is documented in docs/api.md and settable in
// the configuration (server/config); exceeding one gives RESOURCE_EXHAUSTED
// with reason LIMIT_EXCEEDED naming it, never a crash or unbounded memory.
// Limits of single requests that the rpc layer checks are in rpc/limits.h.
#pragma once

#include <chrono>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sctpgw::core {

struct Limits {
  // Largest message sent or received (reassembled), bytes.
  size_t max_message_bytes = 256 * 1024;
  // Messages in one Send call.
  size_t max_messages_per_send = 1024;
  // Messages and bytes one Receive call returns at most (and its defaults).
  size_t max_messages_per_receive = 1024;
  size_t default_messages_per_receive = 64;
  size_t max_bytes_per_receive = 4 * 1024 * 1024;
  // 1 MiB: a response stays within gRPC's default 4 MiB receive limit of
  // clients that never raised it, even with one largest message more.
  size_t default_bytes_per_receive = 1024 * 1024;
  // Received bytes queued per association before sctpgw stops reading it
  // (the kernel's receive window then pushes back on the peer).
  size_t association_queue_bytes = 1024 * 1024;
  size_t max_endpoints = 1024;
  size_t max_associations = 16384;
  // Events kept for resuming subscribers.
  size_t event_history = 16384;
  // Kernel socket buffers, bytes (SCTP does not auto-tune them).
  int socket_send_buffer_bytes = 1024 * 1024;
  int socket_receive_buffer_bytes = 1024 * 1024;
  // Calls that wait complete this much before their deadline, so that their
  // answer (for Receive: the messages) is not lost to the deadline racing it.
  std::chrono::milliseconds deadline_margin{20};
  // Sessions.
  size_t max_sessions = 256;
  // Captures (the Capture RPC) open at once, across sessions.
  size_t max_captures = 16;
  size_t max_endpoints_per_session = 64;
  size_t max_associations_per_session = 4096;
  std::chrono::milliseconds default_lease{30000};
  std::chrono::milliseconds min_lease{1000};
  std::chrono::milliseconds max_lease{3600000};
  // When a session ends, how long its associations get to complete their
  // SHUTDOWN handshakes before they are aborted.
  std::chrono::milliseconds session_shutdown_timeout{5000};
};

// RESOURCE_EXHAUSTED / LIMIT_EXCEEDED: `message` for people, the limit's
// name and value as metadata ("limit", "value") for code.
absl::Status LimitExceeded(absl::string_view limit, size_t value, absl::string_view message);

}  // namespace sctpgw::core
