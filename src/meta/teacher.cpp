#include "meta/teacher.h"

#include "core/error.h"

namespace soar::meta {

std::vector<TeacherSample> sample_datasets(CausalLMImpl& teacher, const std::vector<int32_t>& prompt,
                                           const Detokenizer& detokenize, const DatasetParser& parse, int64_t g,
                                           int64_t m, const SamplingParams& sampling) {
  if (g <= 0) fail("the teacher must write at least one dataset per step (g = ", g, ")");
  if (m <= 0) fail("a dataset needs at least one teacher completion (m = ", m, ")");
  Sampler sampler(teacher, detokenize);
  std::vector<Completion> completions = sampler.generate(std::vector<std::vector<int32_t>>(g * m, prompt), sampling);
  std::vector<TeacherSample> samples(static_cast<size_t>(g));
  for (size_t j = 0; j < completions.size(); ++j) {
    TeacherSample& sample = samples[j / static_cast<size_t>(m)];
    Completion& c = completions[j];
    ParsedDataset part = parse(c.text);
    for (Problem& problem : part.problems) {
      // Ids stay unique in the merged dataset (promoted questions are written with their ids).
      if (m > 1) problem.id = cat(sample.completions.size(), ".", problem.id);
      sample.dataset.problems.push_back(std::move(problem));
    }
    sample.dataset.malformed += part.malformed;
    sample.completions.push_back({std::move(c.tokens), std::move(c.logprobs), std::move(c.text)});
  }
  return samples;
}

}  // namespace soar::meta
