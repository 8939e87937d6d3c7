// Shared prompts in training (model/shared_prefix.h, PackedRollouts::shared): each distinct prompt
// of a micro-batch goes through the model once, and the rows' log-probs, gradients and the
// trainer's update must be those of running every row whole.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "rl/logprobs.h"
#include "rl/trainer.h"

namespace soar {
namespace {

ModelConfig tiny_config(const std::string& family) {
  ModelConfig config;
  config.vocab_size = 40, config.hidden_size = 32, config.intermediate_size = 64, config.num_hidden_layers = 2;
  config.num_attention_heads = 4, config.num_key_value_heads = 2, config.head_dim = 8, config.max_position_embeddings = 64;
  if (family == "qwen2") config.qkv_bias = true;
  if (family == "qwen3") config.qk_norm = true, config.num_key_value_heads = 1;
  if (family == "mha") config.num_key_value_heads = 4;
  return config;
}

CausalLM tiny_model(const std::string& family) {
  CausalLM model(tiny_config(family));
  model->initialize_weights(11);
  at::NoGradGuard no_grad;
  at::manual_seed(3);  // every call the same model
  for (auto& p : model->parameters()) {
    if (p.dim() == 1) p.add_(at::randn(p.sizes(), at::kFloat) * 0.1);  // non-trivial norms and biases
  }
  return model;
}

// Three prompts of different lengths (one of them used by a single row), completions of lengths
// 0 to 6, rows of one prompt not adjacent.
std::vector<Rollout> grouped_rollouts() {
  const std::vector<std::vector<int32_t>> prompts = {{1, 5, 9, 3, 7}, {2, 8}, {4, 6, 10, 12, 14, 16, 18}};
  const std::vector<int> prompt_of = {0, 1, 0, 2, 1, 0, 1};
  std::vector<Rollout> out;
  for (size_t i = 0; i < prompt_of.size(); ++i) {
    std::vector<int32_t> completion;
    for (size_t t = 0; t < i; ++t) completion.push_back(static_cast<int32_t>(3 + (7 * i + 5 * t) % 36));
    out.push_back({prompts[prompt_of[i]], completion, {}, static_cast<double>(i % 3), prompt_of[i]});
  }
  return out;
}

std::vector<const Rollout*> pointers(const std::vector<Rollout>& rollouts) {
  std::vector<const Rollout*> out;
  for (const Rollout& r : rollouts) out.push_back(&r);
  return out;
}

TEST(SharedPrompts, HiddenStatesEqualEachRowRunWhole) {
  for (const std::string family : {"llama", "qwen2", "qwen3", "mha"}) {
    CausalLM model = tiny_model(family);
    at::NoGradGuard no_grad;
    const std::vector<std::vector<int64_t>> prefixes = {{1, 5, 9, 3}, {2}, {4, 6, 10, 12, 14, 16}};
    const std::vector<std::vector<int64_t>> suffixes = {{7, 20, 21}, {8, 30}, {7}, {18, 1, 2, 3, 4}, {8, 33, 34, 35}};
    const std::vector<int64_t> row_prefix = {0, 1, 0, 2, 1};
    at::Tensor prefix_ids = at::full({3, 6}, 39, at::kLong), suffix_ids = at::full({5, 5}, 39, at::kLong);  // padding 39
    for (size_t u = 0; u < prefixes.size(); ++u) {
      for (size_t j = 0; j < prefixes[u].size(); ++j) prefix_ids[u][j] = prefixes[u][j];
    }
    for (size_t n = 0; n < suffixes.size(); ++n) {
      for (size_t j = 0; j < suffixes[n].size(); ++j) suffix_ids[n][j] = suffixes[n][j];
    }
    at::Tensor shared = model->hidden_states_shared_prefix(
        {prefix_ids, at::tensor({4, 1, 6}, at::kLong), at::tensor(row_prefix, at::kLong), suffix_ids});
    ASSERT_EQ(shared.sizes(), (std::vector<int64_t>{5, 5, 32})) << family;
    for (size_t n = 0; n < suffixes.size(); ++n) {
      std::vector<int64_t> row = prefixes[row_prefix[n]];
      row.insert(row.end(), suffixes[n].begin(), suffixes[n].end());
      at::Tensor whole = model->hidden_states(at::tensor(row, at::kLong).unsqueeze(0))[0];
      const int64_t length = static_cast<int64_t>(suffixes[n].size());
      at::Tensor expected = whole.narrow(0, whole.size(0) - length, length);
      EXPECT_LT((shared[n].narrow(0, 0, length) - expected).abs().max().item<double>(), 1e-5) << family << " row " << n;
    }
  }
}

TEST(SharedPrompts, PackingSharesOnlyWhereRowsShareAPrompt) {
  std::vector<Rollout> rollouts = grouped_rollouts();
  PackedRollouts packed = pack_rollouts(pointers(rollouts), at::kCPU, true);
  ASSERT_TRUE(packed.shared.has_value());
  EXPECT_EQ(packed.shared->batch.prefix_ids.sizes(), (std::vector<int64_t>{3, 6}));
  EXPECT_TRUE(at::equal(packed.shared->batch.prefix_lengths, at::tensor({4, 1, 6}, at::kLong)));
  EXPECT_TRUE(at::equal(packed.shared->batch.row_prefix, at::tensor({0, 1, 0, 2, 1, 0, 1}, at::kLong)));
  // Row 2 (prompt 0, completion of 2): suffix = last prompt token, first completion token.
  EXPECT_EQ(packed.shared->batch.suffix_ids[2][0].item<int64_t>(), 7);
  EXPECT_EQ(packed.shared->batch.suffix_ids[2][1].item<int64_t>(), rollouts[2].completion[0]);
  EXPECT_EQ(packed.shared->targets[2][1].item<int64_t>(), rollouts[2].completion[1]);
  EXPECT_EQ(packed.shared->predicts.sum().item<int64_t>(), packed.completion_mask.sum().item<int64_t>());

  EXPECT_FALSE(pack_rollouts(pointers(rollouts), at::kCPU, false).shared.has_value());
  std::vector<Rollout> distinct = {rollouts[0], rollouts[1], rollouts[3]};
  EXPECT_FALSE(pack_rollouts(pointers(distinct), at::kCPU, true).shared.has_value()) << "no prompt is shared";
  std::vector<Rollout> one_token = rollouts;
  one_token[6].prompt = {2};
  EXPECT_FALSE(pack_rollouts(pointers(one_token), at::kCPU, true).shared.has_value()) << "a one-token prompt has no prefix";
}

TEST(SharedPrompts, LogProbsAndGradientsEqualTheWholeRows) {
  for (const std::string family : {"llama", "qwen2", "qwen3"}) {
    std::vector<Rollout> rollouts = grouped_rollouts();
    auto run = [&](bool share) {
      CausalLM model = tiny_model(family);
      PackedRollouts packed = pack_rollouts(pointers(rollouts), at::kCPU, share);
      EXPECT_EQ(packed.shared.has_value(), share);
      at::Tensor logprobs = completion_logprobs(*model, packed, 0.7);
      // Weight tokens differently so that every position's gradient counts.
      (logprobs * at::arange(1, logprobs.numel() + 1, at::kFloat).view(logprobs.sizes()).sin()).sum().backward();
      std::vector<at::Tensor> grads;
      for (const auto& p : model->parameters()) grads.push_back(p.grad().clone());
      return std::make_pair(logprobs.detach(), grads);
    };
    auto [whole, whole_grads] = run(false);
    auto [shared, shared_grads] = run(true);
    EXPECT_LT((whole - shared).abs().max().item<double>(), 1e-5) << family;
    EXPECT_GT(whole.abs().sum().item<double>(), 1.0) << family;
    ASSERT_EQ(whole_grads.size(), shared_grads.size());
    for (size_t i = 0; i < whole_grads.size(); ++i) {
      const double scale = whole_grads[i].abs().max().item<double>();
      EXPECT_GT(scale, 0.0) << family << " parameter " << i;
      EXPECT_LT((whole_grads[i] - shared_grads[i]).abs().max().item<double>(), 1e-5 * std::max(1.0, scale))
          << family << " parameter " << i;
    }
  }
}

TEST(SharedPrompts, TrainerStepsEqualWithAndWithoutSharing) {
  std::vector<Rollout> rollouts = grouped_rollouts();
  for (Rollout& r : rollouts) r.group = 0;  // one RLOO group: the prompts' groups differ in size
  CausalLM shared = tiny_model("llama"), whole = tiny_model("llama"), reference = tiny_model("llama");
  TrainerConfig config{.learning_rate = 1e-2, .micro_batch_size = 4, .kl_coef = 0.1};
  config.share_prompts = false;
  PolicyTrainer whole_trainer(*whole, config, reference.get());
  config.share_prompts = true;
  PolicyTrainer shared_trainer(*shared, config, reference.get());
  for (int step = 0; step < 3; ++step) {
    TrainStats a = whole_trainer.step(rollouts), b = shared_trainer.step(rollouts);
    EXPECT_NEAR(a.loss, b.loss, 1e-5) << step;
    EXPECT_NEAR(a.kl, b.kl, 1e-6) << step;
    EXPECT_NEAR(a.grad_norm, b.grad_norm, 1e-5 * a.grad_norm) << step;
  }
  auto theirs = whole->named_parameters();
  double moved = 0;
  for (const auto& item : shared->named_parameters()) {
    EXPECT_LT((item.value() - theirs[item.key()]).abs().max().item<double>(), 1e-5) << item.key();
    moved = std::max(moved, (item.value() - reference->named_parameters()[item.key()]).abs().max().item<double>());
  }
  EXPECT_GT(moved, 1e-2);
}

TEST(SharedPrompts, MalformedBatchesAreRefusedByField) {
  CausalLM model = tiny_model("llama");
  at::NoGradGuard no_grad;
  const SharedPrefixBatch good{at::ones({2, 3}, at::kLong), at::tensor({3, 2}, at::kLong), at::tensor({0, 1, 1}, at::kLong),
                               at::ones({3, 2}, at::kLong)};
  EXPECT_NO_THROW(model->hidden_states_shared_prefix(good));
  auto refused = [&](SharedPrefixBatch batch, const std::string& field) {
    try {
      model->hidden_states_shared_prefix(batch);
      ADD_FAILURE() << "accepted a bad " << field;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  SharedPrefixBatch bad = good;
  bad.prefix_lengths = at::tensor({4, 2}, at::kLong);
  refused(bad, "prefix_lengths");
  bad = good;
  bad.prefix_lengths = at::tensor({0, 2}, at::kLong);
  refused(bad, "prefix_lengths");
  bad = good;
  bad.row_prefix = at::tensor({0, 2, 1}, at::kLong);
  refused(bad, "row_prefix");
  bad = good;
  bad.row_prefix = at::tensor({0, 1}, at::kLong);
  refused(bad, "row_prefix");
  bad = good;
  bad.suffix_ids = at::ones({3, 2}, at::kInt);
  refused(bad, "suffix_ids");
}

}  // namespace
}  // namespace soar
