#include "meta/memory_plan.h"

#include "core/device.h"
#include "core/error.h"
#include "model/checkpoint.h"
#include "rl/trainer.h"

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
  const std::vector<MemoryPart> plan = meta_memory_plan(config, dtype, teacher_trained);
  int64_t total = 0;
  std::string parts;
  for (const MemoryPart& part : plan) {
    total += part.bytes;
    parts += cat(parts.empty() ? "" : "; ", part.what, " ", format_bytes(part.bytes));
  }
  const int64_t parameters = config.parameter_count();
  const int64_t loaded = parameters * static_cast<int64_t>(c10::elementSize(dtype));
  if (total - loaded <= available_bytes) return;
  // The plan is linear in the parameter count: the largest model whose plan fits beside nothing else.
  const double bytes_per_parameter = static_cast<double>(total) / static_cast<double>(parameters);
  const auto fits = static_cast<int64_t>(static_cast<double>(available_bytes + loaded) / bytes_per_parameter);
  fail("a SOAR run of this ", parameters, "-parameter model in ", dtype_config_name(dtype), " needs at least ",
       format_bytes(total), " on ", device.str(), " (", parts, "; activations and KV caches on top), ",
       format_bytes(total - loaded), " beyond the loaded model, but ", format_bytes(available_bytes),
       " is free: a model of at most ", fits, " parameters fits (or use a device with more memory)");
}

}  // namespace soar::meta
