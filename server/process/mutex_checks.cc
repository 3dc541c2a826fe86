#include "server/process/mutex_checks.h"

#include "absl/synchronization/mutex.h"

namespace sctpgw::process {

void ConfigureMutexChecks() {
#ifdef SCTPGW_DEBUG_CHECKS
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kAbort);
#else
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

}  // namespace sctpgw::process
