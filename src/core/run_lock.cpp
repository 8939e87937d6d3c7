#include "core/run_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>

#include "core/error.h"

namespace soar {
namespace {

// The pid written in the lock file, 0 if none can be read.
long read_pid(int fd) {
  char buffer[32] = {};
  const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return 0;
  char* end = nullptr;
  const long pid = std::strtol(buffer, &end, 10);
  return end != buffer && pid > 0 ? pid : 0;
}

}  // namespace

RunLock::RunLock(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) fail("cannot create run directory ", dir, ": ", error.message());
  const std::filesystem::path path = dir / ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open the run lock ", path, ": ", std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    const long holder = read_pid(fd_);
    ::close(fd_);
    fd_ = -1;
    if (saved == EWOULDBLOCK) {
      fail("run directory ", dir, " is in use by ", holder > 0 ? cat("process ", holder) : std::string("another process"), " (",
           path, "): two runs in one directory would mix their metrics and checkpoints; wait for it to end or give another --out");
    }
    fail("cannot lock the run directory ", dir, " (", path, "): ", std::strerror(saved));
  }
  const long previous = read_pid(fd_);
  if (previous > 0 && previous != ::getpid()) {
    const bool alive = ::kill(static_cast<pid_t>(previous), 0) == 0 || errno == EPERM;
    std::cerr << "soar: taking over the lock of " << dir.string() << " left by process " << previous
              << (alive ? "" : ", which is no longer running") << "\n";
  }
  const std::string mine = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, mine.data(), mine.size(), 0) != static_cast<ssize_t>(mine.size())) {
    std::cerr << "soar: warning: cannot write the pid into " << path.string() << ": " << std::strerror(errno) << "\n";
  }
}

RunLock::~RunLock() {
  if (fd_ < 0) return;
  [[maybe_unused]] const int ignored = ::ftruncate(fd_, 0);  // no pid left: the next run takes a clean hand-over
  ::close(fd_);  // releases the lock
}

}  // namespace soar
