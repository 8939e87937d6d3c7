#include "meta/memory_plan.h"

#include "model/checkpoint.h"

namespace soar::meta {

std::vector<MemoryPart> meta_memory_plan(const ModelConfig& config, at::ScalarType dtype, bool teacher_trained,
                                         bool kl_reference) {
  const int64_t parameters = config.parameter_count();
  const int64_t copies = kl_reference ? 4 : 3;
  return {{kl_reference ? "4 copies of the model (teacher, student baseline, work copy, initial model for the KL penalty)"
                        : "3 copies of the model (teacher, student baseline, work copy)",
           copies * parameter_bytes(config, dtype)},
          {teacher_trained ? "the teacher's trainer state (float32 master weights, AdamW moments, gradients)"
                           : "the teacher's float32 master weights (it is not trained)",
           trainer_state_bytes(parameters, dtype, teacher_trained)},
          {"an inner loop's trainer state", trainer_state_bytes(parameters, dtype)}};
}

}  // namespace soar::meta
