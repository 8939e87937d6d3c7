// GPU sampler throughput, Llama-3.2-3B config, random init, bf16, prompt 128, 256 new tokens,
// batch 64 and 256, with where each call's time goes (prefill, decode steps, sampling), against
// Hugging Face generate measured after it in the same run (dynamic cache, and static cache with
// torch.compile + CUDA graphs, timed after its compiling run) by bench/gpu_generate_reference.py.
// First each shape of the decode-attention kernel end to end at batch 256 (variants 2-4: tensor
// cores); the fastest runs the rest.
// Prints a table and writes JSON (argv[1]; written once ours is measured, again with the reference).
// Flags after it: --no-reference, --attention-variants=0,1 (the shapes to try; default all five).
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <c10/cuda/CUDACachingAllocator.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/error.h"
#include "model/decode_kernels.h"
#include "model/fused_ops.h"
#include "sampling/sampler.h"
#include "llama_configs.h"
#include "run_command.h"

namespace {

// The attention kernel shapes to try: all, or those a --attention-variants=LIST flag names.
std::vector<int> attention_variants(int argc, char** argv) {
  const std::string flag = "--attention-variants=";
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind(flag, 0) != 0) continue;
    std::vector<int> variants;
    std::stringstream list(arg.substr(flag.size()));
    for (std::string item; std::getline(list, item, ',');) variants.push_back(std::stoi(item));
    return variants;
  }
  return {0, 1, 2, 3, 4};
}

// Device time of one call of `work`, the mean over `reps` after a warm-up (CUDA events).
template <class Work>
double device_seconds(int reps, Work&& work) {
  work();
  at::cuda::CUDAEvent start(cudaEventDefault), end(cudaEventDefault);
  start.record();
  for (int i = 0; i < reps; ++i) work();
  end.record();
  end.synchronize();
  return start.elapsed_time(end) / 1000.0 / reps;
}

// Relative error of the attention kernel's `variant` against the float64 attention on random
// batch-256 inputs with holes in the validity mask: a shape with wrong results is never timed (the
// GPU tests check every shape; this guards the choice below in a run whose tests failed).
double attention_variant_error(const soar::ModelConfig& config, int variant) {
  at::InferenceMode inference;
  auto bf16 = at::TensorOptions().dtype(at::kBFloat16).device(at::kCUDA);
  const int64_t batch = 256, capacity = 300, newest = 257;
  at::Tensor keys = at::randn({batch, config.num_key_value_heads, capacity, config.head_dim}, bf16);
  at::Tensor values = at::randn_like(keys);
  at::Tensor valid = at::rand({batch, capacity}, bf16.dtype(at::kFloat)) > 0.2;
  valid.select(1, 0).fill_(true);
  at::Tensor slot = at::full({1}, newest, bf16.dtype(at::kLong));
  at::Tensor q = at::randn({batch, config.num_attention_heads, config.head_dim}, bf16) * 3;
  soar::fused::set_decode_attention_variant(variant);
  at::Tensor out = soar::fused::decode_attention(q, keys, values, valid, slot, capacity).to(at::kDouble);
  const int64_t group = config.num_attention_heads / config.num_key_value_heads, read = newest + 1;
  at::Tensor q64 = q.to(at::kDouble).view({batch, config.num_key_value_heads, group, config.head_dim});
  at::Tensor scores = at::matmul(q64, keys.to(at::kDouble).narrow(2, 0, read).transpose(2, 3)) / std::sqrt(double(config.head_dim));
  scores = scores.masked_fill(valid.narrow(1, 0, read).view({batch, 1, 1, read}).logical_not(), -INFINITY);
  at::Tensor expected = at::matmul(scores.softmax(-1), values.to(at::kDouble).narrow(2, 0, read)).view(out.sizes());
  return ((out - expected).norm() / expected.norm()).item<double>();
}

