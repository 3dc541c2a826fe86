#include "server/rpc/call_count.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sctpgw::rpc {

void CallCount::Add(int delta) {
  absl::MutexLock lock(&mu_);
  calls_ += delta;
}

int CallCount::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

bool CallCount::WaitForNone(std::chrono::system_clock::time_point deadline) {
  absl::MutexLock lock(&mu_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ == 0; };
  return mu_.AwaitWithDeadline(absl::Condition(&none), absl::FromChrono(deadline));
}

}  // namespace sctpgw::rpc
