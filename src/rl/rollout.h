// A scored rollout: what the sampler produced for one prompt and what the verifier said of it.
#pragma once

#include <cstdint>
#include <vector>

namespace soar {

struct Rollout {
  std::vector<int32_t> prompt;
  std::vector<int32_t> completion;
  std::vector<float> sampler_logprobs;  // per completion token; empty if unknown
  double reward = 0.0;
  int64_t group = 0;  // rollouts of the same prompt share a group (the k samples RLOO/GRPO compare)
  int64_t chunk = 0;  // which of the step's fixed chunks it belongs to (the unit spread over processes)
  bool truncated = false;  // stopped by the token budget, not by EOS or a stop string
};

}  // namespace soar
