// Replays the fuzz seed corpus (fuzz/verify_corpus/) through the fuzz target's entry point, built
// with the normal compiler: the CI smoke of fuzz/verify_fuzz.cpp, which aborts on a broken invariant.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

TEST(VerifyFuzzSmoke, SeedCorpus) {
  std::filesystem::path dir = std::filesystem::path(SOAR_SOURCE_DIR) / "fuzz" / "verify_corpus";
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string data = ss.str();
    EXPECT_EQ(LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()), 0)
        << entry.path();
    ++n;
  }
  EXPECT_GE(n, 100) << "seed corpus missing from " << dir;
}
