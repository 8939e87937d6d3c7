#include "rl/reward.h"

#include <optional>

#include "core/error.h"
#include "core/text.h"
#include "verify/verify.h"

namespace soar {
namespace {

// Content of the last \boxed{...} with balanced braces, if any.
std::optional<std::string_view> last_boxed(std::string_view text) {
  size_t at = text.rfind("\\boxed{");
  if (at == std::string_view::npos) return std::nullopt;
  size_t start = at + 7;
  int depth = 1;
  for (size_t i = start; i < text.size(); ++i) {
    if (text[i] == '{') ++depth;
    if (text[i] == '}' && --depth == 0) return text.substr(start, i - start);
  }
  return std::nullopt;
}

}  // namespace

std::string final_answer(std::string_view completion) {
  if (auto boxed = last_boxed(completion)) return std::string(trim_space(*boxed));
  size_t marker_end = std::string_view::npos;
  for (std::string_view marker : {std::string_view("####"), std::string_view("Answer:")}) {
    size_t at = completion.rfind(marker);
    if (at != std::string_view::npos && (marker_end == std::string_view::npos || at + marker.size() > marker_end)) {
      marker_end = at + marker.size();
    }
  }
  if (marker_end == std::string_view::npos) return std::string(trim_space(completion));
  std::string_view rest = completion.substr(marker_end);
  return std::string(trim_space(rest.substr(0, rest.find('\n'))));
}

RewardFunction exact_match_reward() {
  return [](const Problem& problem, std::string_view completion) {
    return final_answer(completion) == trim_space(problem.answer) ? 1.0 : 0.0;
  };
}

RewardFunction math_verify_reward() {
  return [](const Problem& problem, std::string_view completion) {
    return verify::verify(problem.answer, completion).verdict == verify::Verdict::Correct ? 1.0 : 0.0;
  };
}

RewardFunction shaped_math_reward() {
  return [](const Problem& problem, std::string_view completion) {
    // The verifier's own extraction: the box it compares is the box that earns 10 or 20.
    const std::optional<std::string> boxed = verify::boxed_answer(completion);
    if (!boxed) return 0.0;
    if (verify::verify(problem.answer, completion).verdict == verify::Verdict::Correct) return 120.0;
    const std::string_view gold = trim_space(problem.answer);
    return !gold.empty() && boxed->find(gold) != std::string::npos ? 20.0 : 10.0;
  };
}

RewardFunction reward_by_name(const std::string& name) {
  if (name == "exact") return exact_match_reward();
  if (name == "math") return math_verify_reward();
  if (name == "math-shaped") return shaped_math_reward();
  fail("unknown reward '", name, "' (exact, math, math-shaped)");
}

JudgeFunction judge_by_name(const std::string& name) {
  reward_by_name(name);  // the same names, refused the same way
  if (name == "exact") {
    return [](const Problem& problem, std::string_view completion) {
      Judgement j{"wrong", final_answer(completion)};
      if (j.answer.empty()) j.verdict = "no_answer";
      else if (j.answer == trim_space(problem.answer)) j.verdict = "correct";
      return j;
    };
  }
  return [](const Problem& problem, std::string_view completion) {
    verify::Result r = verify::verify(problem.answer, completion);
    Judgement j{"wrong", std::move(r.extracted)};
    if (r.verdict == verify::Verdict::Correct) j.verdict = "correct";
    if (r.verdict == verify::Verdict::Unparseable) j.verdict = j.answer.empty() ? "no_answer" : "unparseable";
    if (r.verdict == verify::Verdict::Undecidable) j.verdict = "undecidable";
    return j;
  };
}

RewardFunction correctness_by_name(const std::string& name) {
  return reward_by_name(name == "math-shaped" ? "math" : name);
}

}  // namespace soar
