#include "core/atomic_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/directory.h"
#include "core/error.h"

namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::filesystem::path fresh_dir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / name;
  soar::remove_tree(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(AtomicFile, ReplacesWholeFile) {
  auto dir = fresh_dir("soar_atomic_replace");
  auto path = dir / "out.txt";
  soar::write_text_atomically(path, "old");
  soar::write_text_atomically(path, "new contents");
  EXPECT_EQ(read_all(path), "new contents");
  EXPECT_EQ(soar::directory_entries(dir).size(), 1u) << "temporary file left behind";
}

TEST(AtomicFile, FailureKeepsOldFileAndNamesPath) {
  auto dir = fresh_dir("soar_atomic_failure");
  auto path = dir / "out.txt";
  soar::write_text_atomically(path, "old");
  try {
    soar::write_file_atomically(path, [](std::ostream& out) {
      out << "partial";
      throw std::runtime_error("writer broke");
    });
    FAIL() << "expected an error";
  } catch (const soar::Error& e) {
    EXPECT_NE(std::string(e.what()).find("out.txt"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("writer broke"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_all(path), "old");
  EXPECT_EQ(soar::directory_entries(dir).size(), 1u);
}

TEST(AtomicFile, MissingDirectoryIsAClearError) {
  EXPECT_THROW(soar::write_text_atomically("/nonexistent_soar_dir/x.txt", "x"), soar::Error);
}

TEST(AtomicDirectory, ReplacesWholeDirectoryAndSurvivesAFailedWrite) {
  auto root = fresh_dir("soar_atomic_directory");
  auto dir = root / "checkpoint";
  soar::replace_directory_atomically(dir, [](const std::filesystem::path& staging) {
    std::filesystem::create_directories(staging);
    soar::write_text_atomically(staging / "state.json", "1");
  });
  soar::replace_directory_atomically(dir, [](const std::filesystem::path& staging) {
    std::filesystem::create_directories(staging);
    soar::write_text_atomically(staging / "state.json", "2");
  });
  EXPECT_EQ(read_all(dir / "state.json"), "2");
  EXPECT_FALSE(std::filesystem::exists(root / "checkpoint.tmp"));
  EXPECT_FALSE(std::filesystem::exists(root / "checkpoint.old"));
  EXPECT_THROW(soar::replace_directory_atomically(dir, [](const std::filesystem::path& staging) {
                 std::filesystem::create_directories(staging);
                 throw std::runtime_error("killed mid-write");
               }),
               std::runtime_error);
  EXPECT_EQ(read_all(dir / "state.json"), "2") << "a failed write must leave the last complete version";
}

TEST(AtomicDirectory, CompleteDirectoryFallsBackToTheOldVersion) {
  auto root = fresh_dir("soar_complete_directory");
  auto dir = root / "checkpoint";
  EXPECT_FALSE(soar::complete_directory(dir, "state.json").has_value());
  // A kill between the two renames leaves only checkpoint.old.
  std::filesystem::create_directories(root / "checkpoint.old");
  soar::write_text_atomically(root / "checkpoint.old" / "state.json", "1");
  EXPECT_EQ(soar::complete_directory(dir, "state.json"), root / "checkpoint.old");
  // A directory without its marker (a kill before the last file) is not complete.
  std::filesystem::create_directories(dir);
  EXPECT_EQ(soar::complete_directory(dir, "state.json"), root / "checkpoint.old");
  soar::write_text_atomically(dir / "state.json", "2");
  EXPECT_EQ(soar::complete_directory(dir, "state.json"), dir);
}

TEST(AtomicFile, RefusesToReplaceALinkOrADevice) {
  auto dir = fresh_dir("soar_atomic_link");
  soar::write_text_atomically(dir / "target.txt", "kept");
  std::filesystem::create_symlink(dir / "target.txt", dir / "link.txt");
  EXPECT_THROW(soar::write_text_atomically(dir / "link.txt", "new"), soar::Error);
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "link.txt"));
  EXPECT_EQ(read_all(dir / "target.txt"), "kept");
  EXPECT_THROW(soar::write_text_atomically("/dev/null", "new"), soar::Error);
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
  EXPECT_THROW(soar::write_text_atomically(dir, "new"), soar::Error);  // a directory
}

}  // namespace