// The fused decode kernels alone on one layer's shapes, at the mid-run cache fill: the attention's
// and the norm's achieved bandwidth (bytes they must move / time), to set against the device's.
nlohmann::json time_kernels(const soar::ModelConfig& config, int64_t batch, int64_t capacity, const std::vector<int>& variants) {
  at::InferenceMode inference;
  auto bf16 = at::TensorOptions().dtype(at::kBFloat16).device(at::kCUDA);
  const int64_t filled = capacity * 3 / 4;  // prompt 128 + half of 256 new tokens
  at::Tensor keys = at::randn({batch, config.num_key_value_heads, capacity, config.head_dim}, bf16);
  at::Tensor values = at::randn_like(keys);
  at::Tensor valid = at::ones({batch, capacity}, bf16.dtype(at::kBool));
  at::Tensor slot = at::full({1}, filled - 1, bf16.dtype(at::kLong));
  at::Tensor q = at::randn({batch, config.num_attention_heads, config.head_dim}, bf16);
  const double attention_bytes = 2.0 * batch * config.num_key_value_heads * filled * config.head_dim * 2;
  nlohmann::json timings;
  for (int variant : variants) {
    soar::fused::set_decode_attention_variant(variant);
    const double seconds = device_seconds(50, [&] { soar::fused::decode_attention(q, keys, values, valid, slot, capacity); });
    const std::string key = "attention_variant_" + std::to_string(variant);
    timings[key + "_us"] = seconds * 1e6;
    timings[key + "_TBps"] = attention_bytes / seconds / 1e12;
  }
  soar::fused::set_decode_attention_variant(soar::kernels::kDefaultDecodeAttentionVariant);
  timings["attention_slots"] = filled;
  at::Tensor residual = at::randn({batch, config.hidden_size}, bf16), delta = at::randn_like(residual);
  at::Tensor weight = at::ones({config.hidden_size}, bf16);
  const double norm_s = device_seconds(200, [&] { soar::fused::add_rms_norm(residual, delta, weight, 1e-5); });
  timings["add_rms_norm_us"] = norm_s * 1e6;
  timings["add_rms_norm_TBps"] = 4.0 * batch * config.hidden_size * 2 / norm_s / 1e12;
  at::Tensor gate_up = at::randn({batch, 2 * config.intermediate_size}, bf16);
  const double silu_s = device_seconds(200, [&] { soar::fused::silu_mul(gate_up); });
  timings["silu_mul_us"] = silu_s * 1e6;
  timings["silu_mul_TBps"] = 3.0 * batch * config.intermediate_size * 2 / silu_s / 1e12;
  // The token draw: the one-pass kernel on the bf16 logits against the ATen path (float32 copy,
  // log-softmax, softmax, exponential race, argmax, gather) the sampler used before it.
  at::Tensor logits = at::randn({batch, config.vocab_size}, bf16);
  at::Tensor seed = at::full({1}, 7, bf16.dtype(at::kLong));
  const double draw_s = device_seconds(50, [&] { soar::fused::sample_tokens(logits, 1.0, seed); });
  auto generator = at::cuda::detail::getDefaultCUDAGenerator();
  const double aten_draw_s = device_seconds(20, [&] { soar::sample_tokens(logits.to(at::kFloat), {.temperature = 1.0}, generator); });
  timings["sample_tokens_us"] = draw_s * 1e6;
  timings["sample_tokens_TBps"] = static_cast<double>(logits.nbytes()) / draw_s / 1e12;
  timings["sample_tokens_aten_us"] = aten_draw_s * 1e6;
  return timings;
}

using Prompts = std::vector<std::vector<int32_t>>;

Prompts random_prompts(int64_t batch, int64_t length, int64_t vocab, std::mt19937& rng) {
  Prompts prompts(batch, std::vector<int32_t>(length));
  for (auto& p : prompts) for (auto& t : p) t = static_cast<int32_t>(rng() % vocab);
  return prompts;
}

// The fastest of `reps` generate() calls (wall time), with that call's profile.
double best_call(soar::Sampler& sampler, const Prompts& prompts, const soar::SamplingParams& sampling, int reps,
                 soar::GenerateProfile& profile) {
  double best = 1e30;
  for (int rep = 0; rep < reps; ++rep) {
    auto start = std::chrono::steady_clock::now();
    sampler.generate(prompts, sampling);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds < best) best = seconds, profile = sampler.last_profile();
  }
  return best;
}

