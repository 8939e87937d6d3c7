// Memory planning: what available_memory_bytes reports on the CPU.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/device.h"

namespace soar {
namespace {

int64_t mem_available_from_proc() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key, unit;
  int64_t kib = 0;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return -1;
}

// Memory this process freed but glibc keeps (as the soar binary asks it to) is memory a model or a
// batch can use: it counts as available, or a large request after a freed one is refused.
TEST(AvailableMemory, CountsWhatTheHeapHoldsFree) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces glibc's malloc: freed blocks go to its quarantine, not glibc's heap";
#endif
  keep_freed_memory();
  constexpr int64_t kBlock = 1 << 20, kBlocks = 384;
  std::vector<void*> blocks;
  for (int64_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::malloc(kBlock));
    ASSERT_NE(blocks.back(), nullptr);
    std::memset(blocks.back(), 1, kBlock);  // resident
  }
  for (void* block : blocks) std::free(block);
  const int64_t before_handing_back = mem_available_from_proc();
  ASSERT_GT(before_handing_back, 0);
  EXPECT_GE(available_memory_bytes(at::kCPU), before_handing_back + 256 * kBlock);
}

}  // namespace
}  // namespace soar
