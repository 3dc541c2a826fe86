// One association as the core holds it: its state as applications see it,
// the socket it was peeled off onto, the messages received and not yet read
// (with the flow-control threshold that stops reading the socket when they
// pile up), and the operations waiting on it: sends and graceful shutdowns
// in the order they were made, receives, and the associate call that set it
// up. Runs on the core's thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "server/core/gateway_types.h"

namespace sctpgw::core {

class Association {
 public:
  // What the socket's reading should do after the queue changed.
  enum class Reading { kUnchanged, kPause, kResume };

  Association(std::string session, AssociationInfo info, size_t queue_limit_bytes)
      : session_(std::move(session)), info_(std::move(info)), queue_limit_bytes_(queue_limit_bytes) {}

  const std::string& session() const { return session_; }
  uint64_t id() const { return info_.id; }
  uint64_t endpoint_id() const { return info_.endpoint_id; }
  net::AssocId kernel_id() const { return info_.kernel_id; }
  AssociationState state() const { return info_.state; }
  void set_state(AssociationState state) { info_.state = state; }
  bool closed() const { return info_.state == AssociationState::kClosed; }
  // The fields kept as the association goes on (streams, addresses).
  AssociationInfo& info() { return info_; }
  const AssociationInfo& info() const { return info_; }
  // What callers see now, with the queue and the receives waiting.
  AssociationInfo Snapshot() const;

  // The socket it was peeled off onto; 0 before COMM_UP and once released.
  net::SocketId socket() const { return socket_; }
  void set_socket(net::SocketId socket) { socket_ = socket; }

  // Received messages, oldest first.
  void Queue(net::InboundMessage message);
  bool has_messages() const { return !queue_.empty(); }
  // A copy of what is queued, oldest first (a handover's state).
  std::vector<net::InboundMessage> QueuedMessages() const {
    return std::vector<net::InboundMessage>(queue_.begin(), queue_.end());
  }
  size_t queued_messages() const { return queue_.size(); }
  size_t queued_bytes() const { return queued_bytes_; }
  // Messages taken by receives and not yet written to their callers
  // (Settle() says when they are).
  size_t unsettled_messages() const { return unsettled_; }
  // Ended, and nothing of it is queued or being written: it can be forgotten.
  bool read_out() const { return closed() && queue_.empty() && unsettled_ == 0; }
  void Settle(size_t messages);
  // Taken messages that were never written (their write failed): back at
  // the front of the queue, in the order given, no longer unsettled.
  void Return(std::vector<net::InboundMessage> messages);
  // Keeps `*counter` equal to unsettled_messages() << 32 |
  // queued_messages() (each at most 2^32 - 1) from now on (QueueTally):
  // what a crash would lose. nullptr stops it.
  void MirrorQueueLength(uint64_t* counter);
  bool queue_mirrored() const { return mirror_ != nullptr; }
  // Moves messages to `out` while it has fewer than `max_messages` and
  // their payloads stay within `max_bytes` (`bytes` counts what `out`
  // holds; one message always goes when `out` is empty).
  void TakeMessages(size_t max_messages, size_t max_bytes, std::vector<ReceivedMessage>* out,
                    size_t* bytes);
  // Flow control: pause reading once the queue holds the limit, resume once
  // it is down to half.
  Reading UpdateReading();
  bool reading_paused() const { return reading_paused_; }

  // Sends and graceful shutdowns in the order they were made.
  std::deque<OperationId>& outbound() { return outbound_; }
  // Graceful shutdowns started, completed by SHUTDOWN_COMP.
  std::vector<OperationId>& shutdowns() { return shutdowns_; }
  bool has_shutdowns() const { return !shutdowns_.empty(); }
  // Receives waiting for a message of this association, oldest first.
  std::vector<OperationId>& receivers() { return receivers_; }
  // The Associate call waiting for COMM_UP (0 when none).
  OperationId associate_op = 0;
  // Set when sctpgw aborts it: reported with the COMM_LOST that follows.
  std::string abort_detail;
  // Its Associate call was ended with HANDED_OVER: the same call made again
  // (to the new process) gets this association, up or coming up.
  bool associate_interrupted = false;
  // A graceful Shutdown under way was ended with HANDED_OVER: the same call
  // made again succeeds once the association has ended by SHUTDOWN_COMP.
  bool shutdown_interrupted = false;

 private:
  const std::string session_;
  AssociationInfo info_;
  net::SocketId socket_ = 0;
  const size_t queue_limit_bytes_;
  std::deque<net::InboundMessage> queue_;
  size_t queued_bytes_ = 0;
  void Mirror();

  size_t unsettled_ = 0;
  uint64_t* mirror_ = nullptr;
  bool reading_paused_ = false;
  std::deque<OperationId> outbound_;
  std::vector<OperationId> shutdowns_;
  std::vector<OperationId> receivers_;
};

// Removes `id` from a list of waiting operations.
template <typename Container>
void Unlist(Container& waiting, OperationId id) {
  waiting.erase(std::remove(waiting.begin(), waiting.end(), id), waiting.end());
}

}  // namespace sctpgw::core
