#include "meta/teacher.h"

#include "core/error.h"

namespace soar::meta {

std::vector<TeacherSample> sample_datasets(CausalLMImpl& teacher, const std::vector<int32_t>& prompt,
                                           const Detokenizer& detokenize, const DatasetParser& parse, int64_t g,
                                           const SamplingParams& sampling) {
  if (g <= 0) fail("the teacher must write at least one dataset per step (g = ", g, ")");
  Sampler sampler(teacher, detokenize);
  std::vector<Completion> completions = sampler.generate(std::vector<std::vector<int32_t>>(g, prompt), sampling);
  std::vector<TeacherSample> samples;
  for (Completion& c : completions) {
    TeacherSample sample;
    sample.text = c.text;
    sample.dataset = parse(c.text);
    sample.completion = std::move(c.tokens);
    sample.logprobs = std::move(c.logprobs);
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace soar::meta
