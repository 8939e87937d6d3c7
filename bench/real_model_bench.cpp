// The CPU engine on a real model (SmolLM2-135M-Instruct, float32): sampler tokens/s at several batch
// sizes with where the time goes (prefill, decode, the token draw), the RL training step, and the
// FLOP roofline of this machine, against transformers and llama.cpp (F32 and the shipped Q4_1) on
// the same prompts and threads, measured in the same run by bench/real_model_reference.py.
// docs/benchmarks.md, "CPU, a real model", records the latest figures.
//
//   build/release/bench/real_model_bench --model DIR --gguf FILE [--threads 2] [--batches 1,8,64]
//       [--prompt 100] [--new 128] [--train-batch 8] [--train-group 1]
//       [--engines transformers,llama-f32,llama-q4_1] [--fused 1]
//
// --engines none measures soar alone; --train-batch 0 skips the training step; --fused 0 runs the
// model's ATen path instead of its fused CPU kernels. --train-group G: the training step's
// sequences are G samples of each prompt (an RL group; the paper's students take 32 samples per
// question, so a micro-batch of 8 holds samples of one prompt: G = 8). soar's step is measured
// with and without sharing each prompt's forward among its samples (TrainerConfig::share_prompts).
//
// DIR is the GGUF converted by `soar convert --gguf FILE --out DIR` (scripts/real-model.sh does it).
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>

#include "core/allocator.h"
#include "core/threads.h"
#include "model/checkpoint.h"
#include "rl/trainer.h"
#include "run_command.h"
#include "sampling/sampler.h"
#include "timing.h"

namespace {

double best_of(int repeats, const std::function<void()>& fn) {
  fn();  // warm-up
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) best = std::min(best, soar::bench::seconds_of(fn));
  return best;
}

// The machine's float32 roofline as ATen reaches it: a large square matmul, FLOP/s.
double gemm_flops(int64_t n) {
  const at::Tensor a = at::randn({n, n}), b = at::randn({n, n});
  const double seconds = best_of(3, [&] { (void)at::mm(a, b); });
  return 2.0 * static_cast<double>(n * n * n) / seconds;
}

// FLOPs of one forward token at context length `context`: 2 per weight of every matmul (the
// embedding lookup is free, the LM head is not) plus attention's QK^T and PV over the context.
double flops_per_token(const soar::ModelConfig& c, double context) {
  const double q = c.num_attention_heads * c.head_dim, kv = c.num_key_value_heads * c.head_dim;
  const double layer = c.hidden_size * (q + 2 * kv) + q * c.hidden_size + 3.0 * c.hidden_size * c.intermediate_size;
  const double head = static_cast<double>(c.hidden_size) * c.vocab_size;
  const double attention = 2.0 * 2.0 * q * context;
  return 2.0 * (c.num_hidden_layers * layer + head) + c.num_hidden_layers * attention;
}

