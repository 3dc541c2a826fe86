// Counts the calls in progress, so that a stopping service waits for them
// and not for idle connections. Thread-safe.
#pragma once

#include <chrono>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace sctpgw::rpc {

class CallCount {
 public:
  // Held by each call from its start to its end.
  class Hold {
   public:
    explicit Hold(CallCount& count) : count_(count) { count_.Add(1); }
    ~Hold() { count_.Add(-1); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    CallCount& count_;
  };

  // Waits until no call is in progress or `deadline` passes; true if none is.
  bool WaitForNone(std::chrono::system_clock::time_point deadline);
  int calls() const;

 private:
  void Add(int delta);
  mutable absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sctpgw::rpc
