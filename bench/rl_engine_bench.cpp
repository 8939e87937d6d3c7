// Sampler and trainer throughput on a testbed-size model, against the same model and batch in
// PyTorch eager (transformers' generate and a hand-written training step), measured in the same run
// by bench/rl_engine_reference.py. Prints a table; docs/benchmarks.md records the latest figures.
//
//   build/release/bench/rl_engine_bench [--threads N] [--batch 64] [--prompt 32] [--new 64] [--profile-sampler 0]
//
// --profile-sampler R: only R generate() calls of the fused sampler, nothing else (to run under perf).
#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>

#include "core/allocator.h"
#include "core/directory.h"
#include "core/threads.h"
#include "model/checkpoint.h"
#include "rl/trainer.h"
#include "sampling/sampler.h"
#include "run_command.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}


}  // namespace

int main(int argc, char** argv) {
  soar::keep_freed_memory();  // as the soar binary does
  int threads = 2;
  int64_t batch = 64, prompt_length = 32, new_tokens = 64, profile_sampler = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int64_t value = std::stoll(argv[i + 1]);
    if (flag == "--threads") threads = static_cast<int>(value);
    if (flag == "--batch") batch = value;
    if (flag == "--prompt") prompt_length = value;
    if (flag == "--new") new_tokens = value;
    if (flag == "--profile-sampler") profile_sampler = value;
  }
  soar::configure_threads(threads);

  // A testbed-size Llama: 0.8M parameters, character vocabulary.
  soar::ModelConfig config;
  config.vocab_size = 64, config.hidden_size = 128, config.intermediate_size = 352, config.num_hidden_layers = 4;
  config.num_attention_heads = 4, config.num_key_value_heads = 4, config.head_dim = 32, config.max_position_embeddings = 256;
  soar::CausalLM model(config);
  model->initialize_weights(1);
  auto dir = std::filesystem::temp_directory_path() / "soar_rl_engine_bench_model";
  soar::remove_tree(dir);
  soar::save_model(*model, dir);

  std::mt19937 rng(7);
  std::vector<std::vector<int32_t>> prompts(batch, std::vector<int32_t>(prompt_length));
  for (auto& p : prompts) for (auto& t : p) t = static_cast<int32_t>(rng() % config.vocab_size);

  // The sampler with the model's fused CPU kernels (the default) and on its ATen path, alternating,
  // so that both see the same machine (single runs here vary by up to 2x).
  soar::SamplingParams params{.temperature = 1.0, .max_new_tokens = new_tokens, .seed = 3};
  double best_sample[2] = {1e30, 1e30};  // [ATen path, fused]
  std::vector<soar::Completion> completions;
  if (profile_sampler > 0) {
    soar::Sampler sampler(*model);
    for (int64_t rep = 0; rep < profile_sampler; ++rep) sampler.generate(prompts, params);
    return 0;
  }
  // Each sampler picks its decoding step (static where the fused kernels run) when constructed.
  model->set_fused_kernels(false);
  soar::Sampler aten_sampler(*model);
  model->set_fused_kernels(true);
  soar::Sampler fused_sampler(*model);
  for (int rep = 0; rep < 4; ++rep) {  // the first round warms up
    for (int fused : {1, 0}) {
      model->set_fused_kernels(fused == 1);
      auto start = std::chrono::steady_clock::now();
      completions = (fused == 1 ? fused_sampler : aten_sampler).generate(prompts, params);
      if (rep > 0) best_sample[fused] = std::min(best_sample[fused], seconds_since(start));
    }
  }
  model->set_fused_kernels(true);
  const double sample_tps = static_cast<double>(batch * new_tokens) / best_sample[1];
  const double aten_sample_tps = static_cast<double>(batch * new_tokens) / best_sample[0];

  soar::PolicyTrainer trainer(*model, {.learning_rate = 1e-4, .micro_batch_size = batch});
  std::vector<soar::Rollout> rollouts;
  for (int64_t i = 0; i < batch; ++i) {
    rollouts.push_back({prompts[i], completions[i].tokens, completions[i].logprobs, static_cast<double>(i % 2), i / 8});
  }
  trainer.step(rollouts);  // warm-up
  double best_train = 1e30;
  for (int rep = 0; rep < 3; ++rep) {
    auto start = std::chrono::steady_clock::now();
    trainer.step(rollouts);
    best_train = std::min(best_train, seconds_since(start));
  }
  const double train_tps = static_cast<double>(batch * (prompt_length + new_tokens)) / best_train;

  std::ostringstream command;
  command << SOAR_PYTHON << " " << SOAR_SOURCE_DIR << "/bench/rl_engine_reference.py " << dir << " " << threads << " "
          << batch << " " << prompt_length << " " << new_tokens;
  auto reference = nlohmann::json::parse(soar::bench::run_command(command.str()));
  const double ref_sample = reference["sample_tokens_per_s"], ref_train = reference["train_tokens_per_s"];

  std::printf("rl_engine_bench: %s model, %.2fM parameters, batch %lld, prompt %lld, %lld new tokens, %d thread(s)\n",
              "llama", config.parameter_count() / 1e6, static_cast<long long>(batch), static_cast<long long>(prompt_length),
              static_cast<long long>(new_tokens), threads);
  std::printf("| what | soar | PyTorch eager (transformers %s) | ratio |\n|---|---|---|---|\n",
              reference["transformers"].get<std::string>().c_str());
  std::printf("| sampler, new tokens/s | %.0f | %.0f | %.2fx |\n", sample_tps, ref_sample, sample_tps / ref_sample);
  std::printf("| sampler on the ATen path (no fused CPU kernels), new tokens/s | %.0f | %.0f | %.2fx |\n", aten_sample_tps,
              ref_sample, aten_sample_tps / ref_sample);
  std::printf("| trainer step, tokens/s | %.0f | %.0f | %.2fx |\n", train_tps, ref_train, train_tps / ref_train);
  return 0;
}
