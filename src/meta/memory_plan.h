// What a SOAR run keeps on its device for its whole length, checked before it allocates more than
// the loaded policy: at the paper's scale (a 3B model in bf16) this is ~36 bytes a parameter,
// ~116 GB, more than an 80 GB GPU holds, and the run would otherwise fail with an out-of-memory
// error inside its first inner loop. Activations and the sampler's KV caches come on top; the
// sampler checks its own before each request.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace soar::meta {

struct MemoryPart {
  std::string what;
  int64_t bytes = 0;
};

// The teacher, the student baseline and two work copies of the model; the teacher's trainer state
// (all of it when the teacher is trained, only its master weights when it is not: the base-teacher
// and oracle arms); one inner loop's trainer state (the inner loops run one after another).
std::vector<MemoryPart> meta_memory_plan(const ModelConfig& config, at::ScalarType dtype, bool teacher_trained);

// Throws soar::Error, listing the plan, when what it needs beyond one already loaded copy of the
// model exceeds `available_bytes`, and says how many parameters would fit.
void check_meta_memory(const ModelConfig& config, at::ScalarType dtype, bool teacher_trained, c10::Device device,
                       int64_t available_bytes);

}  // namespace soar::meta
