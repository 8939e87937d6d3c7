#include "domains/testbed/prompts.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

namespace soar::testbed {

std::string student_prompt(std::string_view statement) {
  std::string prompt = kStudentTemplate;
  prompt.replace(prompt.find("{problem}"), 9, statement);
  return prompt;
}

std::string student_answer(std::string_view completion) {
  return std::string(trim_spaces(completion.substr(0, completion.find('\n'))));
}

RewardFunction checked_reward(StudentTask task) {
  return [task](const Problem& problem, std::string_view completion) {
    const auto answer = true_student_answer(problem.problem, task);
    return answer && student_answer(completion) == *answer ? 1.0 : 0.0;
  };
}

std::string solved_item(const AdditionProblem& problem, StudentTask task) {
  const StudentProblem solved = true_student_problem(problem, task);
  return student_prompt(solved.statement) + solved.answer + "\n";
}

std::string teacher_prompt(int n) { return "Write " + std::to_string(n) + " problems:\n"; }

const char* teacher_answer_tag(StudentTask task) {
  switch (task) {
    case StudentTask::sum_msd: return "S:";
    case StudentTask::interleaved: return "W:";
    default: return "A:";
  }
}

std::string teacher_item(const AdditionProblem& problem, std::string_view answer, StudentTask task) {
  if (task == StudentTask::interleaved) return teacher_answer_tag(task) + interleaved_sum_text(problem, answer) + "\n";
  return "Q:" + problem.statement() + "\n" + teacher_answer_tag(task) + std::string(answer) + "\n";
}

namespace {

// The rest of `line` after `tag` (e.g. "Q:"), or nullopt when the line does not start with it.
std::optional<std::string_view> after_tag(std::string_view line, std::string_view tag) {
  line = trim_spaces(line);
  if (line.substr(0, tag.size()) != tag) return std::nullopt;
  return trim_spaces(line.substr(tag.size()));
}

}  // namespace

TeacherSet parse_teacher_set(std::string_view text, StudentTask task) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  TeacherSet set;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (trim_spaces(lines[i]).empty()) continue;
    if (task == StudentTask::interleaved) {  // one line an item
      const auto body = after_tag(lines[i], teacher_answer_tag(task));
      const auto sum = body ? parse_interleaved_sum(*body) : std::nullopt;
      if (!sum) {
        ++set.malformed_lines;
      } else {
        set.items.push_back({sum->problem, sum->stated_sum, check_answer(sum->problem, sum->stated_sum)});
      }
      continue;
    }
    const auto statement = after_tag(lines[i], "Q:");
    const auto problem = statement ? parse_statement(*statement) : std::nullopt;
    const auto answer = problem && i + 1 < lines.size() ? after_tag(lines[i + 1], teacher_answer_tag(task)) : std::nullopt;
    const bool digits = answer && !answer->empty() && answer->size() <= kMaxLevel + 1 &&
                        std::all_of(answer->begin(), answer->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) {
      ++set.malformed_lines;  // the next line is looked at on its own
      continue;
    }
    set.items.push_back({*problem, std::string(*answer), check_answer(*problem, *answer)});
    ++i;  // the answer line belongs to this item
  }
  return set;
}

meta::ParsedRollout parse_teacher_rollout(std::string_view text, StudentTask task) {
  const TeacherSet set = parse_teacher_set(text, task);
  if (set.items.empty()) return {std::nullopt, "no well-formed item"};
  if (set.items.size() > 1) return {std::nullopt, "more than one problem"};
  if (set.malformed_lines > 0) return {std::nullopt, "malformed lines"};
  const TeacherItem& item = set.items[0];
  const auto student = student_problem(item.problem, item.stated_answer, task);
  if (!student) return {std::nullopt, "not a two-operand sum"};  // the difference task
  const nlohmann::json extra = {{"level", item.problem.level()}, {"answer_correct", item.correct}};
  return {Problem{"", student->statement, student->answer, extra.dump()}, ""};
}

}  // namespace soar::testbed
