// What keeping a run's outputs costs train-rl: its loop (run_rl) on a testbed-size model and
// testbed problems, with the per-step metrics record and nothing else ("off") against the same run
// with the TensorBoard event file and every step's rollouts kept ("on": train-rl's defaults).
// Both arms sample and train exactly the same (logging draws nothing), so the difference is the
// logging. Arms alternate, each repetition from the same initial weights; prints steps/s per
// repetition, the medians and their ratio (docs/benchmarks.md, "Rollout logs").
//
//   build/release/bench/rollout_log_bench [--threads 1] [--reps 5] [--steps 8] [--prompts 16] [-k 8]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/directory.h"
#include "core/error.h"
#include "core/metrics_log.h"
#include "core/threads.h"
#include "domains/testbed/char_tokenizer.h"
#include "domains/testbed/datasets.h"
#include "rl/rl_loop.h"

namespace {

namespace fs = std::filesystem;

struct Setup {
  soar::ModelConfig config;
  soar::CausalLM initial{nullptr};
  std::vector<soar::Problem> problems;
  soar::testbed::CharVocab vocab;
  soar::RLLoopOptions loop;
};

// One train-rl run of `loop.steps` steps from the initial weights; returns steps per second.
double run(Setup& s, bool logging, const fs::path& dir) {
  soar::remove_tree(dir);
  fs::create_directories(dir);
  soar::CausalLM policy(s.config);
  policy->copy_parameters_from(*s.initial);
  soar::PolicyTrainer trainer(*policy, {.learning_rate = 1e-4, .micro_batch_size = 64});
  soar::MetricsLog metrics(dir / "metrics.jsonl", logging);
  const soar::PromptEncoder encode = [&](const soar::Problem& p) {
    std::vector<int32_t> ids{soar::testbed::CharVocab::kBos};
    s.vocab.append_text("Q:" + p.problem + "\nA:", ids);
    return ids;
  };
  const soar::Detokenizer detokenize = [&](std::span<const int32_t> t) { return s.vocab.decode({t.begin(), t.end()}); };
  const soar::RLRolloutLog rollouts{{}, soar::judge_by_name("exact"), [&](int64_t step, const std::string& lines) {
                                      soar::write_rollout_file(dir / "rollouts" / soar::cat("step_", step, ".jsonl"), lines);
                                    }};
  soar::RLLoopOptions loop = s.loop;
  if (logging) loop.rollout_log = &rollouts;
  const auto start = std::chrono::steady_clock::now();
  soar::run_rl(*policy, trainer, s.problems, encode, detokenize, soar::exact_match_reward(), loop, 0,
               [&](const soar::RLStepResult& r) {
                 metrics.append({{"event", "step"}, {"step", r.step + 1}, {"reward", r.train.mean_reward},
                                 {"loss", r.train.loss}, {"grad_norm", r.train.grad_norm}, {"tokens", r.generated_tokens},
                                 {"reward_std", r.rollouts.reward_std}, {"length_mean", r.rollouts.length_mean},
                                 {"sample_seconds", r.sample_seconds}, {"train_seconds", r.train_seconds}});
               });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(loop.steps) / seconds;
}

// The logging work of one step alone, in seconds (the mean of 50): the records of its
// prompts x k completions built (judge, JSON) and its file written, the step's metrics record
// appended to metrics.jsonl and the event file. A direct figure where the machine's noise blurs
// the ratio of whole runs.
double logging_seconds_per_step(Setup& s, const fs::path& dir) {
  soar::remove_tree(dir);
  fs::create_directories(dir);
  soar::MetricsLog metrics(dir / "metrics.jsonl", true);
  const soar::Completion completion{std::vector<int32_t>(16, 7), {}, "1234567890123456", soar::FinishReason::Length};
  const soar::JudgeFunction judge = soar::judge_by_name("exact");
  const int64_t records = s.loop.prompts_per_step * s.loop.samples_per_prompt, repeats = 50;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t step = 1; step <= repeats; ++step) {
    std::string lines;
    for (int64_t i = 0; i < records; ++i) {
      const soar::Problem& problem = s.problems[static_cast<size_t>(i / s.loop.samples_per_prompt)];
      lines += soar::rollout_line(soar::rollout_json({step, &problem, i % s.loop.samples_per_prompt, &completion, 0.0, 0.0}, judge));
    }
    soar::write_rollout_file(dir / "rollouts" / soar::cat("step_", step, ".jsonl"), lines);
    metrics.append({{"event", "step"}, {"step", step}, {"reward", 0.5}, {"loss", 0.1}, {"grad_norm", 1.0}, {"tokens", 2048},
                    {"reward_std", 0.1}, {"length_mean", 16.0}, {"sample_seconds", 1.0}, {"train_seconds", 0.5}});
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / static_cast<double>(repeats);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  soar::keep_freed_memory();  // as the soar binary does
  int threads = 1;
  int64_t reps = 5;
  Setup s;
  s.loop.steps = 8, s.loop.prompts_per_step = 16, s.loop.samples_per_prompt = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int64_t value = std::stoll(argv[i + 1]);
    if (flag == "--threads") threads = static_cast<int>(value);
    if (flag == "--reps") reps = value;
    if (flag == "--steps") s.loop.steps = value;
    if (flag == "--prompts") s.loop.prompts_per_step = value;
    if (flag == "-k") s.loop.samples_per_prompt = value;
  }
  soar::configure_threads(threads);

