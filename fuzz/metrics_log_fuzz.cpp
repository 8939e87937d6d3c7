// libFuzzer target for the metrics file a resumed run repairs (core/metrics_log.h): the first byte
// picks the checkpoint step (0-7), the rest is the file. Dropping the records after that step must
// keep exactly the other whole lines, in order, leave no torn line, and be idempotent; opening the
// log and appending must then add one whole record. Any exception other than soar::Error, crash,
// sanitizer report or hang is a finding.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/metrics_log.h"
#include "scratch_dir.h"

namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The whole lines of `text` (those ending in a newline), without the newline.
std::vector<std::string> whole_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) lines.push_back(text.substr(start, end - start));
  return lines;
}

bool dropped(const std::string& line, int64_t step) {
  const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
  if (!record.is_object()) return false;
  const auto found = record.find("step");
  return found != record.end() && found->is_number_integer() && (step == 0 || found->get<int64_t>() > step);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int64_t step = data[0] % 8;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const fs::path path = fuzz_scratch_dir("soar-metrics-log-fuzz") / "metrics.jsonl";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  std::vector<std::string> expected;
  int64_t expected_drops = 0;
  for (const std::string& line : whole_lines(text)) {
    if (dropped(line, step)) {
      ++expected_drops;
    } else {
      expected.push_back(line);
    }
  }
  try {
    if (soar::drop_records_after_step(path, step) != expected_drops) std::abort();
    if (expected_drops > 0 && whole_lines(read_all(path)) != expected) std::abort();
    if (soar::drop_records_after_step(path, step) != 0) std::abort();  // idempotent
    {
      soar::MetricsLog log(path);  // cuts a torn last line
      log.append({{"event", "fuzz"}, {"step", step}});
    }
  } catch (const soar::Error&) {
    return 0;
  }
  const std::string after = read_all(path);
  if (after.empty() || after.back() != '\n') std::abort();
  const std::vector<std::string> lines = whole_lines(after);
  if (nlohmann::json::parse(lines.back()) != nlohmann::json{{"event", "fuzz"}, {"step", step}}) std::abort();
  return 0;
}
