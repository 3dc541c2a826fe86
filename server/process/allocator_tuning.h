// How sctpgw asks glibc's allocator to keep memory between messages.
//
// With glibc's defaults, a request of 1 MiB (64 messages of 16 KiB on a
// stream, a large batch) is served by mmap(2) and unmapped when freed, and
// the top of each arena is handed back to the kernel as soon as 128 KiB of
// it is free. Under a steady data path that means faulting in fresh pages
// for every request: the native benchmark measured 16 KiB SendStream at
// 309 MB/s with the defaults and 2.25 GB/s with the memory kept
// (docs/benchmarks.md). sctpgw therefore raises both thresholds at start,
// and gives back what is free once every `kTrimInterval` ticks, so memory
// taken in a burst returns to the kernel once the burst is over.
#ifndef SCTPGW_SERVER_PROCESS_ALLOCATOR_TUNING_H_
#define SCTPGW_SERVER_PROCESS_ALLOCATOR_TUNING_H_

#include <cstddef>

namespace sctpgw::process {

// Requests smaller than this come from the heap, not from mmap(2).
inline constexpr size_t kMmapThresholdBytes = size_t{4} << 20;
// Free memory at the top of an arena kept before it is trimmed.
inline constexpr size_t kTrimThresholdBytes = size_t{32} << 20;
// Ticks (seconds) between two returns of free memory to the kernel.
inline constexpr int kTrimInterval = 10;

class AllocatorTuning {
 public:
  // Sets the thresholds above for the whole process. Call once, early in
  // main(). Returns false where the allocator does not take them (another
  // allocator, a sanitizer's): nothing else changes then.
  static bool Apply();

  // Called once a second from the service's tick: every kTrimInterval
  // calls, hands memory free in every arena back to the kernel.
  void Tick();

 private:
  int ticks_ = 0;
};

}  // namespace sctpgw::process

#endif  // SCTPGW_SERVER_PROCESS_ALLOCATOR_TUNING_H_
