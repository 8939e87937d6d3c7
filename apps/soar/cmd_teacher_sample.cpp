// soar teacher-sample: N accepted question/answer pairs from a teacher checkpoint (the base model,
// a SOAR teacher, a learnability teacher), with the same prompt and format filtering as in
// training (the paper's teacher-sampling evaluation, B.6): the JSONL a fresh student trains on.
// --corrupt rewrites the sampled set as `soar meta --corrupt` rewrites a dataset (finding 3 under
// the teacher-sampling evaluation).
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/seed.h"
#include "domain_formats.h"
#include "domains/math/math_domain.h"
#include "meta/teacher.h"
#include "options.h"

namespace soar::app {

Action add_teacher_sample_command(CLI::App& app) {
  struct Options {
    PolicyOptions policy;
    PromptOptions student;  // only its chat format and system message (the teacher's prompt goes through them)
    std::string domain = "math", teacher_prompt = std::string(meta::kMathTeacherPrompt), out, corrupt = "none";
    int64_t count = 128, max_new_tokens = 0, max_rounds = 10;
    double temperature = 1.0;
    uint64_t seed = 0;
    testbed::StudentTask student_task = testbed::StudentTask::sum;
  };
  auto o = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand("teacher-sample", "Sample accepted question/answer pairs from a teacher");
  o->policy.add(*command);
  o->student.add(*command);
  command->add_option("--domain", o->domain, "math or testbed")->capture_default_str();
  command->add_option("--teacher-prompt", o->teacher_prompt, "--domain math: the teacher's prompt (default: the paper's)");
  add_student_task_option(*command, o->student_task);
  command->add_option("-n,--count", o->count, "Accepted pairs to write (the paper samples 128)")
      ->capture_default_str()->check(at_least(1));
  command->add_option("--temperature", o->temperature, "Sampling temperature")->capture_default_str()->check(above(0));
  command->add_option("--teacher-max-new-tokens", o->max_new_tokens, "Token budget of a rollout (0: the domain's)")
      ->capture_default_str()->check(at_least(0));
  command->add_option("--teacher-max-rounds", o->max_rounds, "Rejection-sampling rounds before giving up")
      ->capture_default_str()->check(at_least(1));
  command->add_option("--seed", o->seed, "Sampling seed")->capture_default_str();
  command->add_option("--corrupt", o->corrupt,
                      "Ablation, as soar meta --corrupt: none, answers (wrong answers) or structure (scrambled "
                      "questions, answers kept), applied to the sampled set")
      ->capture_default_str();
  command->add_option("--out", o->out, "Output JSONL problem file")->required();
  return [o, command] {
    if (!command->parsed()) return;
    check_output_path(o->out, OutputKind::File, {{"--model", o->policy.model_dir}});
    if (o->domain != "testbed" && command->count("--student-task") > 0) fail("--student-task is the testbed's: it needs --domain testbed");
    const ProblemTransform corrupt = corruption(o->domain, o->corrupt, o->student_task);  // refuses a bad name before loading
    Policy policy = o->policy.load();
    const TeacherFormat format = teacher_format(o->domain, o->teacher_prompt, o->student.format(policy), policy, o->student_task);
    SamplingParams sampling{.temperature = o->temperature,
                            .max_new_tokens = o->max_new_tokens > 0 ? o->max_new_tokens : teacher_token_budget(o->domain),
                            .eos_token_ids = policy.eos_token_ids(),
                            .seed = o->seed};
    meta::TeacherBatch batch = meta::sample_accepted_pairs(*policy.model, format.prompt, policy.detokenizer(), format.parse,
                                                           o->count, sampling, o->max_rounds);
    std::vector<Problem> problems;
    for (size_t i = 0; i < batch.accepted.size(); ++i) {
      problems.push_back(batch.accepted[i].problem);
      problems.back().id = cat("t", i);
    }
    if (corrupt) {
      problems = corrupt(problems, derive_seed(o->seed, "teacher-sample/corrupt"));
      // The parser's notes (the testbed's level and answer_correct) describe the pair before corruption.
      for (Problem& p : problems) p.extra_json = nlohmann::json{{"corrupted", o->corrupt}}.dump();
    }
    write_problems(o->out, problems);
    std::cerr << "soar: wrote " << problems.size() << (corrupt ? cat(" pairs (corrupted: ", o->corrupt, ")") : " pairs") << " to " << o->out << " (" << batch.sampled() << " rollouts in "
              << batch.rounds << " rounds, acceptance rate " << batch.acceptance_rate()
              << "; rejected: " << meta::describe_rejections(batch.rejections) << ")\n";
  };
}

}  // namespace soar::app
