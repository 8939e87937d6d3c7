// Append-only metrics: one JSON object a line, flushed and fsynced per record, so a run killed
// with kill -9 keeps every record it finished.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace soar {

class MetricsLog {
 public:
  explicit MetricsLog(const std::filesystem::path& path);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;
  void append(const nlohmann::json& record);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace soar
