// Associations whose graceful Shutdown call was ended by a handover
// (HANDED_OVER, docs/handover.md) and that have since ended by
// SHUTDOWN_COMP in the new process: the same call made again succeeds,
// once, instead of finding the association gone. Bounded: the oldest are
// forgotten first. Runs on the core's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>

namespace sctpgw::core {

class CompletedShutdowns {
 public:
  static constexpr size_t kRemembered = 4096;

  void Add(uint64_t association_id, std::string session) {
    if (!sessions_.emplace(association_id, std::move(session)).second) return;
    order_.push_back(association_id);
    while (order_.size() > kRemembered) {
      sessions_.erase(order_.front());
      order_.pop_front();
    }
  }
  // True (and forgotten) if `association_id` of `session` is one.
  bool Take(uint64_t association_id, const std::string& session) {
    auto it = sessions_.find(association_id);
    if (it == sessions_.end() || it->second != session) return false;
    sessions_.erase(it);  // Its entry in order_ goes when it comes first.
    return true;
  }

 private:
  std::map<uint64_t, std::string> sessions_;
  std::deque<uint64_t> order_;
};

}  // namespace sctpgw::core
