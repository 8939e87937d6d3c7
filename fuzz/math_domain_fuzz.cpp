// libFuzzer target for the math domain's teacher parser (`soar meta --domain math`): any bytes (what
// a model might write) must parse without crashing, hanging or throwing; every problem it keeps is
// non-empty, within the size bounds and valid UTF-8. Its own items, written back in the canonical
// format, are parsed again (labels inside statements, braces inside answers).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/utf8.h"
#include "meta/math_domain.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  soar::meta::ParsedDataset d = soar::meta::parse_math_dataset(text);
  if (d.malformed < 0) std::abort();
  std::string written;
  for (const auto& p : d.problems) {
    if (p.problem.empty() || p.answer.empty() || p.problem.size() > soar::meta::kMaxMathProblemBytes ||
        p.answer.size() > soar::meta::kMaxMathAnswerBytes || soar::first_invalid_utf8(p.problem) ||
        soar::first_invalid_utf8(p.answer)) {
      std::abort();
    }
    written += "Problem: " + p.problem + "\nAnswer: \\boxed{" + p.answer + "}\n";
  }
  (void)soar::meta::parse_math_dataset(written);
  return 0;
}
