#include "meta/memory_plan.h"

namespace soar::meta {

std::vector<MemoryPart> meta_memory_plan(const ModelConfig& config, at::ScalarType dtype, bool teacher_trained) {
  const int64_t parameters = config.parameter_count();
  const int64_t model = parameters * static_cast<int64_t>(c10::elementSize(dtype));
  return {{"4 copies of the model (teacher, student baseline, 2 work copies)", 4 * model},
          {teacher_trained ? "the teacher's trainer state (float32 master weights, AdamW moments, gradients)"
                           : "the teacher's float32 master weights (it is not trained)",
           trainer_state_bytes(parameters, dtype, teacher_trained)},
          {"an inner loop's trainer state", trainer_state_bytes(parameters, dtype)}};
}

void check_meta_memory(const ModelConfig& config, at::ScalarType dtype, bool teacher_trained, c10::Device device,
                       int64_t available_bytes) {
  require_memory("a SOAR run", meta_memory_plan(config, dtype, teacher_trained), config, dtype, device, available_bytes);
}

}  // namespace soar::meta
