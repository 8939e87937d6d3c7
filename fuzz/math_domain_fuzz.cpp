// libFuzzer target for the math domain's teacher parser (`soar meta --domain math`): any bytes (what
// a model might write) must parse without crashing, hanging or throwing; a rollout is accepted
// exactly when no rejection reason is given, and an accepted pair is non-empty, within the size
// bounds and valid UTF-8. The pair, written back in the paper's format, is accepted again as the
// same pair.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/utf8.h"
#include "domains/math/math_domain.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const soar::meta::ParsedRollout parsed = soar::meta::parse_math_rollout(text);
  if (parsed.problem.has_value() == !parsed.rejection.empty()) std::abort();
  if (!parsed.problem) return 0;
  const soar::Problem& p = *parsed.problem;
  if (p.problem.empty() || p.answer.empty() || p.problem.size() > soar::meta::kMaxMathProblemBytes ||
      p.answer.size() > soar::meta::kMaxMathAnswerBytes || soar::first_invalid_utf8(p.problem) ||
      soar::first_invalid_utf8(p.answer)) {
    std::abort();
  }
  // Written back (a question holding "<question>" or "</question>" itself is cut there, so only
  // questions free of tags must round-trip).
  if (p.problem.find("question>") != std::string::npos || p.problem.find("<answer>") != std::string::npos) return 0;
  const std::string written = "<question>" + p.problem + "</question><answer>\\boxed{" + p.answer + "}</answer>";
  const soar::meta::ParsedRollout again = soar::meta::parse_math_rollout(written);
  if (!again.problem || again.problem->problem != p.problem || again.problem->answer != p.answer) std::abort();
  return 0;
}
