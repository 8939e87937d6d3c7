// Replays a fuzz target's committed inputs (fuzz/<SOAR_FUZZ_CORPUS>/: seeds, and the inputs that once
// found a bug) through its entry point, built with the normal compiler: CI's check of the target's
// invariants, which abort when broken. The fuzzing itself runs with clang (fuzz/build_*.sh).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/directory.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

TEST(FuzzReplay, CommittedInputs) {
  if (SOAR_FUZZ_NEEDS_SHARED && !std::filesystem::is_directory(std::filesystem::path(SOAR_SHARED_DIR) / "data"))
    GTEST_SKIP() << "no shared data at " << SOAR_SHARED_DIR << " (shared/ absent)";
  std::filesystem::path dir = std::filesystem::path(SOAR_SOURCE_DIR) / "fuzz" / SOAR_FUZZ_CORPUS;
  int n = 0;
  for (const std::string& name : soar::directory_entries(dir)) {
    std::ifstream in(dir / name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string data = ss.str();
    EXPECT_EQ(LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()), 0)
        << dir / name;
    ++n;
  }
  EXPECT_GE(n, SOAR_FUZZ_MIN_INPUTS) << "inputs missing from " << dir;
}
