#include "core/metrics_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace soar {

int64_t cut_torn_last_line(int fd, const std::filesystem::path& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) fail("cannot stat ", path, ": ", std::strerror(errno));
  const off_t end = info.st_size;
  off_t keep = end;
  char chunk[4096];
  while (keep > 0) {  // back to just after the last newline, a chunk at a time
    const off_t from = std::max<off_t>(0, keep - off_t(sizeof chunk));
    const ssize_t n = ::pread(fd, chunk, std::size_t(keep - from), from);
    if (n != keep - from) fail("cannot read ", path, ": ", std::strerror(errno));
    if (const auto* newline = static_cast<const char*>(::memrchr(chunk, '\n', std::size_t(n)))) {
      keep = from + (newline - chunk) + 1;
      break;
    }
    keep = from;
  }
  if (keep != end && (::ftruncate(fd, keep) != 0 || ::fsync(fd) != 0)) {
    fail("cannot cut the torn last line of ", path, ": ", std::strerror(errno));
  }
  return end - keep;
}

int64_t drop_records_after_step(const std::filesystem::path& path, int64_t step) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;
  std::string kept, line;
  int64_t dropped = 0;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline after it: a torn last line, cut as the log does
    const nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    const auto found = record.is_object() ? record.find("step") : record.end();
    if (record.is_object() && found != record.end() && found->is_number_integer() &&
        (step == 0 || found->get<int64_t>() > step)) {
      ++dropped;
      continue;
    }
    kept += line + "\n";
  }
  if (dropped > 0) write_text_atomically(path, kept);
  return dropped;
}

namespace {

// Every number of `value` as a scalar "<prefix>/<key>...": nested objects extend the tag.
void add_scalars(EventFile& events, const std::string& prefix, const nlohmann::json& value, int64_t step) {
  if (value.is_number()) {
    events.add_scalar(prefix, step, value.get<double>());
  } else if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (key != "step" && key != "event") add_scalars(events, prefix.empty() ? key : prefix + "/" + key, item, step);
    }
  }
}

}  // namespace

MetricsLog::MetricsLog(const std::filesystem::path& path, bool tensorboard) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open metrics file ", path, ": ", std::strerror(errno));
  try {
    if (const int64_t removed = cut_torn_last_line(fd_, path); removed > 0) {
      std::cerr << "soar: repaired " << path.string() << ": removed a torn last record of " << removed
                << " bytes (a run stopped while writing it)\n";
    }
  } catch (...) {
    ::close(fd_);
    throw;
  }
  if (tensorboard) {
    try {
      events_ = std::make_unique<EventFile>(path.has_parent_path() ? path.parent_path() : ".");
    } catch (const Error& e) {  // the curves are a convenience: the run goes on without them
      std::cerr << "soar: warning: " << e.what() << "; no TensorBoard curves for this run\n";
    }
  }
}

MetricsLog::~MetricsLog() {
  if (fd_ >= 0) ::close(fd_);
}

void MetricsLog::append(const nlohmann::json& record) {
  const std::string line = record.dump() + "\n";
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(fd_, data, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      int saved = written < 0 ? errno : ENOSPC;
      // Leave whole records only: a resumed run appends after the last complete line.
      if (before >= 0 && ::ftruncate(fd_, before) != 0) saved = errno;
      fail("cannot append to metrics file ", path_, ": ", std::strerror(saved));
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
  if (::fsync(fd_) != 0) fail("fsync of metrics file ", path_, " failed: ", std::strerror(errno));
  const auto step = record.find("step");
  if (events_ && step != record.end() && step->is_number_integer()) {
    const auto event = record.find("event");
    add_scalars(*events_, event != record.end() && event->is_string() ? event->get<std::string>() : "", record, step->get<int64_t>());
  }
}

void MetricsLog::add_text(const std::string& tag, int64_t step, const std::string& text) {
  if (events_) events_->add_text(tag, step, text);
}

}  // namespace soar
