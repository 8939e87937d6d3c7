// libFuzzer target for problem-set JSONL (data/problems.h): any bytes as a file must either be read
// or be refused with soar::Error; any other exception, crash, sanitizer report or hang is a finding.
// What is read must be what the contract promises (non-empty fields, unique ids, valid UTF-8), the
// Stop and Skip policies must agree on a file without bad lines, and writing the problems back and
// reading that file must give the same problems.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>

#include "core/error.h"
#include "core/utf8.h"
#include "data/problems.h"
#include "scratch_dir.h"

namespace {

namespace fs = std::filesystem;

std::optional<soar::ProblemSet> read(const fs::path& path, soar::BadLinePolicy policy) {
  try {
    return soar::read_problems(path, policy);
  } catch (const soar::Error&) {
    return std::nullopt;
  }
}

bool same(const soar::Problem& a, const soar::Problem& b) {
  return a.id == b.id && a.problem == b.problem && a.answer == b.answer && a.extra_json == b.extra_json;
}

bool same(const std::vector<soar::Problem>& a, const std::vector<soar::Problem>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i])) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path& scratch = fuzz_scratch_dir("soar-problems-fuzz");
  const fs::path input = scratch / "input.jsonl", rewritten = scratch / "rewritten.jsonl";
  std::ofstream(input, std::ios::binary).write(reinterpret_cast<const char*>(data), std::streamsize(size));

  auto stopped = read(input, soar::BadLinePolicy::Stop);
  auto skipped = read(input, soar::BadLinePolicy::Skip);
  if (stopped) {
    // No bad line: skipping changes nothing.
    if (!skipped || skipped->skipped_lines != 0 || !same(stopped->problems, skipped->problems)) std::abort();
  }
  if (!skipped) return 0;  // refused: nothing readable (no problems left, or the file itself)
  if (skipped->problems.empty() || skipped->warnings.size() > skipped->skipped_lines) std::abort();
  std::set<std::string> ids;
  for (const auto& p : skipped->problems) {
    if (p.id.empty() || p.problem.empty() || p.answer.empty() || !ids.insert(p.id).second) std::abort();
    for (const std::string* text : {&p.id, &p.problem, &p.answer, &p.extra_json})
      if (soar::first_invalid_utf8(*text)) std::abort();
    if (p.extra_json.empty() || p.extra_json.front() != '{' || p.extra_json.back() != '}') std::abort();
  }
  soar::write_problems(rewritten, skipped->problems);  // throws (a finding) on anything it cannot write
  auto reread = read(rewritten, soar::BadLinePolicy::Stop);
  if (!reread || !same(reread->problems, skipped->problems)) std::abort();
  return 0;
}
