// GPU training step, Llama-3.2-3B config, random init: PolicyTrainer::step on 8 rollouts of 1,024
// tokens (a 1-token prompt and 1,023 completion tokens, so the loss covers the same 8 x 1,023
// predicted tokens as a causal-LM loss), AdamW with gradient clipping, against PyTorch eager
// steps measured in the same run by bench/gpu_train_reference.py. Variants: the default (bf16
// weights, float32 master weights, the single-kernel master AdamW), ATen's fused AdamW on staged
// float32 gradients, torch::optim::AdamW's per-parameter loop, and the default with activation
// checkpointing. MFU counts 6 x parameters x tokens per step (attention excluded, the
// same count for every row) against 989 TFLOP/s (dense bf16, H100/H200 SXM datasheet) and against
// the bf16 matmul rate measured here. Prints a table and writes JSON (argv[1]).
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "llama_configs.h"
#include "rl/trainer.h"
#include "run_command.h"

namespace {

constexpr int64_t kSequences = 8, kLength = 1024;
constexpr double kDatasheetPeak = 989e12;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The bf16 matmul rate of this GPU on an 8192^3 product of random matrices (the ceiling to compare with).
double measured_matmul_rate() {
  auto options = at::TensorOptions().dtype(at::kBFloat16).device(at::kCUDA);
  at::Tensor a = at::randn({8192, 8192}, options), b = at::randn({8192, 8192}, options);
  for (int i = 0; i < 3; ++i) at::mm(a, b);
  torch::cuda::synchronize();
  const int reps = 20;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) at::mm(a, b);
  torch::cuda::synchronize();
  return 2.0 * 8192.0 * 8192.0 * 8192.0 * reps / seconds_since(start);
}

std::vector<soar::Rollout> make_rollouts(int64_t vocab) {
  std::vector<soar::Rollout> rollouts;
  uint64_t state = 12345;
  for (int64_t i = 0; i < kSequences; ++i) {
    soar::Rollout r;
    r.prompt = {1};
    for (int64_t t = 1; t < kLength; ++t) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      r.completion.push_back(static_cast<int32_t>((state >> 33) % static_cast<uint64_t>(vocab)));
    }
    // The log-probs a random-init model gives (about uniform), so the importance ratio is ~1 and no
    // extra forward pass is needed for them; rewards alternate so every advantage is non-zero.
    r.sampler_logprobs.assign(r.completion.size(), static_cast<float>(-std::log(static_cast<double>(vocab))));
    r.reward = i % 2 == 0 ? 1.0 : 0.0;
    r.group = 0;
    rollouts.push_back(std::move(r));
  }
  return rollouts;
}

struct Timing {
  double median_s = 0, min_s = 0;
  double peak_gib = 0;
};

Timing time_steps(soar::CausalLMImpl& model, const soar::TrainerConfig& config, const std::vector<soar::Rollout>& rollouts) {
  auto device = static_cast<c10::DeviceIndex>(0);
  c10::cuda::CUDACachingAllocator::resetPeakStats(device);
  soar::PolicyTrainer trainer(model, config);
  for (int i = 0; i < 2; ++i) trainer.step(rollouts);  // warm-up: allocator, cuBLAS handles, optimizer state
  std::vector<double> times;
  for (int i = 0; i < 5; ++i) {
    torch::cuda::synchronize();
    auto start = std::chrono::steady_clock::now();
    trainer.step(rollouts);
    torch::cuda::synchronize();
    times.push_back(seconds_since(start));
  }
  std::sort(times.begin(), times.end());
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
  const double peak = static_cast<double>(stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak);
  return {times[times.size() / 2], times.front(), peak / (1024.0 * 1024.0 * 1024.0)};
}

}  // namespace

