// The RL learning test shared by the CPU and GPU suites. The prompt is one "question" token q in
// [4, 14); the right answer is token 4 + (q * 3 + 1) % 10. A random tiny model picks it with
// probability ~1/32; RLOO must raise the mean reward above 0.8.
#pragma once

#include <ATen/ATen.h>

#include <iostream>

#include "rl/trainer.h"
#include "sampling/sampler.h"

namespace soar {

struct ToyTaskResult {
  double before = 0, after = 0;
  int steps = 0;
};

// dtype bfloat16 trains through the trainer's float32 master weights.
inline ToyTaskResult run_toy_task(at::Device device, at::ScalarType dtype = at::kFloat) {
  ModelConfig config;
  config.vocab_size = 32, config.hidden_size = 32, config.intermediate_size = 64, config.num_hidden_layers = 1;
  config.num_attention_heads = 4, config.num_key_value_heads = 2, config.head_dim = 8, config.max_position_embeddings = 16;
  CausalLM model(config);
  model->initialize_weights(17);
  model->to(device, dtype);
  Sampler sampler(*model);
  PolicyTrainer trainer(*model, {.learning_rate = 3e-3, .warmup_steps = 2, .micro_batch_size = 40,
                                 .estimator = AdvantageEstimator::RLOO});
  auto answer = [](int32_t q) { return 4 + (q * 3 + 1) % 10; };
  const int64_t k = 8;
  std::vector<std::vector<int32_t>> prompts;
  for (int32_t q = 4; q < 14; ++q) prompts.push_back({1, q});

  auto mean_reward = [&](uint64_t seed) {
    std::vector<std::vector<int32_t>> batch;
    for (const auto& p : prompts) for (int i = 0; i < 20; ++i) batch.push_back(p);
    auto completions = sampler.generate(batch, {.temperature = 1.0, .max_new_tokens = 1, .seed = seed});
    double total = 0;
    for (size_t i = 0; i < batch.size(); ++i) total += completions[i].tokens[0] == answer(batch[i][1]) ? 1.0 : 0.0;
    return total / static_cast<double>(batch.size());
  };
  ToyTaskResult result;
  result.before = result.after = mean_reward(1000);
  for (; result.steps < 150 && result.after <= 0.8; ++result.steps) {
    std::vector<std::vector<int32_t>> batch;
    for (const auto& p : prompts) for (int64_t i = 0; i < k; ++i) batch.push_back(p);
    auto completions = sampler.generate(batch, {.temperature = 1.0, .max_new_tokens = 1, .seed = static_cast<uint64_t>(result.steps)});
    std::vector<Rollout> rollouts;
    for (size_t i = 0; i < batch.size(); ++i) {
      double reward = completions[i].tokens[0] == answer(batch[i][1]) ? 1.0 : 0.0;
      rollouts.push_back({batch[i], completions[i].tokens, completions[i].logprobs, reward, static_cast<int64_t>(i / k)});
    }
    trainer.step(rollouts);
    if (result.steps % 10 == 9) result.after = mean_reward(2000 + result.steps);
  }
  std::cout << "toy task on " << device.str() << " in " << c10::toString(dtype) << ": mean reward " << result.before << " -> " << result.after << " in "
            << result.steps << " RL steps\n";
  return result;
}

}  // namespace soar
