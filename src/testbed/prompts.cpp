#include "testbed/prompts.h"

#include <algorithm>

namespace soar::testbed {

std::string student_prompt(std::string_view statement) {
  std::string prompt = kStudentTemplate;
  prompt.replace(prompt.find("{problem}"), 9, statement);
  return prompt;
}

std::string student_answer(std::string_view completion) {
  return std::string(trim_spaces(completion.substr(0, completion.find('\n'))));
}

RewardFunction checked_reward() {
  return [](const Problem& problem, std::string_view completion) {
    const auto parsed = parse_statement(problem.problem);
    return parsed && check_answer(*parsed, student_answer(completion)) ? 1.0 : 0.0;
  };
}

std::string teacher_prompt(int n) { return "Write " + std::to_string(n) + " problems:\n"; }

TeacherSet parse_teacher_set(std::string_view text) {
  TeacherSet set;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = trim_spaces(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    const size_t equals = line.find('=');
    const std::string_view answer = equals == std::string_view::npos ? std::string_view() : trim_spaces(line.substr(equals + 1));
    const bool digits = !answer.empty() && answer.size() <= kMaxLevel + 1 &&
                        std::all_of(answer.begin(), answer.end(), [](char c) { return c >= '0' && c <= '9'; });
    const auto problem = equals == std::string_view::npos ? std::nullopt : parse_statement(line.substr(0, equals));
    if (!problem || !digits) {
      ++set.malformed_lines;
      continue;
    }
    set.items.push_back({*problem, std::string(answer), check_answer(*problem, answer)});
  }
  return set;
}

}  // namespace soar::testbed
