// One run per directory: an exclusive advisory lock (flock) on RUN_DIR/.lock, holding the pid of
// its owner. The kernel releases it when the process ends, however it ends, so a lock left by a
// killed run is free and taken over; a second live run is refused naming the holder.
// (flock on NFS is emulated with POSIX locks by Linux >= 2.6.12; on file systems without locks the
// lock cannot be taken and the run is refused with the reason.)
#pragma once

#include <filesystem>

namespace soar {

class RunLock {
 public:
  // Creates `dir` if needed and takes the lock, or throws soar::Error naming the holder's pid.
  explicit RunLock(const std::filesystem::path& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace soar
