// The teacher's side of SOAR (soar.md, Algorithm 1 step 1): every teacher rollout is exactly one
// question/answer pair. Rollouts the domain's parser rejects are resampled until the step has its
// g * n accepted pairs; the teacher is later trained on the accepted rollouts only (rejection
// sampling leaves the RLOO gradient unbiased because RLOO advantages sum to zero: the paper's
// Proposition 1). The teacher never sees the hard problems.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "meta/rollout_parser.h"
#include "model/causal_lm.h"
#include "sampling/sampler.h"

namespace soar::meta {

// One accepted rollout: its tokens and the sampler's log-probs (for the teacher's update), its text
// and the pair it states.
struct TeacherRollout {
  std::vector<int32_t> tokens;
  std::vector<float> logprobs;
  std::string text;
  Problem problem;
};

// Every rollout drawn, with what became of it (the teacher's rollout log).
struct TeacherSample {
  std::string text;
  int64_t round = 0;
  int64_t length = 0;                 // tokens
  FinishReason finish = FinishReason::Length;
  std::string rejection;              // the parser's reason; empty when it accepted the pair
  int64_t accepted = -1;              // index into TeacherBatch::accepted; -1: rejected, or the last round's surplus
};

struct TeacherBatch {
  std::vector<TeacherRollout> accepted;        // exactly the requested count, in sampling order
  std::vector<TeacherSample> samples;          // every rollout drawn, in sampling order
  int64_t acceptable = 0;                      // of them accepted by the parser (surplus included)
  int64_t rounds = 0;
  std::map<std::string, int64_t> rejections;   // reason -> count
  int64_t sampled() const { return static_cast<int64_t>(samples.size()); }  // rollouts drawn, over all rounds
  double acceptance_rate() const { return sampled() == 0 ? 0.0 : static_cast<double>(acceptable) / static_cast<double>(sampled()); }
};

// Samples rollouts of `prompt` until `count` are accepted. Round 0 draws `count`; a later round
// draws the missing number divided by the acceptance rate so far (at most 8 times the missing
// number), each round from its own stream derived from sampling.seed. Fails after `max_rounds`
// rounds with the acceptance rate and the rejection reasons.
TeacherBatch sample_accepted_pairs(CausalLMImpl& teacher, const std::vector<int32_t>& prompt,
                                   const Detokenizer& detokenize, const RolloutParser& parse, int64_t count,
                                   const SamplingParams& sampling, int64_t max_rounds);

// "reason: count, ..." for logs and errors.
std::string describe_rejections(const std::map<std::string, int64_t>& rejections);

}  // namespace soar::meta
