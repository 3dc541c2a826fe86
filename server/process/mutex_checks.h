// Abseil's mutex deadlock detection, for the whole process.
//
// Debian's Abseil is built with deadlock detection on: every Lock() of an
// absl::Mutex (sctpgw's and gRPC's) updates a global graph of lock orders,
// about 2 % of sctpgw's CPU on the data path (docs/benchmarks.md, "native").
// Builds with sctpgw's debug checks (debug and sanitizer builds, every test)
// keep it, and abort on a cycle; release builds turn it off.
#ifndef SCTPGW_SERVER_PROCESS_MUTEX_CHECKS_H_
#define SCTPGW_SERVER_PROCESS_MUTEX_CHECKS_H_

namespace sctpgw::process {

// Call once, early in main(), before any thread starts.
void ConfigureMutexChecks();

}  // namespace sctpgw::process

#endif  // SCTPGW_SERVER_PROCESS_MUTEX_CHECKS_H_
