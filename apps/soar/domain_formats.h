// What the teacher is asked and how its rollouts are read, per problem domain: shared by `soar meta`
// and `soar teacher-sample` (which must sample exactly as training did: the paper's "same prompt
// and format-filtering as in training").
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "domains/testbed/domain.h"
#include "meta/rollout_parser.h"
#include "run/policy_dir.h"

namespace soar::app {

struct TeacherFormat {
  std::vector<int32_t> prompt;  // the teacher's prompt tokens
  meta::RolloutParser parse;    // one question/answer pair per rollout
};

// The domain's token budget of one teacher rollout: math the paper's 512, testbed one item. Needs
// no model (`soar meta --dry-run` plans with it).
int64_t teacher_token_budget(const std::string& domain);

// domain "math": `teacher_prompt` through the student's chat format and system message, the paper's
// tagged format. domain "testbed": "Write 1 problems:\n" and one item, turned into the student's
// problem of `student_task`. Anything else fails.
TeacherFormat teacher_format(const std::string& domain, const std::string& teacher_prompt, const PromptFormat& student,
                             const Policy& policy, testbed::StudentTask student_task = testbed::StudentTask::sum);

// The ablations' rewrite of a question/answer set (--corrupt answers|structure): wrong answers, or
// scrambled questions with their answers kept, as the domain defines them (testbed/datasets.h,
// math/math_corruption.h). Empty for "none"; another name fails. Shared by `soar meta` (each dataset
// before its inner loops) and `soar teacher-sample` (the sampled set), so both corrupt alike.
using ProblemTransform = std::function<std::vector<Problem>(const std::vector<Problem>&, uint64_t seed)>;
ProblemTransform corruption(const std::string& domain, const std::string& corrupt,
                            testbed::StudentTask student_task = testbed::StudentTask::sum);

// --student-task sum|sum-msd|difference|interleaved: the testbed student's task (testbed/domain.h), on every
// command that writes, measures or trains on testbed problems. A model solves the task it was
// pretrained with.
void add_student_task_option(CLI::App& command, testbed::StudentTask& task);

}  // namespace soar::app
