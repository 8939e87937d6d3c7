#include "meta/math_domain.h"

#include <optional>

#include "core/error.h"
#include "core/text.h"
#include "core/utf8.h"
#include "verify/extract.h"

namespace soar::meta {
namespace {

enum class Label { None, Problem, Solution, Answer };

bool starts_with_word(std::string_view s, std::string_view word) {  // ASCII, case-insensitive
  if (s.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  return true;
}

std::string_view skip(std::string_view s, std::string_view chars) {
  const size_t first = s.find_first_not_of(chars);
  return first == std::string_view::npos ? std::string_view{} : s.substr(first);
}

// Whether `line` starts an item part: [markup] [list number] [markup] label [#][number] [markup]
// [(remark)] ':' [markup]; `content` gets what follows. "Problem solving is fun" is not a label
// (no colon).
Label classify(std::string_view line, std::string_view& content) {
  std::string_view s = skip(line, " \t#*_>-");
  const std::string_view after_number = skip(s, "0123456789");
  if (after_number.size() < s.size() && !after_number.empty() && (after_number[0] == '.' || after_number[0] == ')')) {
    s = skip(after_number.substr(1), " \t*_");
  }
  Label label = Label::None;
  for (auto [word, kind] : {std::pair{std::string_view("problem"), Label::Problem}, {"question", Label::Problem},
                            {"solution", Label::Solution}, {"final answer", Label::Answer}, {"answer", Label::Answer}}) {
    if (starts_with_word(s, word)) {
      s.remove_prefix(word.size());
      label = kind;
      break;
    }
  }
  if (label == Label::None) return Label::None;
  s = skip(skip(skip(s, " \t#"), "0123456789"), " \t*_");
  // A short remark before the colon: "Problem 3 (geometry):".
  if (const size_t close = s.find(')'); !s.empty() && s[0] == '(' && close != std::string_view::npos && close <= 40) {
    s = skip(s.substr(close + 1), " \t*_");
  }
  if (s.empty() || s[0] != ':') return Label::None;
  content = trim_space(skip(s.substr(1), "*_"));
  return label;
}

// The final answer an answer line states, or nullopt when it states none usable.
std::optional<std::string> answer_of(std::string_view content) {
  std::string answer;
  if (auto boxed = verify::detail::last_boxed(content)) {
    answer = std::string(trim_space(*boxed));
  } else {
    answer = verify::detail::strip_decoration(content);
  }
  answer = std::string(trim_space(answer));
  if (answer.empty() || answer.size() > kMaxMathAnswerBytes || first_invalid_utf8(answer)) return std::nullopt;
  return answer;
}

}  // namespace

std::string math_teacher_prompt(std::string_view template_text, int64_t n) {
  std::string text(template_text);
  if (text.find("{n}") == std::string::npos) fail("the teacher prompt must contain {n} (the number of problems to write)");
  replace_all(text, "{n}", std::to_string(n));
  return text;
}

ParsedDataset parse_math_dataset(std::string_view text) {
  ParsedDataset out;
  std::optional<std::string> open;  // the statement of the problem awaiting its answer
  bool in_solution = false;         // a worked solution was started: the statement is complete
  auto close_with = [&](std::string_view answer_content) {
    std::string statement(trim_space(*open));
    std::optional<std::string> answer = answer_of(answer_content);
    if (statement.empty() || statement.size() > kMaxMathProblemBytes || first_invalid_utf8(statement) || !answer) {
      ++out.malformed;
    } else {
      out.problems.push_back({std::to_string(out.problems.size()), std::move(statement), std::move(*answer)});
    }
    open.reset();
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    std::string_view content;
    switch (classify(line, content)) {
      case Label::Problem:
        if (open) ++out.malformed;  // the one before never got an answer
        open = std::string(content);
        in_solution = false;
        break;
      case Label::Solution:  // kept out of the statement, which would otherwise give the answer away
        in_solution = true;
        break;
      case Label::Answer:
        if (open) {
          close_with(content);
        } else {
          ++out.malformed;  // an answer to no problem
        }
        break;
      case Label::None:
        // Statements may span lines; past the size bound the item is dropped anyway.
        if (open && !in_solution && open->size() <= kMaxMathProblemBytes) open->append("\n").append(line);
        break;
    }
    start = end + 1;
  }
  if (open) ++out.malformed;  // cut off before its answer
  return out;
}

}  // namespace soar::meta
