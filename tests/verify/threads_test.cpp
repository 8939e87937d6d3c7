// Many threads verifying at once give the same verdicts (and reasons) as one thread. GiNaC is
// serialised inside the library; this test is also run under ASan/UBSan (and TSan by hand, see
// docs/verifier.md) to catch races in the rest.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "verify/verify.h"

namespace {

struct Item {
  std::string gold, input;
  bool completion;
};

std::vector<Item> load_cases() {
  std::ifstream in(std::string(SOAR_SOURCE_DIR) + "/tests/verify/cases.jsonl");
  std::vector<Item> items;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) {
      auto c = nlohmann::json::parse(line);
      items.push_back({c.at("gold"), c.at("input"), c.at("mode") == "completion"});
    }
  return items;
}

std::string run(const Item& it) {
  auto r = it.completion ? soar::verify::verify(it.gold, it.input) : soar::verify::compare_answers(it.gold, it.input);
  return std::string(soar::verify::to_string(r.verdict)) + "|" + r.extracted + "|" + r.reason;
}

TEST(VerifyThreads, SameVerdictsAsOneThread) {
  soar::verify::set_undecidable_log({});
  auto items = load_cases();
  ASSERT_GE(items.size(), 300u);
  std::vector<std::string> serial;
  for (const auto& it : items) serial.push_back(run(it));

  constexpr int kThreads = 8;
  std::vector<std::vector<std::string>> got(kThreads, std::vector<std::string>(items.size()));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::size_t> order(items.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<unsigned>(t)));  // different interleavings
      for (int rep = 0; rep < 2; ++rep)
        for (std::size_t i : order) got[static_cast<std::size_t>(t)][i] = run(items[i]);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t)
    for (std::size_t i = 0; i < items.size(); ++i)
      EXPECT_EQ(got[static_cast<std::size_t>(t)][i], serial[i]) << "thread " << t << " case " << i << ": " << items[i].gold;
}

}  // namespace
