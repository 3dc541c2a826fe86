#include "server/core/capture_tap.h"

#include <algorithm>
#include <utility>

#include "server/core/association.h"

namespace sctpgw::core {

CaptureTap::CaptureId CaptureTap::Open(CaptureScope scope, size_t snap_bytes, size_t capacity,
                                       std::function<void()> wake) {
  absl::MutexLock lock(&mu_);
  CaptureId id = next_id_++;
  Capture& capture = captures_[id];
  capture.scope = std::move(scope);
  capture.snap_bytes = snap_bytes;
  capture.capacity = std::max<size_t>(capacity, 1);
  capture.wake = std::move(wake);
  open_.fetch_add(1, std::memory_order_relaxed);
  return id;
}

void CaptureTap::Close(CaptureId id) {
  absl::MutexLock waking(&wake_mu_);
  absl::MutexLock lock(&mu_);
  if (captures_.erase(id) != 0) open_.fetch_sub(1, std::memory_order_relaxed);
}

size_t CaptureTap::open_count() const { return open_.load(std::memory_order_relaxed); }

CaptureTap::Batch CaptureTap::Take(CaptureId id, size_t max_messages, size_t max_bytes) {
  absl::MutexLock lock(&mu_);
  Batch batch;
  auto it = captures_.find(id);
  if (it == captures_.end()) {
    batch.ended = true;
    return batch;
  }
  Capture& capture = it->second;
  size_t bytes = 0;
  while (!capture.waiting.empty() && batch.messages.size() < max_messages) {
    CapturedMessage& next = capture.waiting.front();
    if (!batch.messages.empty()) {
      // A gap starts the next batch, so that its count stays where the
      // messages went missing.
      if (next.dropped_before != 0 || bytes + next.payload.size() > max_bytes) break;
    } else {
      batch.dropped = next.dropped_before;
    }
    bytes += next.payload.size();
    batch.messages.push_back(std::move(next));
    capture.waiting.pop_front();
  }
  if (batch.messages.empty()) batch.dropped = std::exchange(capture.dropped, 0);
  batch.ended = capture.ended && capture.waiting.empty() && capture.dropped == 0;
  return batch;
}

void CaptureTap::EndSession(const std::string& session) {
  absl::MutexLock waking(&wake_mu_);
  std::vector<std::function<void()>*> wakes;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, capture] : captures_) {
      if (capture.scope.session != session || capture.ended) continue;
      capture.ended = true;
      wakes.push_back(&capture.wake);
    }
  }
  // Close() waits on wake_mu_, so the captures (and their functions) stay.
  for (std::function<void()>* wake : wakes) (*wake)();
}

bool CaptureTap::Sees(const CaptureScope& scope, const Association& association) {
  if (association.session() != scope.session) return false;
  if (scope.association_id != 0) return association.id() == scope.association_id;
  return scope.endpoint_id == 0 || association.info().endpoint_id == scope.endpoint_id;
}

void CaptureTap::OfferToCaptures(const Association& association, const PassingMessage& message) {
  absl::MutexLock waking(&wake_mu_);
  std::vector<std::function<void()>*> wakes;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, capture] : captures_) {
      if (capture.ended || !Sees(capture.scope, association)) continue;
      if (capture.waiting.size() >= capture.capacity) {
        ++capture.dropped;
        continue;
      }
      const AssociationInfo& info = association.info();
      CapturedMessage& copy = capture.waiting.emplace_back();
      copy.time = std::chrono::system_clock::now();
      copy.outbound = message.outbound;
      copy.association_id = association.id();
      copy.endpoint_id = info.endpoint_id;
      if (!info.local_addresses.empty()) copy.local = info.local_addresses.front();
      if (message.peer != nullptr && message.peer->has_value()) {
        copy.peer = **message.peer;
      } else if (!info.peer_addresses.empty()) {
        copy.peer = info.peer_addresses.front();
      }
      if (copy.peer.has_value() && copy.peer->port() == 0) copy.peer->set_port(info.peer_port);
      copy.stream = message.stream;
      copy.ssn = message.ssn;
      copy.tsn = message.tsn;
      copy.ppid = message.ppid;
      copy.unordered = message.unordered;
      copy.length = message.payload.size();
      size_t kept = capture.snap_bytes == 0 ? message.payload.size()
                                            : std::min(capture.snap_bytes, message.payload.size());
      copy.payload.assign(message.payload.data(), kept);
      copy.offset = message.offset;
      copy.more_follows = message.more_follows;
      copy.dropped_before = std::exchange(capture.dropped, 0);
      wakes.push_back(&capture.wake);
    }
  }
  for (std::function<void()>* wake : wakes) (*wake)();
}

}  // namespace sctpgw::core
