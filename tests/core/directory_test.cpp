#include "core/directory.h"

#include <gtest/gtest.h>

#include "../data/test_files.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace {

using soar::test::fresh_dir;

void touch(const fs::path& path) { soar::test::write_bytes(path, "x"); }

}  // namespace

TEST(Directory, EntriesAreSortedNamesWithoutDots) {
  fs::path dir = fresh_dir();
  touch(dir / "b");
  touch(dir / "a.json");
  fs::create_directories(dir / "c");
  touch(dir / ".hidden");
  EXPECT_EQ(soar::directory_entries(dir), (std::vector<std::string>{".hidden", "a.json", "b", "c"}));
  EXPECT_TRUE(soar::directory_entries(dir / "c").empty());
}

TEST(Directory, ListingAMissingDirectoryNamesIt) {
  fs::path missing = fresh_dir() / "absent";
  try {
    soar::directory_entries(missing);
    FAIL() << "no error";
  } catch (const soar::Error& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string() + ": cannot list directory"), std::string::npos) << e.what();
  }
}

TEST(Directory, RemoveTreeRemovesEverythingBelowAndOnlyThat) {
  fs::path dir = fresh_dir();
  fs::create_directories(dir / "tree" / "a" / "b" / "c");
  touch(dir / "tree" / "top");
  touch(dir / "tree" / "a" / "b" / "c" / "deep");
  fs::create_directories(dir / "tree" / "empty");
  // A link inside the tree to a directory outside it: the link goes, the directory it names stays.
  fs::create_directories(dir / "outside");
  touch(dir / "outside" / "kept");
  fs::create_directory_symlink(dir / "outside", dir / "tree" / "a" / "link");
  touch(dir / "sibling");

  soar::remove_tree(dir / "tree");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir / "tree")));
  EXPECT_TRUE(fs::exists(dir / "outside" / "kept"));
  EXPECT_EQ(soar::directory_entries(dir), (std::vector<std::string>{"outside", "sibling"}));
}

TEST(Directory, RemoveTreeTakesFilesAndIgnoresMissingPaths) {
  fs::path dir = fresh_dir();
  touch(dir / "file");
  soar::remove_tree(dir / "file");
  EXPECT_FALSE(fs::exists(dir / "file"));
  EXPECT_NO_THROW(soar::remove_tree(dir / "never-existed"));
  EXPECT_NO_THROW(soar::remove_tree(dir / "never-existed" / "below"));
}

TEST(Directory, RemoveTreeOfAPathThroughAFileNamesIt) {
  fs::path dir = fresh_dir();
  touch(dir / "file");
  try {
    soar::remove_tree(dir / "file" / "below");
    FAIL() << "no error";
  } catch (const soar::Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "file" / "below").string() + ": cannot remove"), std::string::npos)
        << e.what();
  }
}

TEST(Directory, NumberedEntries) {
  using soar::numbered_entry;
  EXPECT_EQ(numbered_entry("step_00000012", "step_", {""}), 12);
  EXPECT_EQ(numbered_entry("step_000012.jsonl.gz", "step_", {"", ".jsonl", ".jsonl.gz"}), 12);
  EXPECT_EQ(numbered_entry("step_12.tmp", "step_", {""}), std::nullopt) << "an interrupted copy is not an entry";
  EXPECT_EQ(numbered_entry("step_", "step_", {""}), std::nullopt);
  EXPECT_EQ(numbered_entry("step_x1", "step_", {""}), std::nullopt);
  EXPECT_EQ(numbered_entry("stop_1", "step_", {""}), std::nullopt);
  EXPECT_EQ(numbered_entry("step_999999999999999999", "step_", {""}), 999999999999999999);
  EXPECT_EQ(numbered_entry("step_99999999999999999999999", "step_", {""}), std::nullopt) << "no overflow, no throw";
}
