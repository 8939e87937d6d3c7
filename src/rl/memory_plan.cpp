#include "rl/memory_plan.h"

#include "core/device.h"
#include "core/error.h"
#include "model/checkpoint.h"

namespace soar {

int64_t trainer_state_bytes(int64_t parameters, at::ScalarType dtype, bool stepped) {
  const int64_t element = static_cast<int64_t>(c10::elementSize(dtype));
  const int64_t master = dtype == at::kFloat ? 0 : 4 * parameters;
  return master + (stepped ? 8 * parameters + element * parameters : 0);
}

std::vector<MemoryPart> training_memory_plan(const ModelConfig& config, at::ScalarType dtype, bool with_reference) {
  const int64_t model = parameter_bytes(config, dtype);
  std::vector<MemoryPart> plan = {{"the policy", model},
                                  {"its trainer's state (float32 master weights, AdamW moments, gradients)",
                                   trainer_state_bytes(config.parameter_count(), dtype)}};
  if (dtype == at::kFloat) plan.back().what = "its trainer's state (AdamW moments, gradients)";
  if (with_reference) plan.push_back({"the frozen reference of the KL penalty", model});
  return plan;
}

int64_t total_bytes(const std::vector<MemoryPart>& plan) {
  int64_t total = 0;
  for (const MemoryPart& part : plan) total += part.bytes;
  return total;
}

void require_memory(std::string_view run, const std::vector<MemoryPart>& plan, const ModelConfig& config,
                    at::ScalarType dtype, c10::Device device, int64_t available_bytes) {
  const int64_t total = total_bytes(plan);
  std::string parts;
  for (const MemoryPart& part : plan) parts += cat(parts.empty() ? "" : "; ", part.what, " ", format_bytes(part.bytes));
  const int64_t parameters = config.parameter_count();
  const int64_t loaded = parameter_bytes(config, dtype);
  if (total - loaded <= available_bytes) return;
  const double bytes_per_parameter = static_cast<double>(total) / static_cast<double>(parameters);
  const auto fits = static_cast<int64_t>(static_cast<double>(available_bytes + loaded) / bytes_per_parameter);
  fail(run, " of this ", parameters, "-parameter model in ", dtype_config_name(dtype), " needs at least ",
       format_bytes(total), " on ", device.str(), " (", parts, "; activations and KV caches on top), ",
       format_bytes(total - loaded), " beyond the loaded model, but ", format_bytes(available_bytes),
       " is free: a model of at most ", fits, " parameters fits (or use a device with more memory)");
}

}  // namespace soar
