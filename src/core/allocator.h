// Process-wide memory allocator settings for long tensor loops.
#pragma once

namespace soar {

// Keep freed tensor memory in the process for the next step instead of returning it to the
// system (glibc only; elsewhere a no-op). By default glibc hands blocks above its mmap and trim
// thresholds back on free, and the next step's tensors of the same size fault in fresh zeroed
// pages: ~10 % of a CPU decoding step went to page faults. Call once, first thing in main().
void keep_freed_memory();

}  // namespace soar
