// The Vendi score against the vendi_score package (Friedman & Dieng's implementation) on math
// questions, near-duplicates, templated sets and Unicode text (tests/python/make_vendi_reference.py).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "meta/diversity.h"

namespace soar::meta {
namespace {

TEST(VendiReference, MatchesTheVendiScorePackage) {
  auto path = std::filesystem::path(SOAR_REFERENCE_DIR) / "vendi_reference" / "vendi.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path << " (run the fixture.vendi_reference test first)";
  auto rows = nlohmann::json::parse(in);
  ASSERT_GE(rows.size(), 10u);
  std::set<std::string> names;
  for (const auto& row : rows) {
    std::string name = row["name"];
    auto texts = row["texts"].get<std::vector<std::string>>();
    double expected = row["vendi_score"];
    EXPECT_NEAR(vendi_score(texts, row["ngram"].get<int>()), expected, 1e-9) << name;
    names.insert(name);
  }
  // The sets that exercise more than the closed-form cases of diversity_test.
  for (const char* name : {"math", "near_duplicates", "templated", "unicode", "short_texts"})
    EXPECT_TRUE(names.count(name)) << "the reference has no set " << name;
}

}  // namespace
}  // namespace soar::meta
