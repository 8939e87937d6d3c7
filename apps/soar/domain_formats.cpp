#include "domain_formats.h"

#include "core/error.h"
#include "domains/math/math_corruption.h"
#include "domains/math/math_domain.h"
#include "domains/testbed/datasets.h"
#include "domains/testbed/prompts.h"

namespace soar::app {

int64_t teacher_token_budget(const std::string& domain) {
  if (domain == "math") return 512;
  if (domain == "testbed") return testbed::teacher_max_new_tokens(1);
  fail("--domain '", domain, "': expected testbed or math");
}

TeacherFormat teacher_format(const std::string& domain, const std::string& teacher_prompt, const PromptFormat& student,
                             const Policy& policy, testbed::StudentTask student_task) {
  if (domain == "math") {
    // The teacher's prompt goes through the same chat format (and system message) as the student's.
    const PromptFormat format{"{problem}", student.chat, student.system};
    return {policy.prompt_encoder(format)({"teacher prompt", teacher_prompt}), meta::parse_math_rollout};
  }
  if (domain == "testbed") {
    return {policy.tokenizer->encode(testbed::teacher_prompt(1), true),
            [student_task](std::string_view text) { return testbed::parse_teacher_rollout(text, student_task); }};
  }
  fail("--domain '", domain, "': expected testbed or math");
}

void add_student_task_option(CLI::App& command, testbed::StudentTask& task) {
  command
      .add_option_function<std::string>(
          "--student-task",
          [&task](const std::string& name) {
            try {
              task = testbed::parse_student_task(name);
            } catch (const Error& e) {  // CLI11 reports its own errors; anything else would escape parse()
              throw CLI::ValidationError("--student-task", e.what());
            }
          },
          "Testbed: what the student solves of the teacher's sum a+b=c: sum (format 5), sum-msd (c most "
          "significant digit first, format 6), difference (c-a, format 7) or interleaved (format 5's sum; "
          "the teacher writes it digit-interleaved, format 8); the model's pretraining task")
      ->option_text("sum|sum-msd|difference|interleaved")
      ->default_str(testbed::student_task_name(task));
}

ProblemTransform corruption(const std::string& domain, const std::string& corrupt, testbed::StudentTask student_task) {
  if (corrupt == "none") return {};
  if (corrupt != "answers" && corrupt != "structure") fail("--corrupt '", corrupt, "': expected none, answers or structure");
  const bool answers = corrupt == "answers";
  if (domain == "math") {
    return [answers](const std::vector<Problem>& problems, uint64_t seed) {
      SplitMix64 rng(seed);
      return answers ? meta::corrupt_math_answers(problems, rng) : meta::corrupt_math_structure(problems, rng);
    };
  }
  return [answers, student_task](const std::vector<Problem>& problems, uint64_t seed) {
    SplitMix64 rng(seed);
    return answers ? testbed::corrupt_answers(problems, rng) : testbed::corrupt_structure(problems, rng, student_task);
  };
}

}  // namespace soar::app