  // The testbed's base model shape (soar pretrain's defaults), random weights: sampling and
  // training cost the same, and both arms produce the same completions.
  s.config.vocab_size = soar::testbed::CharVocab::kVocabSize, s.config.hidden_size = 128;
  s.config.intermediate_size = 384, s.config.num_hidden_layers = 4, s.config.num_attention_heads = 4;
  s.config.num_key_value_heads = 4, s.config.head_dim = 32, s.config.max_position_embeddings = 512;
  s.initial = soar::CausalLM(s.config);
  s.initial->initialize_weights(1);
  soar::SplitMix64 rng(5);
  s.problems = soar::testbed::oracle_problems({1, 2, 3, 4, 5, 6}, 256, rng);
  // The testbed student's sampling (soar meta's testbed budget: 16 tokens, stop at the newline).
  s.loop.sampling = {.temperature = 1.0, .max_new_tokens = 16, .eos_token_ids = {soar::testbed::CharVocab::kEos},
                     .stop_strings = {"\n"}, .seed = 3};
  s.loop.seed = 3;

  const fs::path dir = fs::temp_directory_path() / "soar_rollout_log_bench";
  std::printf("rollout_log_bench: testbed-size model (%.2fM parameters), %lld steps of %lld problems x %lld samples, "
              "%d thread(s), %lld repetitions per arm, interleaved\n",
              s.config.parameter_count() / 1e6, static_cast<long long>(s.loop.steps),
              static_cast<long long>(s.loop.prompts_per_step), static_cast<long long>(s.loop.samples_per_prompt), threads,
              static_cast<long long>(reps));
  run(s, false, dir);  // warm-up
  std::vector<double> off, on;
  std::printf("| repetition | off, steps/s | on, steps/s |\n|---|---|---|\n");
  for (int64_t rep = 0; rep < reps; ++rep) {
    // Alternate which arm goes first, so a drift in the machine's load favours neither.
    if (rep % 2 == 0) {
      off.push_back(run(s, false, dir));
      on.push_back(run(s, true, dir));
    } else {
      on.push_back(run(s, true, dir));
      off.push_back(run(s, false, dir));
    }
    std::printf("| %lld | %.3f | %.3f |\n", static_cast<long long>(rep + 1), off.back(), on.back());
  }
  const double ratio = median(on) / median(off);
  std::printf("median: off %.3f steps/s, on %.3f steps/s, on/off %.4f (%.2f %% %s)\n", median(off), median(on), ratio,
              std::abs(1 - ratio) * 100, ratio <= 1 ? "slower" : "faster");
  const double logging = logging_seconds_per_step(s, dir);
  std::printf("logging alone: %.2f ms per step = %.2f %% of an off step (%.0f ms)\n", logging * 1e3,
              logging * median(off) * 100, 1e3 / median(off));
  soar::remove_tree(dir);
  return 0;
}
