// Where a sampler call's device time goes, kernel by kernel: Llama-3.2-3B config, random init,
// bf16, batch 256, prompt 128 + 256 new tokens, one generate() call under PyTorch's Kineto
// profiler with CUDA graphs off (so each kernel is recorded; with graphs the same kernels replay).
// Prints the kernels by total time, grouped into matmuls / attention / norms / sampling / other,
// and writes them as JSON (argv[1]). A diagnostic, not a benchmark: the profiler adds host time.
// argv[2], optional: the decode-attention variant to profile (default 0; device-check.sh passes the
// one the sampler bench found fastest).
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/cuda/CUDAContext.h>
#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "llama_configs.h"
#include "model/decode_kernels.h"
#include "model/fused_ops.h"
#include "sampling/sampler.h"

namespace {

// A coarse class of a CUDA kernel by its name.
std::string kernel_class(const std::string& name) {
  auto has = [&](const char* part) { return name.find(part) != std::string::npos; };
  if (has("gemm") || has("Gemm") || has("sm90_xmma") || has("cutlass") || has("nvjet") || has("gemv")) return "matmul";
  if (has("decode_attention") || has("fmha") || has("flash") || has("attention")) return "attention";
  if (has("rms_norm") || has("RowwiseMoments") || has("norm")) return "norm";
  if (has("sample_tokens") || has("philox") || has("randint") || has("random")) return "sampling";
  if (has("silu")) return "silu";
  if (has("rope")) return "rope + cache write";
  return "other";
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (!at::hasCUDA()) {
    std::cerr << "gpu_decode_profile: no CUDA GPU visible\n";
    return 1;
  }
  const int64_t batch = 256, prompt_length = 128, new_tokens = 256;
  const int attention_variant = argc > 2 ? std::stoi(argv[2]) : soar::kernels::kDefaultDecodeAttentionVariant;
  soar::fused::set_decode_attention_variant(attention_variant);
  soar::ModelConfig config = soar::bench::llama_3_2_3b();
  soar::CausalLM model(config, at::TensorOptions().device(at::kCUDA).dtype(at::kBFloat16));
  {
    at::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.normal_(0.0, 0.02);
  }
  std::mt19937 rng(1);
  std::vector<std::vector<int32_t>> prompts(batch, std::vector<int32_t>(prompt_length));
  for (auto& p : prompts) for (auto& t : p) t = static_cast<int32_t>(rng() % config.vocab_size);
  const soar::SamplingParams sampling{.temperature = 1.0, .max_new_tokens = new_tokens, .seed = 7};
  soar::Sampler sampler(*model, {}, {.cuda_graphs = false});
  sampler.generate(prompts, sampling);  // warm-up

  using namespace torch::autograd::profiler;
  using torch::profiler::impl::ActivityType;
  const torch::profiler::impl::ProfilerConfig profiler_config(torch::profiler::impl::ProfilerState::KINETO);
  const std::set<ActivityType> activities = {ActivityType::CPU, ActivityType::CUDA};
  prepareProfiler(profiler_config, activities);
  enableProfiler(profiler_config, activities);
  sampler.generate(prompts, sampling);
  at::cuda::device_synchronize();
  std::unique_ptr<ProfilerResult> result = disableProfiler();

  struct Total {
    double ns = 0;
    int64_t count = 0;
  };
  std::map<std::string, Total> by_kernel, by_class;
  double all_ns = 0;
  for (const KinetoEvent& event : result->events()) {
    if (event.deviceType() != c10::DeviceType::CUDA) continue;
    const std::string name = event.name();
    const double ns = static_cast<double>(event.durationNs());
    by_kernel[name].ns += ns, ++by_kernel[name].count;
    by_class[kernel_class(name)].ns += ns, ++by_class[kernel_class(name)].count;
    all_ns += ns;
  }
  std::vector<std::pair<std::string, Total>> kernels(by_kernel.begin(), by_kernel.end());
  std::sort(kernels.begin(), kernels.end(), [](const auto& a, const auto& b) { return a.second.ns > b.second.ns; });
  std::printf("device time of one call (batch %lld, %lld + %lld tokens): %.1f ms in %zu kernel names\n",
              static_cast<long long>(batch), static_cast<long long>(prompt_length), static_cast<long long>(new_tokens), all_ns / 1e6,
              kernels.size());
  nlohmann::json out = {{"device", at::cuda::getDeviceProperties(0)->name}, {"batch", batch}, {"attention_variant", attention_variant},
                        {"total_ms", all_ns / 1e6}};
  for (const auto& [name, total] : by_class) {
    std::printf("  %-20s %9.1f ms %6.1f %%  %7lld launches\n", name.c_str(), total.ns / 1e6, 100.0 * total.ns / all_ns,
                static_cast<long long>(total.count));
    out["classes"][name] = {{"ms", total.ns / 1e6}, {"launches", total.count}};
  }
  for (size_t i = 0; i < kernels.size() && i < 40; ++i) {
    const auto& [name, total] = kernels[i];
    std::printf("  %9.2f ms %6lld x %8.1f us  %s\n", total.ns / 1e6, static_cast<long long>(total.count), total.ns / 1e3 / total.count,
                name.substr(0, 150).c_str());
    out["kernels"].push_back({{"name", name}, {"ms", total.ns / 1e6}, {"launches", total.count}});
  }
  if (argc > 1) std::ofstream(argv[1]) << out.dump(2) << "\n";
  return 0;
}
