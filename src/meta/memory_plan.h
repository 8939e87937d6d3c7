// What a SOAR run keeps on its device for its whole length, checked with require_memory
// (rl/memory_plan.h): at the paper's scale (a 3B model in bf16) ~36 bytes a parameter, ~116 GB,
// more than an 80 GB GPU holds; without the check the run would fail out of memory inside its
// first inner loop.
#pragma once

#include <c10/core/ScalarType.h>

#include <cstdint>
#include <vector>

#include "model/config.h"
#include "rl/memory_plan.h"

namespace soar::meta {

// The teacher, the student baseline, the work copy a student is trained in, and the initial model
// when a KL penalty anchors to it; the teacher's trainer state (all of it when the teacher is
// trained, only its master weights when it is not: the base-teacher and oracle arms); one inner
// loop's trainer state (the inner loops run one after another).
std::vector<MemoryPart> meta_memory_plan(const ModelConfig& config, at::ScalarType dtype, bool teacher_trained,
                                         bool kl_reference);

}  // namespace soar::meta