// Device time of one decoding step (the first step is the prefill's).
double step_seconds(const soar::GenerateProfile& p) { return p.decode_s / static_cast<double>(std::max<int64_t>(1, p.steps - 1)); }

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines reach the log even if a later step aborts
  if (!at::hasCUDA()) {
    std::cerr << "gpu_sampler_bench: no CUDA GPU visible\n";
    return 1;
  }
  const int64_t prompt_length = 128, new_tokens = 256;
  const std::vector<int64_t> batches = {64, 256};
  bool with_reference = true;
  for (int i = 2; i < argc; ++i) with_reference = with_reference && std::string(argv[i]) != "--no-reference";
  const std::vector<int> variants = attention_variants(argc, argv);

  auto write = [&](const nlohmann::json& results) {
    if (argc > 1) std::ofstream(argv[1]) << results.dump(2) << "\n";
  };
  soar::ModelConfig config = soar::bench::llama_3_2_3b();
  auto model = std::make_unique<soar::CausalLM>(config, at::TensorOptions().device(at::kCUDA).dtype(at::kBFloat16));
  {
    at::NoGradGuard no_grad;
    for (auto& p : (*model)->parameters()) p.normal_(0.0, 0.02);
  }
  std::mt19937 rng(1);
  nlohmann::json results = {{"device", at::cuda::getDeviceProperties(0)->name}, {"model", "Llama-3.2-3B config, random init, bf16"},
                            {"prompt", prompt_length}, {"new_tokens", new_tokens}, {"soar", nlohmann::json::object()}};
  const double params = static_cast<double>(config.parameter_count());
  const double kv_bytes_per_token = 2.0 * config.num_hidden_layers * config.num_key_value_heads * config.head_dim * 2;
  const soar::SamplingParams sampling{.temperature = 1.0, .max_new_tokens = new_tokens, .seed = 7};
  {
    // The sampler at batch 256 with each attention kernel shape (kept sampler, best of two); the
    // fastest then runs the measurements below (results["attention_variant"]).
    const Prompts prompts = random_prompts(256, prompt_length, config.vocab_size, rng);
    int fastest = 0;
    double fastest_tokens_per_s = 0;
    for (int variant : variants) {
      const double error = attention_variant_error(config, variant);
      results["attention_variants_b256"][std::to_string(variant)]["relative_error"] = error;
      if (!(error < 1e-2)) {
        std::printf("attention variant %d: relative error %.3g against float64, not timed\n", variant, error);
        continue;
      }
      soar::fused::set_decode_attention_variant(variant);
      soar::Sampler sampler(**model, {}, {.profile = true});
      sampler.generate(prompts, sampling);
      soar::GenerateProfile variant_profile;
      const double tokens_per_s = 256.0 * new_tokens / best_call(sampler, prompts, sampling, 2, variant_profile);
      results["attention_variants_b256"][std::to_string(variant)]["tokens_per_s"] = tokens_per_s;
      results["attention_variants_b256"][std::to_string(variant)]["decode_step_ms"] = step_seconds(variant_profile) * 1e3;
      std::printf("attention variant %d, batch 256: %.0f tok/s\n", variant, tokens_per_s);
      if (tokens_per_s > fastest_tokens_per_s) fastest = variant, fastest_tokens_per_s = tokens_per_s;
    }
    soar::fused::set_decode_attention_variant(fastest);
    results["attention_variant"] = fastest;
    results["attention_variants_2_to_4_on_tensor_cores"] = soar::kernels::decode_attention_on_tensor_cores(
        soar::kernels::Element::BFloat16, config.head_dim, config.num_attention_heads / config.num_key_value_heads);
    std::printf("measuring with attention variant %d\n", fastest);
  }
  for (int64_t batch : batches) {
    const Prompts prompts = random_prompts(batch, prompt_length, config.vocab_size, rng);
    // A kept sampler (its KV cache and CUDA graphs reused from call to call, as in an RL loop)
    // against a fresh sampler per call (allocation and graph captures inside every call), and the
    // same kept sampler with the model's fused kernels off (the ATen path: what they gain).
    soar::GenerateProfile profile, aten_profile, unused;
    double best, fresh_best, aten_best;
    {
      soar::Sampler sampler(**model, {}, {.profile = true});
      sampler.generate(prompts, sampling);  // warm-up (kernels, graph capture)
      best = best_call(sampler, prompts, sampling, 2, profile);
      soar::Sampler fresh(**model);
      fresh_best = best_call(fresh, prompts, sampling, 1, unused);
    }
    {
      (*model)->set_fused_kernels(false);
      soar::Sampler sampler(**model, {}, {.profile = true});
      sampler.generate(prompts, sampling);
      aten_best = best_call(sampler, prompts, sampling, 1, aten_profile);
      (*model)->set_fused_kernels(true);
    }
    const double tokens_per_s = static_cast<double>(batch * new_tokens) / best;
    const double step_s = step_seconds(profile);
    // Per decode step (device time of the graph replays alone): the weights read once (embeddings
    // tied: counted once), the KV cache read over the attended slots (on average the middle of the
    // run: the fused attention reads up to the newest slot only), 2 FLOP per parameter per token
    // plus attention.
    const double attended = static_cast<double>(prompt_length) + new_tokens / 2.0;
    const double bytes = params * 2 + static_cast<double>(batch) * attended * kv_bytes_per_token;
    const double flops = 2 * params * static_cast<double>(batch) +
                         4.0 * static_cast<double>(batch) * attended * config.num_hidden_layers * config.num_attention_heads * config.head_dim;
    const std::string key = std::to_string(batch);
    results["soar"][key] = {{"tokens_per_s", tokens_per_s},
                            {"fresh_sampler_tokens_per_s", static_cast<double>(batch * new_tokens) / fresh_best},
                            {"aten_path_tokens_per_s", static_cast<double>(batch * new_tokens) / aten_best},
                            {"aten_path_decode_step_ms", step_seconds(aten_profile) * 1e3},
                            {"call_s", best},
                            {"prefill_s", profile.prefill_s},
                            {"decode_s", profile.decode_s},
                            {"sample_s", profile.sample_s},
                            {"other_s", best - profile.prefill_s - profile.decode_s - profile.sample_s},
                            {"graph_captures_in_timed_call", profile.graph_captures},
                            {"decode_step_ms", step_s * 1e3},
                            {"decode_bandwidth_TBps", bytes / step_s / 1e12},
                            {"decode_TFLOPps", flops / step_s / 1e12}};
    std::printf("batch %3lld: %8.0f tok/s kept sampler, %8.0f tok/s fresh sampler per call, %8.0f tok/s ATen path (step %.2f ms); "
                "call %.3f s = prefill %.3f + decode %.3f + sample %.3f + other %.3f s; decode step %.2f ms = %.2f TB/s of "
                "weights+KV, %.0f TFLOP/s\n",
                static_cast<long long>(batch), tokens_per_s, static_cast<double>(batch * new_tokens) / fresh_best,
                static_cast<double>(batch * new_tokens) / aten_best, step_seconds(aten_profile) * 1e3, best, profile.prefill_s,
                profile.decode_s, profile.sample_s, best - profile.prefill_s - profile.decode_s - profile.sample_s, step_s * 1e3,
                bytes / step_s / 1e12, flops / step_s / 1e12);
  }
  results["kernels"] = time_kernels(config, 256, prompt_length + new_tokens, variants);
  std::cout << "kernels at batch 256: " << results["kernels"].dump() << "\n";
  results["kernels_b64"] = time_kernels(config, 64, prompt_length + new_tokens, variants);
  std::cout << "kernels at batch 64: " << results["kernels_b64"].dump() << "\n";
  write(results);  // ours is kept even if the reference does not finish

  if (with_reference) {  // after ours, with this process's GPU memory released
    model.reset();
    c10::cuda::CUDACachingAllocator::emptyCache();
    std::ostringstream command;
    command << SOAR_PYTHON << " " << SOAR_SOURCE_DIR << "/bench/gpu_generate_reference.py " << prompt_length << " " << new_tokens;
    for (int64_t b : batches) command << " " << b;
    results["reference"] = nlohmann::json::parse(soar::bench::last_line(soar::bench::run_command(command.str())));
    for (int64_t batch : batches) {
      const std::string key = std::to_string(batch);
      const double ours = results["soar"][key]["tokens_per_s"];
      for (const char* kind : {"dynamic", "static"}) {
        const std::string ref_key = std::string(kind) + "_b" + key;
        if (!results["reference"].contains(ref_key)) continue;
        const double ratio = ours / results["reference"][ref_key].get<double>();
        results["soar"][key][std::string("speedup_vs_") + kind] = ratio;
        std::printf("batch %3s: soar %.0f tok/s = %.2fx HF generate %s (%.0f tok/s)\n", key.c_str(), ours, ratio, kind,
                    results["reference"][ref_key].get<double>());
      }
    }
    write(results);
  }
  std::cout << results.dump(2) << "\n";
  return 0;
}
