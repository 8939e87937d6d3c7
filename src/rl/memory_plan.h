// What a training run keeps on its device for its whole length (the policy, its trainer's state,
// any frozen copies), checked right after the policy is loaded: a run that cannot fit is refused
// with its parts and the largest model that would fit, instead of failing out of memory at its
// first optimizer step. Activations and the sampler's KV caches come on top (they depend on the
// batch; the sampler checks its own before each request).
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/config.h"

namespace soar {

struct MemoryPart {
  std::string what;
  int64_t bytes = 0;
};

// Bytes a PolicyTrainer of a policy with `parameters` parameters in `dtype` holds besides the
// policy itself: float32 master weights when the dtype is not float32 (from construction), and
// once it has stepped, AdamW's two float32 moments and the gradients in the policy's dtype (plus
// a bounded staging bucket on the unfused path, not counted).
int64_t trainer_state_bytes(int64_t parameters, at::ScalarType dtype, bool stepped = true);

// `soar train-rl`: the policy, its trainer's state, and the frozen reference of a KL penalty.
std::vector<MemoryPart> training_memory_plan(const ModelConfig& config, at::ScalarType dtype, bool with_reference);

int64_t total_bytes(const std::vector<MemoryPart>& plan);

// Throws soar::Error when the plan needs more than `available_bytes` beyond the one copy of the
// model already loaded, naming `run`, the parts, and how many parameters would fit (every part
// grows with the parameter count).
void require_memory(std::string_view run, const std::vector<MemoryPart>& plan, const ModelConfig& config,
                    at::ScalarType dtype, c10::Device device, int64_t available_bytes);

}  // namespace soar
