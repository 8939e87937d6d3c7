// libFuzzer target for the testbed teacher parser: any bytes (what a model might write) must parse
// without crashing, hanging or throwing, and every item it returns must be a well-formed problem
// whose "correct" flag is the domain checker's verdict on the stated answer. SOAR's one-problem
// rollout parser accepts exactly the texts that are one item and nothing malformed (for the
// difference task: one two-operand item), with the student's problem made from that item; the
// pair is right (its answer is the checker's answer to its statement) exactly when the teacher's
// sum was. Every student task is checked.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domains/testbed/domain.h"
#include "domains/testbed/prompts.h"

namespace {

void check(std::string_view text, soar::testbed::StudentTask task) {
  using namespace soar::testbed;
  const TeacherSet set = parse_teacher_set(text, task);
  for (const auto& item : set.items) {
    auto reparsed = parse_statement(item.problem.statement());
    if (!reparsed || reparsed->statement() != item.problem.statement()) std::abort();
    if (task == StudentTask::interleaved) {  // a sum of at most level + 1 digits, without high zeros
      const std::string& sum = item.stated_answer;
      if (sum.empty() || sum.size() > static_cast<size_t>(item.problem.level()) + 1 || (sum.size() > 1 && sum.back() == '0')) std::abort();
    }
    if (item.correct != check_answer(item.problem, item.stated_answer)) std::abort();
  }
  if (set.malformed_lines < 0) std::abort();
  const soar::meta::ParsedRollout rollout = parse_teacher_rollout(text, task);
  const bool one_item = set.items.size() == 1 && set.malformed_lines == 0;
  const auto student = one_item ? student_problem(set.items[0].problem, set.items[0].stated_answer, task) : std::nullopt;
  if (rollout.problem.has_value() != student.has_value() || rollout.problem.has_value() == !rollout.rejection.empty()) std::abort();
  if (!student) return;
  if (rollout.problem->problem != student->statement || rollout.problem->answer != student->answer) std::abort();
  if (!is_student_statement(student->statement, task)) std::abort();
  if (set.items[0].correct != (true_student_answer(student->statement, task) == student->answer)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto task : soar::testbed::kStudentTasks) check(text, task);
  return 0;
}
