// Append-only metrics: one JSON object a line, flushed and fsynced per record, so a run killed
// with kill -9 keeps every record it finished. A record is never left half-written: a failed append
// (a full disk) cuts the file back to its size before the append, and opening a file whose last
// line is torn (a machine that lost power mid-write) cuts that line off and says so.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/event_file.h"

namespace soar {

// Every record with an integer "step" also goes to a TensorBoard event file beside the log
// (core/event_file.h), each number in it a scalar tagged "<event>/<key>[/<nested key>...]".
class MetricsLog {
 public:
  explicit MetricsLog(const std::filesystem::path& path, bool tensorboard = true);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;
  void append(const nlohmann::json& record);
  // Text for TensorBoard only (e.g. a teacher's dataset); nothing without an event file.
  void add_text(const std::string& tag, int64_t step, const std::string& text);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::unique_ptr<EventFile> events_;
};

// Cuts a torn last line (text after the last newline) off the open file `fd` and fsyncs it; returns
// the bytes removed. Throws soar::Error naming `path` if it cannot be read or cut. (The mining log
// uses it too.)
int64_t cut_torn_last_line(int fd, const std::filesystem::path& path);

// The records a resumed run must not keep: those whose integer field "step" is above `step` (all
// with a "step" field when `step` is 0), written after the checkpoint the run resumes from and
// about to be written again. Rewrites the file atomically without them (and without a torn last
// line); returns how many were removed. Lines that are not JSON objects are kept as they are.
int64_t drop_records_after_step(const std::filesystem::path& path, int64_t step);

}  // namespace soar
