#include "core/atomic_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(AtomicFile, ReplacesWholeFile) {
  auto dir = fresh_dir("soar_atomic_replace");
  auto path = dir / "out.txt";
  soar::write_text_atomically(path, "old");
  soar::write_text_atomically(path, "new contents");
  EXPECT_EQ(read_all(path), "new contents");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1) << "temporary file left behind";
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
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
}

TEST(AtomicFile, MissingDirectoryIsAClearError) {
  EXPECT_THROW(soar::write_text_atomically("/nonexistent_soar_dir/x.txt", "x"), soar::Error);
}

}  // namespace
