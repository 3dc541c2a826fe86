#include "server/process/allocator_tuning.h"

#include <malloc.h>

namespace sctpgw::process {

bool AllocatorTuning::Apply() {
  // Setting either threshold also turns off glibc's dynamic adjustment of
  // the mmap threshold, so what is set here is what holds.
  const bool mmap_set = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThresholdBytes)) == 1;
  const bool trim_set = mallopt(M_TRIM_THRESHOLD, static_cast<int>(kTrimThresholdBytes)) == 1;
  return mmap_set && trim_set;
}

void AllocatorTuning::Tick() {
  if (++ticks_ < kTrimInterval) return;
  ticks_ = 0;
  malloc_trim(0);
}

}  // namespace sctpgw::process
