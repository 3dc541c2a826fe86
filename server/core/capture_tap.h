// Captures: copies of the messages that pass over associations, for
// whoever asked (the Capture RPC; `sctpctl capture` writes them as pcap).
// Each capture has a scope (a session's associations, one endpoint's, or
// one association) and a bounded queue: when it is full, later messages are
// dropped and counted, so a capture that cannot keep up never slows an
// association or grows without bound. With no capture open, offering a
// message costs one relaxed atomic load and copies nothing.
//
// Offers come from the core's thread; captures are read from gRPC's.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/net/socket_address.h"

namespace sctpgw::core {

class Association;

// What a capture sees.
struct CaptureScope {
  std::string session;          // Only this session's associations.
  uint64_t endpoint_id = 0;     // 0: any endpoint of the session.
  uint64_t association_id = 0;  // 0: any association (of the endpoint).
};

// One message as it passed, in one direction.
struct CapturedMessage {
  std::chrono::system_clock::time_point time;
  bool outbound = false;  // From the application to the peer.
  uint64_t association_id = 0;
  uint64_t endpoint_id = 0;
  std::optional<net::SocketAddress> local;  // The endpoint's (first) address and port.
  std::optional<net::SocketAddress> peer;   // Where it came from or went to.
  uint16_t stream = 0;
  uint16_t ssn = 0;  // Inbound only: the kernel does not say for sends.
  uint32_t tsn = 0;  // Inbound only.
  uint32_t ppid = 0;
  bool unordered = false;
  size_t length = 0;     // Of the message (or piece), whatever was kept.
  std::string payload;   // At most the capture's snap_bytes.
  uint64_t offset = 0;   // A piece of a message longer than the maximum:
  bool more_follows = false;  // where it starts, and whether more follows.
  uint64_t dropped_before = 0;  // Messages the capture dropped just before this one.
};

// A message offered to the captures: where it passed and its fields. The
// payload is only viewed; a capture copies what it keeps.
struct PassingMessage {
  bool outbound = false;
  const std::optional<net::SocketAddress>* peer = nullptr;  // Else the association's first.
  uint16_t stream = 0;
  uint16_t ssn = 0;
  uint32_t tsn = 0;
  uint32_t ppid = 0;
  bool unordered = false;
  absl::string_view payload;
  uint64_t offset = 0;
  bool more_follows = false;
};

class CaptureTap {
 public:
  using CaptureId = uint64_t;

  // What Take() hands out.
  struct Batch {
    std::vector<CapturedMessage> messages;
    uint64_t dropped = 0;  // Dropped just before these (after the previous batch).
    bool ended = false;    // The session ended: nothing more will come.
  };

  CaptureTap() = default;
  CaptureTap(const CaptureTap&) = delete;
  CaptureTap& operator=(const CaptureTap&) = delete;

  // A new capture. `wake` runs (on the offering thread, with no lock of the
  // tap's queues held) when messages or its end wait for it; it must not
  // block. `snap_bytes` 0 keeps whole payloads.
  CaptureId Open(CaptureScope scope, size_t snap_bytes, size_t capacity,
                 std::function<void()> wake);
  // Ends capture `id`; its wake function is not called after this returns.
  void Close(CaptureId id);
  size_t open_count() const;

  // What waits for capture `id`: at most `max_messages` messages and, past
  // the first, `max_bytes` payload bytes.
  Batch Take(CaptureId id, size_t max_messages, size_t max_bytes);

  // Called by the core for every message handed to the kernel or taken from
  // it on `association` (whose session owns it).
  void Offer(const Association& association, const PassingMessage& message) {
    if (open_.load(std::memory_order_relaxed) == 0) return;
    OfferToCaptures(association, message);
  }

  // `session` ended: its captures end once they have handed out what waits.
  void EndSession(const std::string& session);

 private:
  struct Capture {
    CaptureScope scope;
    size_t snap_bytes = 0;
    size_t capacity = 0;
    std::function<void()> wake;
    std::deque<CapturedMessage> waiting;
    uint64_t dropped = 0;  // Since the last message queued.
    bool ended = false;
  };

  void OfferToCaptures(const Association& association, const PassingMessage& message);
  static bool Sees(const CaptureScope& scope, const Association& association);

  std::atomic<size_t> open_{0};

  // Lock order: wake_mu_ (held while waking, so that Close waits for a wake
  // in progress) before a capture's reader's own lock before mu_.
  absl::Mutex wake_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  std::map<CaptureId, Capture> captures_ ABSL_GUARDED_BY(mu_);
  CaptureId next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace sctpgw::core
