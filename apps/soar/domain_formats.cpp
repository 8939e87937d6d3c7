#include "domain_formats.h"

#include "core/error.h"
#include "domains/math/math_domain.h"
#include "domains/testbed/prompts.h"

namespace soar::app {

int64_t teacher_token_budget(const std::string& domain) {
  if (domain == "math") return 512;
  if (domain == "testbed") return testbed::teacher_max_new_tokens(1);
  fail("--domain '", domain, "': expected testbed or math");
}

TeacherFormat teacher_format(const std::string& domain, const std::string& teacher_prompt, const PromptFormat& student,
                             const Policy& policy) {
  if (domain == "math") {
    // The teacher's prompt goes through the same chat format (and system message) as the student's.
    const PromptFormat format{"{problem}", student.chat, student.system};
    return {policy.prompt_encoder(format)({"teacher prompt", teacher_prompt}), meta::parse_math_rollout};
  }
  if (domain == "testbed") {
    return {policy.tokenizer->encode(testbed::teacher_prompt(1), true), testbed::parse_teacher_rollout};
  }
  fail("--domain '", domain, "': expected testbed or math");
}

}  // namespace soar::app
