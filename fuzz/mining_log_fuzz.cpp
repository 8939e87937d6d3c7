// libFuzzer target for the mining log (data/mining.h), the file a killed `soar mine` resumes from:
// any bytes must either load or be refused with soar::Error. A log that loads must open for
// appending with the same results (its torn final line cut off), take one more line, and read
// back as the old results plus that line. Any other exception, crash, sanitizer report or hang is
// a finding.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "core/error.h"
#include "data/mining.h"
#include "scratch_dir.h"

namespace {

namespace fs = std::filesystem;

bool same(const std::map<std::string, soar::MiningResult>& a, const std::map<std::string, soar::MiningResult>& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
    if (i->first != j->first || i->second.samples != j->second.samples || i->second.successes != j->second.successes)
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path log = fuzz_scratch_dir("soar-mining-log-fuzz") / "log.jsonl";
  std::ofstream(log, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), std::streamsize(size));
  std::vector<std::string> warnings;
  std::map<std::string, soar::MiningResult> loaded;
  try {
    loaded = soar::load_mining_log(log, &warnings);
  } catch (const soar::Error&) {
    return 0;  // refused
  }
  if (warnings.size() > 1) std::abort();  // only a torn final line is forgiven
  const std::string fresh = "fuzz-appended-id";
  if (loaded.contains(fresh)) return 0;
  {
    soar::MiningLog writer(log, &warnings);
    if (!same(writer.results(), loaded)) std::abort();
    writer.append(fresh, {.samples = 8, .successes = 3});
  }
  loaded[fresh] = {.samples = 8, .successes = 3};
  warnings.clear();
  if (!same(soar::load_mining_log(log, &warnings), loaded) || !warnings.empty()) std::abort();
  return 0;
}
