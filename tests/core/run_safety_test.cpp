// The run-safety pieces of core: metrics that stay whole records (a torn line cut, a full disk
// rolled back, records after a resumed checkpoint dropped), the run-directory lock, and the output
// path checks.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/directory.h"
#include "core/error.h"
#include "core/event_file.h"
#include "core/metrics_log.h"
#include "core/output_path.h"
#include "core/run_lock.h"

namespace {
namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

fs::path fresh_dir(const char* name) {
  auto dir = fs::temp_directory_path() / name;
  soar::remove_tree(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

TEST(MetricsLog, CutsATornLastLineOnOpen) {
  const fs::path path = fresh_dir("soar_metrics_torn") / "metrics.jsonl";
  write(path, "{\"step\":1}\n{\"step\":2}\n{\"ste");
  {
    soar::MetricsLog log(path);
    log.append({{"step", 3}});
  }
  EXPECT_EQ(read_all(path), "{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n");
}

TEST(MetricsLog, AFullDiskLeavesOnlyWholeRecords) {
  // A child process whose file-size limit is reached part-way through a record (write() then
  // fails with EFBIG, as with ENOSPC on a full disk): the record it could not finish is taken back.
  const fs::path path = fresh_dir("soar_metrics_full") / "metrics.jsonl";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{1000, 1000};
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      soar::MetricsLog log(path);
      for (int step = 1; step < 1000; ++step) log.append({{"step", step}, {"padding", std::string(37, 'x')}});
    } catch (const soar::Error& e) {
      _exit(std::string(e.what()).find("cannot append to metrics file") != std::string::npos ? 0 : 2);
    }
    _exit(3);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the append did not fail with the metrics error";
  const std::string text = read_all(path);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::istringstream lines(text);
  int expected = 1;
  for (std::string line; std::getline(lines, line); ++expected) EXPECT_EQ(nlohmann::json::parse(line).at("step"), expected);
  EXPECT_LT(text.size(), 1000u);
}

TEST(MetricsLog, DropsRecordsAfterTheResumedStep) {
  const fs::path path = fresh_dir("soar_metrics_drop") / "metrics.jsonl";
  write(path, "{\"event\":\"config\"}\n{\"step\":1}\nnot json\n{\"step\":2,\"event\":\"eval\"}\n{\"step\":3}\n{\"step\":4}\n{\"st");
  EXPECT_EQ(soar::drop_records_after_step(path, 2), 2);
  EXPECT_EQ(read_all(path), "{\"event\":\"config\"}\n{\"step\":1}\nnot json\n{\"step\":2,\"event\":\"eval\"}\n");
  EXPECT_EQ(soar::drop_records_after_step(path, 2), 0);
  EXPECT_EQ(soar::drop_records_after_step(path, 0), 2);  // no checkpoint: every step record goes
  EXPECT_EQ(read_all(path), "{\"event\":\"config\"}\nnot json\n");
  EXPECT_EQ(soar::drop_records_after_step(path.parent_path() / "absent.jsonl", 0), 0);
}

TEST(RunLock, OneHolderAtATimeAndReleasedOnDestruction) {
  const fs::path dir = fresh_dir("soar_run_lock") / "run";
  {
    soar::RunLock first(dir);
    EXPECT_EQ(std::stol(read_all(dir / ".lock")), static_cast<long>(getpid()));
    try {
      soar::RunLock second(dir);
      FAIL() << "a second lock was granted";
    } catch (const soar::Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(getpid())), std::string::npos) << e.what();
    }
  }
  soar::RunLock again(dir);  // released by the first holder's destructor
}

TEST(RunLock, ALockLeftByAKilledProcessIsTakenOver) {
  const fs::path dir = fresh_dir("soar_run_lock_killed") / "run";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    soar::RunLock held(dir);
    pause();  // killed below while holding it
    _exit(0);
  }
  for (int i = 0; i < 200 && read_all(dir / ".lock").empty(); ++i) usleep(10000);
  EXPECT_THROW(soar::RunLock refused(dir), soar::Error);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  soar::RunLock taken(dir);
  EXPECT_EQ(std::stol(read_all(dir / ".lock")), static_cast<long>(getpid()));
}

TEST(OutputPath, RefusesWhatAnAtomicWriteWouldDamage) {
  const fs::path dir = fresh_dir("soar_output_path");
  write(dir / "input.jsonl", "{}\n");
  fs::create_symlink(dir / "input.jsonl", dir / "link.jsonl");
  const auto refused = [](const fs::path& path, soar::OutputKind kind, const std::string& expected,
                          const std::vector<soar::NamedInput>& inputs = {}) {
    try {
      soar::check_output_path(path, kind, inputs);
      ADD_FAILURE() << path << " was accepted";
    } catch (const soar::Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  refused("-", soar::OutputKind::File, "not standard output");
  refused("/dev/null", soar::OutputKind::File, "not a regular file");
  refused(dir / "link.jsonl", soar::OutputKind::File, "symbolic link");
  refused(dir, soar::OutputKind::File, "not a regular file");
  refused(dir / "input.jsonl", soar::OutputKind::Directory, "not a directory");
  refused(dir / "missing" / "out.jsonl", soar::OutputKind::File, "does not exist");
  refused(dir / "." / "input.jsonl", soar::OutputKind::File, "is the input of --problems", {{"--problems", dir / "input.jsonl"}});
  refused(dir, soar::OutputKind::Directory, "is the input of --model", {{"--model", dir / "." }});
  EXPECT_NO_THROW(soar::check_output_path(dir / "new.jsonl", soar::OutputKind::File, {{"--problems", dir / "input.jsonl"}}));
  EXPECT_NO_THROW(soar::check_output_path(dir / "input.jsonl", soar::OutputKind::File));  // replacing a file is what --out does
  EXPECT_NO_THROW(soar::check_output_path(dir / "run", soar::OutputKind::Directory));
}

TEST(EventFile, Crc32cOfTheStandardCheckString) {
  EXPECT_EQ(soar::crc32c("123456789"), 0xE3069283u);  // the CRC-32C check value (RFC 3720, B.4)
  EXPECT_EQ(soar::crc32c(""), 0u);
}

TEST(MetricsLog, WritesATensorBoardEventFileBesideIt) {
  const fs::path dir = fresh_dir("soar_metrics_events");
  {
    soar::MetricsLog log(dir / "metrics.jsonl");
    log.append({{"event", "step"}, {"step", 1}, {"reward", 0.5}});
  }
  {
    soar::MetricsLog quiet(dir / "quiet.jsonl", /*tensorboard=*/false);
  }
  int files = 0;
  for (const std::string& name : soar::directory_entries(dir)) files += name.rfind("events.out.tfevents.", 0) == 0;
  EXPECT_EQ(files, 1);
}

}  // namespace
