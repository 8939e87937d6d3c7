// The teacher's side of SOAR (docs: ../shared/docs/soar.md): sampling g candidate datasets from the
// teacher prompt and parsing each into question/answer problems. The teacher never sees the hard
// problems; it learns only through the reward of its update.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "data/problems.h"
#include "meta/parsed_dataset.h"
#include "model/causal_lm.h"
#include "sampling/sampler.h"

namespace soar::meta {

// One teacher completion: its tokens and the sampler's log-probs (for the teacher's update), and its text.
struct TeacherCompletion {
  std::vector<int32_t> tokens;
  std::vector<float> logprobs;
  std::string text;
};

// One candidate dataset X_i: the m completions it was written in and their well-formed problems,
// in order. m > 1 builds datasets larger than one completion holds (the testbed corpus's teacher
// sets have at most 4 problems; the paper's datasets 64).
struct TeacherSample {
  std::vector<TeacherCompletion> completions;
  ParsedDataset dataset;
};

// g datasets of m completions each, sampled as one batch of g * m completions of the prompt:
// dataset i is made of completions i * m .. i * m + m - 1 (with m = 1 the batch is the g datasets).
std::vector<TeacherSample> sample_datasets(CausalLMImpl& teacher, const std::vector<int32_t>& prompt,
                                           const Detokenizer& detokenize, const DatasetParser& parse, int64_t g,
                                           int64_t m, const SamplingParams& sampling);

}  // namespace soar::meta
