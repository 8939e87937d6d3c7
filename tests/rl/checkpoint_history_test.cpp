// Kept checkpoints (run/checkpoint_history.h): the newest N under checkpoints/, snapshots every M
// steps kept for good, hard links rather than copies, stale newer entries dropped, and leftovers of
// an interrupted copy ignored.
#include "run/checkpoint_history.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/directory.h"

namespace soar {
namespace {
namespace fs = std::filesystem;

class CheckpointHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run = fs::temp_directory_path() / ("checkpoint_history_" + std::to_string(::getpid()));
    remove_tree(run);
    fs::create_directories(run);
  }
  void TearDown() override { remove_tree(run); }

  // RUN/checkpoint as a save would leave it after `step` steps: replaced, never edited in place.
  void save(int64_t step, const CheckpointRetention& retention) {
    remove_tree(run / "checkpoint");
    fs::create_directories(run / "checkpoint" / "sub");
    std::ofstream(run / "checkpoint" / "state.json") << "{\"next_step\": " << step << "}\n";
    std::ofstream(run / "checkpoint" / "sub" / "weights") << "weights of step " << step;
    keep_checkpoint_history(run, run / "checkpoint", step, retention);
  }
  std::vector<std::string> entries(const std::string& dir) { return fs::exists(run / dir) ? directory_entries(run / dir) : std::vector<std::string>{}; }
  std::string weights(const std::string& dir) {
    std::ifstream in(run / dir / "sub" / "weights");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path run;
};

TEST_F(CheckpointHistoryTest, KeepOneWritesNoHistory) {
  for (int64_t step : {2, 4, 6}) save(step, {});
  EXPECT_FALSE(fs::exists(run / "checkpoints"));
  EXPECT_FALSE(fs::exists(run / "snapshots"));
}

TEST_F(CheckpointHistoryTest, KeepsTheNewestNAndEverySnapshot) {
  const CheckpointRetention retention{.keep = 2, .snapshot_every = 4};
  for (int64_t step : {2, 4, 6, 8, 10}) save(step, retention);
  EXPECT_EQ(entries("checkpoints"), (std::vector<std::string>{"step_00000008", "step_00000010"}));
  EXPECT_EQ(entries("snapshots"), (std::vector<std::string>{"step_00000004", "step_00000008"}));
  EXPECT_EQ(weights("checkpoints/step_00000008"), "weights of step 8");
  EXPECT_EQ(weights("snapshots/step_00000004"), "weights of step 4");
  EXPECT_EQ(weights("checkpoints/step_00000010"), weights("checkpoint"));
}

TEST_F(CheckpointHistoryTest, CopiesAreHardLinks) {
  save(3, {.keep = 3});
  struct stat a {}, b {};
  ASSERT_EQ(::stat((run / "checkpoint" / "sub" / "weights").c_str(), &a), 0);
  ASSERT_EQ(::stat((run / "checkpoints" / "step_00000003" / "sub" / "weights").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

// A run resumed from step 4's checkpoint redoes steps 5-8: their old entries are of another history.
TEST_F(CheckpointHistoryTest, ResumingFromAnOlderCheckpointDropsNewerEntries) {
  const CheckpointRetention retention{.keep = 5};
  for (int64_t step : {2, 4, 6, 8}) save(step, retention);
  save(5, retention);
  EXPECT_EQ(entries("checkpoints"), (std::vector<std::string>{"step_00000002", "step_00000004", "step_00000005"}));
}

TEST_F(CheckpointHistoryTest, LeftoversOfAnInterruptedCopyAreNotEntries) {
  fs::create_directories(run / "checkpoints" / "step_00000001.tmp");
  fs::create_directories(run / "checkpoints" / "notes");
  for (int64_t step : {2, 4, 6}) save(step, {.keep = 2});
  EXPECT_EQ(entries("checkpoints"),
            (std::vector<std::string>{"notes", "step_00000001.tmp", "step_00000004", "step_00000006"}));
}

TEST(CheckpointStepName, IsZeroPaddedSoNamesSortByStep) {
  EXPECT_EQ(checkpoint_step_name(40), "step_00000040");
  EXPECT_LT(checkpoint_step_name(9), checkpoint_step_name(10));
}

}  // namespace
}  // namespace soar
