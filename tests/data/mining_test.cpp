#include "data/mining.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "core/error.h"
#include "test_files.h"

namespace soar {
namespace {

using test::fresh_dir;
using test::read_bytes;
using test::write_bytes;

std::vector<Problem> make_problems(int count) {
  std::vector<Problem> problems;
  for (int i = 0; i < count; ++i)
    problems.push_back({"p" + std::to_string(i), "question " + std::to_string(i), std::to_string(i)});
  return problems;
}

std::vector<std::string> ids(const std::vector<Problem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.id);
  return out;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(MiningLog, AppendsAndReloads) {
  auto path = fresh_dir() / "log.jsonl";
  {
    MiningLog log(path);
    EXPECT_TRUE(log.results().empty());
    log.append("a", {8, 0});
    log.append("b", {8, 3});
    EXPECT_EQ(log.results().size(), 2u);
  }
  EXPECT_EQ(read_bytes(path), "{\"id\":\"a\",\"samples\":8,\"successes\":0}\n{\"id\":\"b\",\"samples\":8,\"successes\":3}\n");
  {
    MiningLog log(path);  // resuming: the results so far are loaded, new ones appended after them
    ASSERT_EQ(log.results().size(), 2u);
    EXPECT_EQ(log.results().at("b").successes, 3);
    log.append("c", {4, 4});
    EXPECT_NE(error_of([&] { log.append("a", {8, 0}); }).find("already has a result for \"a\""), std::string::npos);
    EXPECT_NE(error_of([&] { log.append("d", {2, 3}); }).find("3 successes in 2 samples"), std::string::npos);
  }
  auto results = load_mining_log(path);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results.at("a").samples, 8);
  EXPECT_EQ(results.at("a").successes, 0);
  EXPECT_EQ(results.at("c").successes, 4);
  EXPECT_TRUE(load_mining_log(path.parent_path() / "missing.jsonl").empty());
}

TEST(MiningLog, SecondWriterIsRefused) {
  auto path = fresh_dir() / "log.jsonl";
  MiningLog first(path);
  EXPECT_NE(error_of([&] { MiningLog second(path); }).find("locked by another process"), std::string::npos);
}

TEST(MiningLog, ResumesAfterTornLastLine) {
  auto path = fresh_dir() / "log.jsonl";
  write_bytes(path, "{\"id\":\"a\",\"samples\":8,\"successes\":0}\n{\"id\":\"b\",\"samples\":8,\"succ");
  std::vector<std::string> warnings;
  auto results = load_mining_log(path, &warnings);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results.count("a"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(path.string() + ":2: ignoring the torn final line"), std::string::npos) << warnings[0];

  warnings.clear();
  {
    MiningLog log(path, &warnings);
    EXPECT_EQ(log.results().size(), 1u);
    EXPECT_EQ(warnings.size(), 2u);  // the torn line, then its removal
    log.append("b", {8, 1});          // redone after the restart
  }
  EXPECT_EQ(read_bytes(path), "{\"id\":\"a\",\"samples\":8,\"successes\":0}\n{\"id\":\"b\",\"samples\":8,\"successes\":1}\n");
  warnings.clear();
  EXPECT_EQ(load_mining_log(path, &warnings).size(), 2u);
  EXPECT_TRUE(warnings.empty());
}

TEST(MiningLog, TornLineOfZerosFromACrashIsIgnored) {
  auto path = fresh_dir() / "log.jsonl";
  write_bytes(path, "{\"id\":\"a\",\"samples\":8,\"successes\":0}\n" + std::string(37, '\0'));
  std::vector<std::string> warnings;
  EXPECT_EQ(load_mining_log(path, &warnings).size(), 1u);
  EXPECT_EQ(warnings.size(), 1u);
}

TEST(MiningLog, UnterminatedForeignLastLineIsAnErrorNotTruncated) {
  // A file that is not a mining log must not be "repaired" (cut) by MiningLog.
  auto path = fresh_dir() / "log.jsonl";
  std::string contents = "{\"id\":\"a\",\"samples\":8,\"successes\":0}\n{\"problem\":\"q\",\"answer\":\"1\"}";
  write_bytes(path, contents);
  std::string message = error_of([&] { MiningLog log(path); });
  EXPECT_NE(message.find(path.string() + ":2: the final line has no newline"), std::string::npos) << message;
  EXPECT_EQ(read_bytes(path), contents);
}

TEST(MiningLog, CorruptMiddleLineIsAnError) {
  auto dir = fresh_dir();
  const std::string good = "{\"id\":\"a\",\"samples\":8,\"successes\":0}\n";
  auto expect_error = [&](const std::string& line2, const std::string& reason) {
    SCOPED_TRACE(line2);
    auto path = dir / "log.jsonl";
    write_bytes(path, good + line2 + "\n{\"id\":\"z\",\"samples\":8,\"successes\":0}\n");
    std::string message = error_of([&] { load_mining_log(path); });
    EXPECT_EQ(message.rfind(path.string() + ":2: ", 0), 0u) << message;
    EXPECT_NE(message.find(reason), std::string::npos) << message;
    EXPECT_NE(error_of([&] { MiningLog log(path); }), "no error");
  };
  expect_error("{\"id\":\"b\",\"samples\":8,\"succ", "not valid JSON");  // a torn line that is not last
  expect_error("{\"id\":\"b\",\"samples\":1e99999,\"successes\":0}", "not valid JSON");  // out of range
  expect_error("{\"id\":\"b\",\"samples\":" + std::string(100'000, '[') + std::string(100'000, ']') + "}",
               "nests deeper than 64 levels");  // printing it in the message would overflow the stack
  expect_error("[]", "expected a JSON object");
  expect_error("{\"samples\":8,\"successes\":0}", "missing field \"id\"");
  expect_error("{\"id\":\"b\",\"successes\":0}", "missing field \"samples\"");
  expect_error("{\"id\":\"b\",\"samples\":8}", "missing field \"successes\"");
  expect_error("{\"id\":3,\"samples\":8,\"successes\":0}", "field \"id\" must be a non-empty string");
  expect_error("{\"id\":\"b\",\"samples\":-1,\"successes\":0}", "field \"samples\" must be a non-negative integer");
  expect_error("{\"id\":\"b\",\"samples\":8,\"successes\":1.5}", "field \"successes\" must be a non-negative integer");
  expect_error("{\"id\":\"b\",\"samples\":2,\"successes\":3}", "\"successes\" (3) exceeds \"samples\" (2)");
  expect_error("{\"id\":\"a\",\"samples\":8,\"successes\":0}", "id \"a\" is already on line 1");
}

TEST(SelectHard, KeepsExactlyTheUnsolvedProblems) {
  auto problems = make_problems(6);
  std::map<std::string, MiningResult> results = {
      {"p0", {8, 0}},   // hard
      {"p1", {8, 1}},   // solved once: not hard
      {"p2", {16, 0}},  // more samples than K, never solved: hard
      {"p3", {8, 8}},
      {"p4", {8, 0}},   // hard
      {"p5", {9, 2}},
      {"other", {8, 0}},  // not in the problem set: ignored
  };
  auto hard = select_hard(problems, results, 8);
  EXPECT_EQ(ids(hard), (std::vector<std::string>{"p0", "p2", "p4"}));
  EXPECT_EQ(hard[1].problem, "question 2");

  MiningSummary summary = summarize_mining(problems, results, 8);
  EXPECT_EQ(summary.problems, 6);
  EXPECT_EQ(summary.hard, 3);
  EXPECT_EQ(summary.solved, 3);
  EXPECT_EQ(summary.samples, 57);
  EXPECT_EQ(summary.successes, 11);
  EXPECT_DOUBLE_EQ(summary.mean_success_rate, (1.0 / 8 + 1.0 + 2.0 / 9) / 6);

  auto dir = fresh_dir();
  write_mining_summary(dir / "summary.json", summary);
  auto json = nlohmann::json::parse(read_bytes(dir / "summary.json"));
  EXPECT_EQ(json["hard"], 3);
  EXPECT_EQ(json["min_samples"], 8);
  EXPECT_DOUBLE_EQ(json["hard_fraction"].get<double>(), 0.5);
  write_problems(dir / "hard.jsonl", hard);
  EXPECT_EQ(ids(read_problems(dir / "hard.jsonl").problems), ids(hard));
}

TEST(SelectHard, IncompleteProblemsAreAnError) {
  auto problems = make_problems(3);
  std::map<std::string, MiningResult> results = {{"p0", {8, 0}}, {"p1", {4, 0}}};
  std::string message = error_of([&] { select_hard(problems, results, 8); });
  EXPECT_NE(message.find("incomplete for 2 of 3 problems (1 not in the log, 1 with fewer than 8 samples)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("\"p1\" (4 samples)"), std::string::npos) << message;
  EXPECT_NE(message.find("\"p2\" (not in the log)"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { summarize_mining(problems, results, 8); }), "no error");
  EXPECT_NE(error_of([&] { select_hard(problems, results, 0); }).find("at least 1"), std::string::npos);
  // With K = 4 only the missing problem remains incomplete.
  EXPECT_NE(error_of([&] { select_hard(problems, results, 4); }).find("incomplete for 1 of 3"), std::string::npos);
}

TEST(SplitHardSet, DeterministicDisjointAndOrderIndependent) {
  auto problems = make_problems(100);
  HardSplit a = split_hard_set(problems, 70, 1234);
  HardSplit b = split_hard_set(problems, 70, 1234);
  EXPECT_EQ(ids(a.train), ids(b.train));
  EXPECT_EQ(ids(a.test), ids(b.test));
  ASSERT_EQ(a.train.size(), 70u);
  ASSERT_EQ(a.test.size(), 30u);
  auto train_ids = ids(a.train);
  std::set<std::string> train(train_ids.begin(), train_ids.end()), all = train;
  for (const auto& p : a.test) {
    EXPECT_FALSE(train.count(p.id)) << p.id << " is in both";
    all.insert(p.id);
  }
  EXPECT_EQ(all.size(), 100u);

  // A different seed gives a different split; the same seed on reordered input the same one.
  EXPECT_NE(ids(split_hard_set(problems, 70, 1235).train), ids(a.train));
  std::vector<Problem> reversed(problems.rbegin(), problems.rend());
  auto again = ids(split_hard_set(reversed, 70, 1234).train);
  std::set<std::string> again_set(again.begin(), again.end());
  EXPECT_EQ(again_set, train);
  // Each half keeps the input order.
  EXPECT_TRUE(std::is_sorted(a.test.begin(), a.test.end(), [](const Problem& x, const Problem& y) {
    return std::stoi(x.id.substr(1)) < std::stoi(y.id.substr(1));
  }));

  EXPECT_EQ(split_hard_set_by_fraction(problems, 0.25, 7).train.size(), 25u);
  EXPECT_EQ(split_hard_set_by_fraction(problems, 0.0, 7).test.size(), 100u);
  EXPECT_EQ(split_hard_set_by_fraction(problems, 1.0, 7).train.size(), 100u);
  EXPECT_NE(error_of([&] { split_hard_set_by_fraction(problems, 1.5, 7); }), "no error");
  EXPECT_NE(error_of([&] { split_hard_set(problems, 101, 7); }).find("exceeds"), std::string::npos);
}

}  // namespace
}  // namespace soar
