#include "domains/math/math_domain.h"

#include "core/text.h"
#include "core/utf8.h"
#include "verify/extract.h"
#include "verify/verify.h"

namespace soar::meta {
namespace {

ParsedRollout rejected(const char* reason) { return {std::nullopt, reason}; }

}  // namespace

ParsedRollout parse_math_rollout(std::string_view text) {
  const size_t open = text.find("<question>");
  if (open == std::string_view::npos) return rejected("no <question> tag");
  const size_t body = open + 10;
  size_t close = text.find("</question>", body);
  size_t close_length = 11;
  const size_t repeated = text.find("<question>", body);  // the paper prompt's own closing tag
  if (repeated != std::string_view::npos && (close == std::string_view::npos || repeated < close)) {
    close = repeated;
    close_length = 10;
  }
  if (close == std::string_view::npos) return rejected("no closing question tag");
  const size_t answer_open = text.find("<answer>", close + close_length);
  if (answer_open == std::string_view::npos) return rejected("no <answer> tag");
  const size_t answer_close = text.find("</answer>", answer_open + 8);
  if (answer_close == std::string_view::npos) return rejected("no </answer> tag");
  if (text.find("<question>", answer_close) != std::string_view::npos) return rejected("more than one question");

  const std::string_view question = trim_space(text.substr(body, close - body));
  if (question.empty()) return rejected("empty question");
  if (question.size() > kMaxMathProblemBytes) return rejected("question too long");
  const std::string_view answer_tag = text.substr(answer_open + 8, answer_close - answer_open - 8);
  const auto boxed = verify::detail::last_boxed(answer_tag);
  if (!boxed) return rejected("no \\boxed{} in the answer");
  const std::string_view answer = trim_space(*boxed);
  if (answer.empty()) return rejected("empty boxed answer");
  if (answer.size() > kMaxMathAnswerBytes) return rejected("answer too long");
  if (first_invalid_utf8(question) || first_invalid_utf8(answer)) return rejected("invalid UTF-8");
  // "Contents of the boxed answer are parsable by a symbolic math verifier" (B.2).
  if (!verify::parses(answer)) return rejected("answer not parseable");
  return {Problem{"", std::string(question), std::string(answer)}, ""};
}

}  // namespace soar::meta
