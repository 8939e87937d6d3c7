// pass@k against exact rationals from Python (math.comb + Fraction), incl. n = 128 and n = 1000.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "rl/pass_at_k.h"

namespace soar {
namespace {

TEST(PassAtKReference, MatchesExactPythonValues) {
  auto path = std::filesystem::path(SOAR_REFERENCE_DIR) / "pass_at_k_reference" / "pass_at_k.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path << " (run the fixture.pass_at_k_reference test first)";
  auto rows = nlohmann::json::parse(in);
  ASSERT_GT(rows.size(), 500u);
  int with_n128 = 0;
  for (const auto& row : rows) {
    int64_t n = row["n"], c = row["c"], k = row["k"];
    double expected = row["pass_at_k"];
    double got = pass_at_k(n, c, k);
    ASSERT_NEAR(got, expected, 1e-12) << "n=" << n << " c=" << c << " k=" << k;
    // Relative too, so small values (1 correct in 1000, k = 1) are checked as tightly.
    ASSERT_NEAR(got, expected, 1e-12 * expected) << "n=" << n << " c=" << c << " k=" << k;
    with_n128 += n == 128;
  }
  EXPECT_GT(with_n128, 50);
}

}  // namespace
}  // namespace soar
