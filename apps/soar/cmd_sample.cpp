// soar sample: n completions per problem, written as JSONL.
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/error.h"
#include "core/atomic_file.h"
#include "core/progress.h"
#include "core/seed.h"
#include "options.h"

namespace soar::app {

Action add_sample_command(CLI::App& app) {
  struct Options {
    JobOptions job;
    int64_t samples = 1;
    int64_t batch = 64;
  };
  auto o = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand("sample", "Sample completions for each problem");
  o->job.add(*command, "Output JSONL file");
  command->add_option("-n,--samples", o->samples, "Completions per problem")->capture_default_str()->check(at_least(1));
  command->add_option("--batch", o->batch, "Sequences per generation batch")->capture_default_str()->check(at_least(1));
  return [o, command] {
    if (!command->parsed()) return;
    o->job.check_out(OutputKind::File);  // before the work, not after it
    Policy policy = o->job.policy.load();
    std::vector<Problem> problems = o->job.load_problems(policy);
    PromptEncoder encode = policy.prompt_encoder(o->job.prompt.format(policy));
    Sampler sampler(*policy.model, policy.detokenizer());
    SamplingParams params = o->job.sampling.params(policy);
    const int64_t per_batch = std::max<int64_t>(1, o->batch / std::max<int64_t>(1, o->samples));
    std::string lines;
    Progress progress("sample", static_cast<int64_t>(problems.size()), "tok");
    for (size_t first = 0; first < problems.size(); first += per_batch) {
      size_t last = std::min(problems.size(), first + static_cast<size_t>(per_batch));
      std::vector<std::vector<int32_t>> prompts;
      for (size_t i = first; i < last; ++i) {
        auto ids = encode(problems[i]);
        for (int64_t s = 0; s < o->samples; ++s) prompts.push_back(ids);
      }
      SamplingParams batch_params = params;
      batch_params.seed = derive_seed(params.seed, cat("sample/batch/", first / per_batch));
      auto completions = sampler.generate(prompts, batch_params);
      int64_t tokens = 0;
      for (size_t j = 0; j < completions.size(); ++j) {
        const Problem& p = problems[first + j / o->samples];
        const Completion& c = completions[j];
        tokens += static_cast<int64_t>(c.tokens.size());
        double logprob = 0;
        for (float lp : c.logprobs) logprob += lp;
        lines += nlohmann::json{{"id", p.id}, {"sample", j % o->samples}, {"completion", c.text},
                                {"tokens", c.tokens.size()}, {"finish_reason", finish_reason_name(c.finish)},
                                {"logprob", logprob}}.dump() + "\n";
      }
      progress.advance(static_cast<int64_t>(last - first), tokens);
    }
    progress.finish();
    write_text_atomically(o->job.out, lines);
    std::cerr << "soar: wrote " << o->job.out << "\n";
  };
}

}  // namespace soar::app
