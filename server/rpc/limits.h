// The limits of single requests that the rpc layer checks before the core
// sees them, and the sizes of its streams, in one place. The core's limits
// (sessions, queues, message sizes) are in core/limits.h; both are in the
// table in docs/api.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace sctpgw::rpc {

// Addresses in one request field (local_addresses, peer_addresses, ...).
inline constexpr int kMaxAddressesPerRequest = 64;
// Bytes of a Shutdown's abort_reason (the ABORT's user-initiated cause).
inline constexpr size_t kMaxAbortReasonBytes = 256;
// Of a malformed address, this many bytes are quoted back in the error.
inline constexpr size_t kAddressEchoedBytes = 64;
// Bytes of an OpenSession's client_name.
inline constexpr size_t kMaxClientNameBytes = 64;

// Path parameters (PathParameters), milliseconds: RTOs up to an hour,
// heartbeats up to a day, the delayed SACK up to RFC 9260's 500 ms.
inline constexpr uint32_t kMaxRtoMs = 3600000;
inline constexpr uint32_t kMaxHeartbeatIntervalMs = 86400000;
inline constexpr uint32_t kMaxSackDelayMs = 500;

// List calls: page_size 0 means the default.
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// A call without a deadline (or one further away) waits at most this long:
// a long-poll, not a leak.
inline constexpr std::chrono::hours kNoDeadlineCap{24 * 30};

// WatchEvents: progress messages on an idle stream (progress_interval_ms).
inline constexpr uint32_t kDefaultProgressIntervalMs = 10000;
inline constexpr uint32_t kMinProgressIntervalMs = 1000;
inline constexpr uint32_t kMaxProgressIntervalMs = 3600000;
// How often idle streams are woken to see whether progress is due (the
// service's tick, server/main.cc).
inline constexpr std::chrono::milliseconds kProgressTick{1000};
// Events read from the log per response, and the bytes after which a
// response stops (well below gRPC's default 4 MiB receive limit even when
// SEND_FAILED events carry whole messages).
inline constexpr size_t kEventsPerResponse = 256;
inline constexpr size_t kMaxEventResponseBytes = 1024 * 1024;

// Capture: messages a capture may hold for its stream (buffer_messages),
// payload bytes kept of each (snap_bytes), and what one response carries
// (always at least one message).
inline constexpr uint32_t kDefaultCaptureBufferMessages = 4096;
inline constexpr uint32_t kMaxCaptureBufferMessages = 65536;
inline constexpr uint32_t kMaxCaptureSnapBytes = 16 << 20;
inline constexpr size_t kCapturedPerResponse = 256;
inline constexpr size_t kMaxCaptureResponseBytes = 1024 * 1024;

// SendStream: requests acknowledged at once (else on the service's tick),
// and what it reads ahead of the kernel at most: requests, and their payload
// bytes (always at least one request).
inline constexpr uint64_t kAckEveryRequests = 64;
inline constexpr size_t kReadAheadRequests = 16;
inline constexpr size_t kReadAheadBytes = 4 * 1024 * 1024;

}  // namespace sctpgw::rpc
