#include "server/core/association.h"

#include <algorithm>

namespace sctpgw::core {

const char* AssociationStateName(AssociationState state) {
  switch (state) {
    case AssociationState::kConnecting: return "CONNECTING";
    case AssociationState::kEstablished: return "ESTABLISHED";
    case AssociationState::kShuttingDown: return "SHUTTING_DOWN";
    case AssociationState::kClosed: return "CLOSED";
  }
  return "UNKNOWN";
}

AssociationInfo Association::Snapshot() const {
  AssociationInfo info = info_;
  info.queued_messages = queue_.size();
  info.queued_bytes = queued_bytes_;
  info.waiting_receives = receivers_.size();
  return info;
}

void Association::Queue(net::InboundMessage message) {
  queued_bytes_ += message.payload.size();
  queue_.push_back(std::move(message));
  Mirror();
}

void Association::Mirror() {
  if (mirror_ == nullptr) return;
  constexpr uint64_t kMax = 0xffffffffu;
  *mirror_ = std::min<uint64_t>(unsettled_, kMax) << 32 | std::min<uint64_t>(queue_.size(), kMax);
}

void Association::Settle(size_t messages) {
  unsettled_ -= std::min(messages, unsettled_);
  Mirror();
}

void Association::Return(std::vector<net::InboundMessage> messages) {
  for (auto message = messages.rbegin(); message != messages.rend(); ++message) {
    queued_bytes_ += message->payload.size();
    message->assoc_id = info_.kernel_id;
    queue_.push_front(std::move(*message));
  }
  unsettled_ -= std::min(messages.size(), unsettled_);
  Mirror();
}

void Association::MirrorQueueLength(uint64_t* counter) {
  mirror_ = counter;
  Mirror();
}

void Association::TakeMessages(size_t max_messages, size_t max_bytes,
                               std::vector<ReceivedMessage>* out, size_t* bytes) {
  while (!queue_.empty() && out->size() < max_messages) {
    size_t size = queue_.front().payload.size();
    // Always at least one message, even one above the byte budget.
    if (!out->empty() && *bytes + size > max_bytes) break;
    ReceivedMessage received;
    received.association_id = info_.id;
    received.message = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= size;
    *bytes += size;
    out->push_back(std::move(received));
    ++unsettled_;
  }
  Mirror();
}

Association::Reading Association::UpdateReading() {
  if (socket_ == 0) return Reading::kUnchanged;
  bool full = queued_bytes_ >= queue_limit_bytes_;
  bool low = queued_bytes_ <= queue_limit_bytes_ / 2;
  if (full && !reading_paused_) {
    reading_paused_ = true;
    return Reading::kPause;
  }
  if (low && reading_paused_) {
    reading_paused_ = false;
    return Reading::kResume;
  }
  return Reading::kUnchanged;
}

}  // namespace sctpgw::core
