#include "server/net/send_failed_joiner.h"

#include <utility>

namespace sctpgw::net {

std::vector<Notification> SendFailedJoiner::Add(Notification notification) {
  std::vector<Notification> ready;
  auto pending = pending_.find(notification.assoc_id);
  if (notification.type != NotificationType::kSendFailed) {
    // A message whose last fragment never came (a notification the kernel
    // could not allocate) goes first, as it is, so that order holds.
    if (pending != pending_.end()) {
      ready.push_back(std::move(pending->second));
      pending_.erase(pending);
    }
    ready.push_back(std::move(notification));
    return ready;
  }
  if (notification.first_fragment) {
    // A new message; one whose end never came is delivered as it is.
    if (pending != pending_.end()) {
      ready.push_back(std::move(pending->second));
      pending_.erase(pending);
    }
    if (notification.last_fragment) {
      ready.push_back(std::move(notification));
    } else {
      pending_.emplace(notification.assoc_id, std::move(notification));
    }
    return ready;
  }
  if (pending == pending_.end()) {
    ready.push_back(std::move(notification));  // Its start was not seen.
    return ready;
  }
  if (pending->second.data.size() + notification.data.size() > max_message_bytes_) {
    // Not one of sctpgw's messages: delivered in parts, in order.
    ready.push_back(std::move(pending->second));
    pending_.erase(pending);
    ready.push_back(std::move(notification));
    return ready;
  }
  pending->second.data.append(notification.data);
  if (notification.last_fragment) {
    pending->second.last_fragment = true;
    ready.push_back(std::move(pending->second));
    pending_.erase(pending);
  }
  return ready;
}

std::vector<Notification> SendFailedJoiner::Pending() const {
  std::vector<Notification> pending;
  for (const auto& [assoc_id, notification] : pending_) pending.push_back(notification);
  return pending;
}

void SendFailedJoiner::Restore(std::vector<Notification> pending) {
  pending_.clear();
  for (Notification& notification : pending) {
    if (notification.type != NotificationType::kSendFailed ||
        notification.data.size() > max_message_bytes_) {
      continue;
    }
    AssocId assoc_id = notification.assoc_id;
    pending_.emplace(assoc_id, std::move(notification));
  }
}

}  // namespace sctpgw::net
