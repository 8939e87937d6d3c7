// libFuzzer target for the testbed teacher parser: any bytes (what a model might write) must parse
// without crashing, hanging or throwing, and every item it returns must be a well-formed problem
// whose "correct" flag is the domain checker's verdict on the stated answer. SOAR's one-problem
// rollout parser accepts exactly the texts that are one item and nothing malformed, with that item.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domains/testbed/domain.h"
#include "domains/testbed/prompts.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  soar::testbed::TeacherSet set = soar::testbed::parse_teacher_set(text);
  for (const auto& item : set.items) {
    auto reparsed = soar::testbed::parse_statement(item.problem.statement());
    if (!reparsed || reparsed->statement() != item.problem.statement()) std::abort();
    if (item.correct != soar::testbed::check_answer(item.problem, item.stated_answer)) std::abort();
  }
  if (set.malformed_lines < 0) std::abort();
  const soar::meta::ParsedRollout rollout = soar::testbed::parse_teacher_rollout(text);
  const bool one_item = set.items.size() == 1 && set.malformed_lines == 0;
  if (rollout.problem.has_value() != one_item || rollout.problem.has_value() == !rollout.rejection.empty()) std::abort();
  if (one_item && (rollout.problem->problem != set.items[0].problem.statement() ||
                   rollout.problem->answer != set.items[0].stated_answer)) {
    std::abort();
  }
  return 0;
}