std::vector<int64_t> parse_list(const std::string& text) {
  std::vector<int64_t> values;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) values.push_back(std::stoll(item));
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  soar::keep_freed_memory();  // as the soar binary does
  std::map<std::string, std::string> args = {{"--threads", "2"}, {"--batches", "1,8,64"}, {"--prompt", "100"},
                                             {"--new", "128"}, {"--train-batch", "8"}, {"--train-group", "1"},
                                             {"--engines", "transformers,llama-f32,llama-q4_1"}, {"--fused", "1"}};
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  if (!args.count("--model") || !args.count("--gguf")) {
    std::cerr << "usage: real_model_bench --model CONVERTED_DIR --gguf FILE [--threads N] [--batches 1,8,64] ...\n";
    return 2;
  }
  const int threads = std::stoi(args["--threads"]);
  const int64_t prompt_length = std::stoll(args["--prompt"]), new_tokens = std::stoll(args["--new"]);
  const int64_t train_batch = std::stoll(args["--train-batch"]), train_group = std::stoll(args["--train-group"]);
  if (train_group < 1 || (train_batch > 0 && train_batch % train_group != 0)) {
    std::cerr << "--train-group must divide --train-batch\n";
    return 2;
  }
  const std::vector<int64_t> batches = parse_list(args["--batches"]);
  soar::configure_threads(threads);

  soar::CausalLM model = soar::load_model(args["--model"], {.dtype = at::kFloat});
  const soar::ModelConfig& config = model->config();
  const int64_t largest = std::max(*std::max_element(batches.begin(), batches.end()), train_batch);
  std::mt19937 rng(7);
  std::vector<std::vector<int32_t>> prompts(largest, std::vector<int32_t>(prompt_length));
  for (auto& p : prompts) {
    for (auto& t : p) t = static_cast<int32_t>(rng() % config.vocab_size);
  }

  const double peak = gemm_flops(2048);
  std::printf("real_model_bench: %.1fM parameters, float32, prompt %lld, %lld new tokens, %d thread(s); "
              "float32 GEMM roofline (ATen 2048^3 matmul) %.1f GFLOP/s\n",
              config.parameter_count() / 1e6, static_cast<long long>(prompt_length), static_cast<long long>(new_tokens),
              threads, peak / 1e9);

  // --fused 0: the model's ATen path (no fused CPU kernels), to compare within one run.
  model->set_fused_kernels(args["--fused"] != "0");
  soar::Sampler sampler(*model, {}, {.profile = true});
  const soar::SamplingParams params{.temperature = 1.0, .max_new_tokens = new_tokens, .seed = 3};
  nlohmann::json soar_result;
  std::vector<soar::Completion> completions;
  for (int64_t b : batches) {
    const std::vector<std::vector<int32_t>> batch(prompts.begin(), prompts.begin() + b);
    soar::GenerateProfile best_profile;
    double best = 1e30;
    sampler.generate(batch, params);  // warm-up
    for (int rep = 0; rep < 3; ++rep) {
      const double seconds = soar::bench::seconds_of([&] { completions = sampler.generate(batch, params); });
      if (seconds < best) best = seconds, best_profile = sampler.last_profile();
    }
    // Prefill at the mean prompt context, decode at the mean decoding context.
    const double flops = b * (prompt_length * flops_per_token(config, prompt_length / 2.0) +
                              new_tokens * flops_per_token(config, prompt_length + new_tokens / 2.0));
    soar_result[std::to_string(b)] = {{"tokens_per_s", b * new_tokens / best}, {"seconds", best},
                                      {"prefill_s", best_profile.prefill_s}, {"decode_s", best_profile.decode_s},
                                      {"sample_s", best_profile.sample_s}, {"roofline", flops / best / peak}};
  }

  // The RL training step on train_batch sampled sequences (forward, log-probs, backward, clip, AdamW),
  // groups of train_group samples of one prompt, with and without shared prompts, alternating.
  double train_tps = 0, train_whole_tps = 0;
  std::vector<std::vector<int32_t>> train_prompts;
  for (int64_t i = 0; i < train_batch; ++i) train_prompts.push_back(prompts[i / train_group]);
  if (train_batch > 0) {
    completions = sampler.generate(train_prompts, params);
    std::vector<soar::Rollout> rollouts;
    for (int64_t i = 0; i < train_batch; ++i) {
      rollouts.push_back({train_prompts[i], completions[i].tokens, completions[i].logprobs, static_cast<double>(i % 2), i / train_group});
    }
    soar::PolicyTrainer shared(*model, {.learning_rate = 1e-6, .micro_batch_size = train_batch, .share_prompts = true});
    soar::PolicyTrainer whole(*model, {.learning_rate = 1e-6, .micro_batch_size = train_batch, .share_prompts = false});
    double shared_seconds = 1e30, whole_seconds = 1e30;
    for (int round = 0; round < 4; ++round) {  // the first round warms up
      const double a = soar::bench::seconds_of([&] { shared.step(rollouts); });
      const double b = soar::bench::seconds_of([&] { whole.step(rollouts); });
      if (round > 0) shared_seconds = std::min(shared_seconds, a), whole_seconds = std::min(whole_seconds, b);
    }
    train_tps = static_cast<double>(train_batch * (prompt_length + new_tokens)) / shared_seconds;
    train_whole_tps = static_cast<double>(train_batch * (prompt_length + new_tokens)) / whole_seconds;
  }

  const std::filesystem::path prompts_file = std::filesystem::temp_directory_path() / "soar_real_model_bench_prompts.json";
  std::ofstream(prompts_file) << nlohmann::json{{"batches", batches}, {"prompts", prompts}, {"train_prompts", train_prompts}}.dump();
  std::ostringstream command;
  command << SOAR_PYTHON << " " << SOAR_SOURCE_DIR << "/bench/real_model_reference.py " << args["--model"] << " "
          << args["--gguf"] << " " << prompts_file << " " << threads << " " << new_tokens << " " << train_batch << " "
          << args["--engines"];
  // --engines none: soar alone.
  const nlohmann::json reference = args["--engines"] == "none"
                                       ? nlohmann::json::object()
                                       : nlohmann::json::parse(soar::bench::last_line(soar::bench::run_command(command.str())));

  std::printf("\n| batch | soar tok/s (prefill / decode / draw s) | %% of roofline |");
  for (const auto& [engine, result] : reference.items()) std::printf(" %s tok/s | soar ratio |", engine.c_str());
  std::printf("\n|---|---|---|");
  for (size_t i = 0; i < reference.size(); ++i) std::printf("---|---|");
  std::printf("\n");
  for (int64_t b : batches) {
    const nlohmann::json& s = soar_result[std::to_string(b)];
    std::printf("| %lld | %.0f (%.2f / %.2f / %.2f) | %.0f %% |", static_cast<long long>(b), s["tokens_per_s"].get<double>(),
                s["prefill_s"].get<double>(), s["decode_s"].get<double>(), s["sample_s"].get<double>(),
                100 * s["roofline"].get<double>());
    for (const auto& [engine, result] : reference.items()) {
      if (result.contains("missing")) {
        std::printf(" missing | |");
        continue;
      }
      const double other = result["sample"][std::to_string(b)];
      std::printf(" %.0f | %.2fx |", other, s["tokens_per_s"].get<double>() / other);
    }
    std::printf("\n");
  }
  if (train_batch > 0) {
    std::printf("\nRL training step, batch %lld x %lld tokens, %lld sample(s) per prompt: soar %.0f tok/s, "
                "without shared prompts %.0f tok/s", static_cast<long long>(train_batch),
                static_cast<long long>(prompt_length + new_tokens), static_cast<long long>(train_group), train_tps,
                train_whole_tps);
    if (reference.contains("transformers") && reference["transformers"].contains("train")) {
      const double eager = reference["transformers"]["train"];
      std::printf(", PyTorch eager %.0f tok/s, ratio %.2fx (%.2fx without)", eager, train_tps / eager, train_whole_tps / eager);
    }
  }
  std::printf("\nversions: ");
  for (const auto& [engine, result] : reference.items()) {
    std::printf("%s: %s; ", engine.c_str(), result.value("version", result.value("missing", "?")).c_str());
  }
  std::printf("\n");
  return 0;
}
