#include "core/metrics_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace soar {

MetricsLog::MetricsLog(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open metrics file ", path, ": ", std::strerror(errno));
}

MetricsLog::~MetricsLog() {
  if (fd_ >= 0) ::close(fd_);
}

void MetricsLog::append(const nlohmann::json& record) {
  std::string line = record.dump() + "\n";
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t written = ::write(fd_, data, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) fail("cannot append to metrics file ", path_, ": ", std::strerror(errno));
    data += written;
    left -= static_cast<size_t>(written);
  }
  if (::fsync(fd_) != 0) fail("fsync of metrics file ", path_, " failed: ", std::strerror(errno));
}

}  // namespace soar