int main(int argc, char** argv) {
  if (!at::hasCUDA()) {
    std::cerr << "gpu_train_bench: no CUDA GPU visible\n";
    return 1;
  }
  const bool with_reference = argc < 3 || std::string(argv[2]) != "--no-reference";
  nlohmann::json reference = nlohmann::json::object();
  if (with_reference) {  // first, while this process holds no GPU memory
    std::ostringstream command;
    command << SOAR_PYTHON << " " << SOAR_SOURCE_DIR << "/bench/gpu_train_reference.py " << kSequences << " " << kLength;
    reference = nlohmann::json::parse(soar::bench::last_line(soar::bench::run_command(command.str())));
  }

  const double matmul_rate = measured_matmul_rate();
  soar::ModelConfig config = soar::bench::llama_3_2_3b();
  const double params = static_cast<double>(config.parameter_count());
  const double step_flop = 6.0 * params * kSequences * kLength;
  nlohmann::json results = {{"device", at::cuda::getDeviceProperties(0)->name},
                            {"model", "Llama-3.2-3B config, random init"},
                            {"tokens_per_step", kSequences * kLength},
                            {"flop_per_step", step_flop},
                            {"measured_bf16_matmul_TFLOPps", matmul_rate / 1e12},
                            {"reference", reference},
                            {"soar", nlohmann::json::object()}};
  auto report = [&](const std::string& name, double seconds, double peak_gib) {
    const double mfu = step_flop / seconds / kDatasheetPeak;
    std::printf("%-42s %7.3f s/step  %7.0f tok/s  MFU %4.1f %%  (%4.1f %% of measured matmul rate)  peak %5.1f GiB\n",
                name.c_str(), seconds, kSequences * kLength / seconds, 100 * mfu, 100 * step_flop / seconds / matmul_rate, peak_gib);
  };
  for (const auto& [name, value] : reference.items()) {
    if (value.is_object() && value.contains("step_s")) report("PyTorch eager " + name, value["step_s"], value.value("peak_gib", 0.0));
  }

  soar::CausalLM model(config, at::TensorOptions().device(at::kCUDA).dtype(at::kBFloat16));
  {
    at::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.normal_(0.0, 0.02);
  }
  const std::vector<soar::Rollout> rollouts = make_rollouts(config.vocab_size);
  struct Variant {
    std::string name;
    bool fused;
    bool single_kernel;
    bool checkpointing;
  };
  const std::vector<Variant> variants = {{"bf16_master_single_kernel", true, true, false},
                                         {"bf16_master_aten_fused", true, false, false},
                                         {"bf16_master_unfused", false, false, false},
                                         {"bf16_master_single_kernel_checkpointing", true, true, true}};
  for (const Variant& v : variants) {
    soar::TrainerConfig trainer_config{.learning_rate = 1e-6, .max_grad_norm = 1.0, .micro_batch_size = kSequences};
    trainer_config.fused_adamw = v.fused;
    trainer_config.single_kernel_master_update = v.single_kernel;
    model->set_activation_checkpointing(v.checkpointing);
    try {
      Timing t = time_steps(*model, trainer_config, rollouts);
      results["soar"][v.name] = {{"step_s", t.median_s}, {"min_step_s", t.min_s}, {"peak_gib", t.peak_gib},
                                 {"tokens_per_s", kSequences * kLength / t.median_s},
                                 {"mfu_datasheet", step_flop / t.median_s / kDatasheetPeak},
                                 {"fraction_of_measured_matmul_rate", step_flop / t.median_s / matmul_rate}};
      report("soar " + v.name, t.median_s, t.peak_gib);
    } catch (const std::exception& e) {
      results["soar"][v.name] = {{"error", e.what()}};
      std::printf("soar %s failed: %s\n", v.name.c_str(), e.what());
    }
    c10::cuda::CUDACachingAllocator::emptyCache();
  }
  for (const auto& [name, value] : reference.items()) {
    if (!value.is_object() || !value.contains("step_s")) continue;
    for (const auto& [ours, mine] : results["soar"].items()) {
      if (mine.contains("step_s")) results["speedup"][ours + "_vs_" + name] = value["step_s"].get<double>() / mine["step_s"].get<double>();
    }
  }
  std::cout << results.dump(2) << "\n";
  if (argc > 1) std::ofstream(argv[1]) << results.dump(2) << "\n";
  return 0;
}
