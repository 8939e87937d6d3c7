#include "meta/teacher.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/seed.h"

namespace soar::meta {

std::string describe_rejections(const std::map<std::string, int64_t>& rejections) {
  std::string text;
  for (const auto& [reason, count] : rejections) text += cat(text.empty() ? "" : ", ", reason, ": ", count);
  return text.empty() ? "none" : text;
}

TeacherBatch sample_accepted_pairs(CausalLMImpl& teacher, const std::vector<int32_t>& prompt,
                                   const Detokenizer& detokenize, const RolloutParser& parse, int64_t count,
                                   const SamplingParams& sampling, int64_t max_rounds) {
  if (count <= 0) fail("the teacher must write at least one question per step (g * n = ", count, ")");
  if (max_rounds <= 0) fail("the teacher needs at least one sampling round (max rounds = ", max_rounds, ")");
  Sampler sampler(teacher, detokenize);
  TeacherBatch batch;
  while (static_cast<int64_t>(batch.accepted.size()) < count) {
    if (batch.rounds == max_rounds) {
      fail("the teacher wrote ", batch.accepted.size(), " accepted question/answer pairs of the ", count, " needed in ",
           max_rounds, " sampling rounds (", batch.sampled(), " rollouts, acceptance rate ", batch.acceptance_rate(),
           "; rejected: ", describe_rejections(batch.rejections),
           "): check the teacher prompt and format, or raise --teacher-max-rounds");
    }
    const int64_t missing = count - static_cast<int64_t>(batch.accepted.size());
    // Expected to finish in one more round at the rate seen so far; bounded for a teacher that
    // has not written one acceptable pair yet.
    const double rate = std::max(batch.acceptance_rate(), 0.125);
    const int64_t draw = batch.rounds == 0 ? missing : std::min(8 * missing, static_cast<int64_t>(std::ceil(missing / rate)));
    SamplingParams round = sampling;
    round.seed = derive_seed(sampling.seed, cat("round/", batch.rounds));
    std::vector<Completion> completions = sampler.generate(std::vector<std::vector<int32_t>>(draw, prompt), round);
    ++batch.rounds;
    for (Completion& c : completions) {
      ParsedRollout parsed = parse(c.text);
      batch.samples.push_back({c.text, batch.rounds - 1, static_cast<int64_t>(c.tokens.size()), c.finish, "", -1});
      if (!parsed.problem) {
        batch.samples.back().rejection = parsed.rejection.empty() ? "rejected" : parsed.rejection;
        ++batch.rejections[batch.samples.back().rejection];
        continue;
      }
      ++batch.acceptable;
      if (static_cast<int64_t>(batch.accepted.size()) == count) continue;  // surplus of the last round
      batch.samples.back().accepted = static_cast<int64_t>(batch.accepted.size());
      batch.accepted.push_back({std::move(c.tokens), std::move(c.logprobs), std::move(c.text), std::move(*parsed.problem)});
    }
  }
  return batch;
}

}  // namespace soar::meta
