// The rollout log's pieces: which steps and problems are kept, the files (plain, gzipped past the
// threshold and readable by zcat, the other variant removed), resume's clean-up, and the verdicts.
#include "rl/rollout_log.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/directory.h"
#include "core/error.h"

namespace soar {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / cat("soar_rollout_log_test_", name, "_", ::getpid());
  remove_tree(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(RolloutSelection, FirstAndEveryNthStepNoneAtZero) {
  RolloutSelection every3{.every = 3};
  std::vector<int64_t> kept;
  for (int64_t step = 1; step <= 10; ++step) {
    if (every3.keeps_step(step)) kept.push_back(step);
  }
  EXPECT_EQ(kept, (std::vector<int64_t>{1, 3, 6, 9}));
  EXPECT_FALSE(RolloutSelection{.every = 0}.keeps_step(1));
  EXPECT_TRUE(RolloutSelection{}.keeps_step(7));
}

TEST(RolloutSelection, SampleKeepsKProblemsFromTheSeedAndStep) {
  const RolloutSelection select{.every = 1, .sample = 3, .seed = 11};
  const std::vector<bool> a = select.kept_problems(5, 10);
  EXPECT_EQ(std::count(a.begin(), a.end(), true), 3);
  EXPECT_EQ(a, select.kept_problems(5, 10));  // every process draws the same
  bool differs = false;
  for (int64_t step = 6; step < 16; ++step) differs = differs || select.kept_problems(step, 10) != a;
  EXPECT_TRUE(differs);
  const std::vector<bool> all = RolloutSelection{.sample = 0}.kept_problems(1, 4);
  EXPECT_EQ(std::count(all.begin(), all.end(), true), 4);
  const std::vector<bool> more = RolloutSelection{.sample = 9}.kept_problems(1, 4);
  EXPECT_EQ(std::count(more.begin(), more.end(), true), 4);
}

TEST(RolloutFile, SmallPlainLargeGzippedReadableByZcatOtherVariantRemoved) {
  const fs::path dir = fresh_dir("file");
  const fs::path path = dir / "sub" / "step_000001.jsonl";
  EXPECT_EQ(write_rollout_file(path, "{\"a\":1}\n"), path);
  EXPECT_EQ(read_rollout_file(path), "{\"a\":1}\n");

  std::string large;
  while (large.size() < kGzipRolloutBytes) large += cat("{\"completion\":\"", large.size(), " some text\"}\n");
  const fs::path zipped = write_rollout_file(path, large);
  EXPECT_EQ(zipped, fs::path(path.string() + ".gz"));
  EXPECT_FALSE(fs::exists(path));  // a redone step leaves one file
  EXPECT_LT(fs::file_size(zipped), large.size() / 4);
  EXPECT_EQ(read_rollout_file(zipped), large);
  ASSERT_EQ(std::system(cat("zcat '", zipped.string(), "' > '", (dir / "unzipped").string(), "'").c_str()), 0);
  std::ifstream in(dir / "unzipped", std::ios::binary);
  std::ostringstream unzipped;
  unzipped << in.rdbuf();
  EXPECT_EQ(unzipped.str(), large);

  EXPECT_EQ(write_rollout_file(path, "small again\n"), path);
  EXPECT_FALSE(fs::exists(zipped));
  remove_tree(dir);
}

TEST(RolloutFile, TornGzipIsAnErrorNamingTheFile) {
  const fs::path dir = fresh_dir("torn");
  std::string large(kGzipRolloutBytes, 'x');
  const fs::path zipped = write_rollout_file(dir / "r.jsonl", large);
  fs::resize_file(zipped, fs::file_size(zipped) / 2);
  try {
    read_rollout_file(zipped);
    FAIL() << "a torn gzip file was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("r.jsonl.gz"), std::string::npos) << e.what();
  }
  remove_tree(dir);
}

TEST(RolloutFile, ResumeRemovesOnlyLaterSteps) {
  const fs::path dir = fresh_dir("resume");
  for (const char* name : {"step_000002.jsonl", "step_000003.jsonl", "step_000004.jsonl.gz", "notes.txt"}) {
    std::ofstream(dir / name) << "x";
  }
  fs::create_directories(dir / "step_3" / "dataset_0");
  fs::create_directories(dir / "step_1");
  remove_rollouts_after(dir, "step_", 2);
  EXPECT_EQ(directory_entries(dir), (std::vector<std::string>{"notes.txt", "step_000002.jsonl", "step_1"}));
  remove_rollouts_after(dir / "missing", "step_", 0);  // nothing to do
  remove_tree(dir);
}

TEST(RolloutRecord, FieldsAndVerdicts) {
  const Problem problem{"p1", "2+2", "4"};
  const Completion completion{{5, 6, 7}, {}, "so \\boxed{4}", FinishReason::Eos};
  const nlohmann::ordered_json r = rollout_json({3, &problem, 1, &completion, 1.0, -0.5}, judge_by_name("math"));
  EXPECT_EQ(r.begin().key(), "step");  // lines read from the step and the problem on
  EXPECT_EQ(r["step"], 3);
  EXPECT_EQ(r["id"], "p1");
  EXPECT_EQ(r["prompt"], "2+2");
  EXPECT_EQ(r["verdict"], "correct");
  EXPECT_EQ(r["answer"], "4");
  EXPECT_EQ(r["advantage"], -0.5);
  EXPECT_EQ(r["length"], 3);
  EXPECT_EQ(r["finish"], "eos");
  const auto verdict = [&](const std::string& reward, const std::string& text) {
    return std::string(judge_by_name(reward)(problem, text).verdict);
  };
  EXPECT_EQ(verdict("math", "it is \\boxed{5}"), "wrong");
  EXPECT_EQ(verdict("math-shaped", ""), "no_answer");
  EXPECT_EQ(verdict("exact", "Answer: 4"), "correct");
  EXPECT_EQ(verdict("exact", "Answer: 5"), "wrong");
  EXPECT_EQ(verdict("exact", "  "), "no_answer");
  EXPECT_THROW(judge_by_name("fuzzy"), Error);
  const nlohmann::ordered_json eval = rollout_json({std::nullopt, &problem, 0, &completion, 0.0, std::nullopt}, judge_by_name("exact"));
  EXPECT_FALSE(eval.contains("step"));
  EXPECT_TRUE(eval["advantage"].is_null());
  // A completion cut inside a character still gives a line of valid JSON.
  const Completion cut{{1}, {}, "ok \xE2\x82", FinishReason::Length};
  const std::string line = rollout_line(rollout_json({1, &problem, 0, &cut, 0.0, 0.0}, judge_by_name("exact")));
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(nlohmann::json::parse(line)["completion"], "ok \xEF\xBF\xBD");
  EXPECT_EQ(nlohmann::json::parse(line)["finish"], "length");
}

}  // namespace
}  // namespace soar
