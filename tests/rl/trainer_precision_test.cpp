// The trainer's GPU-oriented paths, checked on the CPU where CI runs them: the fused AdamW kernel
// against torch::optim::AdamW, float32 master weights under a bf16 policy, their checkpoint round
// trip, activation checkpointing, and the unmasked causal forward that training uses.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/serialize.h>

#include <set>
#include <sstream>

#include "rl/logprobs.h"
#include "rl/trainer.h"

namespace soar {
namespace {

ModelConfig tiny_config() {
  ModelConfig config;
  config.vocab_size = 32, config.hidden_size = 32, config.intermediate_size = 64, config.num_hidden_layers = 2;
  config.num_attention_heads = 4, config.num_key_value_heads = 2, config.head_dim = 8, config.max_position_embeddings = 32;
  return config;
}

CausalLM tiny_model(at::ScalarType dtype = at::kFloat) {
  CausalLM model(tiny_config());
  model->initialize_weights(5);
  model->to(dtype);
  return model;
}

// Two groups of four rollouts with prompts and completions of different lengths (padding inside
// every micro-batch) and rewards that give non-zero advantages.
std::vector<Rollout> rollouts_for_step(int step) {
  std::vector<Rollout> out;
  for (int64_t group = 0; group < 2; ++group) {
    for (int i = 0; i < 4; ++i) {
      std::vector<int32_t> prompt = {1, static_cast<int32_t>(4 + group)};
      if (i % 2 == 1) prompt.push_back(7);
      std::vector<int32_t> completion;
      for (int t = 0; t < 2 + (i + step) % 3; ++t) completion.push_back(static_cast<int32_t>(3 + (5 * i + 7 * t + step) % 28));
      out.push_back({prompt, completion, {}, (i + step + group) % 3 == 0 ? 1.0 : 0.0, group});
    }
  }
  return out;
}

double max_difference(CausalLMImpl& a, CausalLMImpl& b) {
  double worst = 0;
  auto theirs = b.named_parameters();
  for (const auto& item : a.named_parameters()) {
    worst = std::max(worst, (item.value().to(at::kDouble) - theirs[item.key()].to(at::kDouble)).abs().max().item<double>());
  }
  return worst;
}

TEST(TrainerPrecision, FusedAdamWMatchesTorchOptimAdamW) {
  CausalLM plain = tiny_model(), fused = tiny_model();
  TrainerConfig config{.learning_rate = 1e-2, .weight_decay = 0.1, .max_grad_norm = 0.5, .micro_batch_size = 3};
  config.fused_adamw = false;
  PolicyTrainer plain_trainer(*plain, config);
  config.fused_adamw = true;
  PolicyTrainer fused_trainer(*fused, config);
  ASSERT_FALSE(plain_trainer.fused_adamw());
  ASSERT_TRUE(fused_trainer.fused_adamw());
  CausalLM start = tiny_model();
  for (int step = 0; step < 4; ++step) {
    TrainStats a = plain_trainer.step(rollouts_for_step(step));
    TrainStats b = fused_trainer.step(rollouts_for_step(step));
    EXPECT_NEAR(a.grad_norm, b.grad_norm, 1e-5 * a.grad_norm) << "step " << step;
    EXPECT_NEAR(a.loss, b.loss, 1e-5) << "step " << step;
  }
  // Four steps at lr 1e-2 move weights by ~4e-2; both paths must agree far below that.
  EXPECT_GT(max_difference(*plain, *start), 1e-2);
  EXPECT_LT(max_difference(*plain, *fused), 1e-5);
  // Both keep their moments in the same optimizer state, step counts included.
  const auto& plain_state = plain_trainer.optimizer().state();
  const auto& fused_state = fused_trainer.optimizer().state();
  ASSERT_EQ(plain_state.size(), fused_state.size());
  for (const auto& [key, state] : fused_state) {
    EXPECT_EQ(static_cast<const torch::optim::AdamWParamState&>(*state).step(), 4);
  }
}

TEST(TrainerPrecision, Bf16PolicyIsUpdatedThroughFloat32MasterWeights) {
  CausalLM policy = tiny_model(at::kBFloat16);
  CausalLM reference = tiny_model(at::kFloat);  // the same initial values, in float32
  const double lr = 1e-5;  // an Adam step moves each weight by ~lr: far below bf16's spacing near 0.02 (~1e-4)
  for (bool fused : {false, true}) {
    CausalLM bf16 = copy_of(*policy);
    TrainerConfig config{.learning_rate = lr, .micro_batch_size = 8};
    config.fused_adamw = fused;
    PolicyTrainer trainer(*bf16, config);
    ASSERT_EQ(trainer.master_weights().size(), bf16->parameters().size());
    std::vector<at::Tensor> before;
    for (const auto& m : trainer.master_weights()) before.push_back(m.clone());
    trainer.step(rollouts_for_step(0));
    double largest_move = 0;
    int64_t moved = 0, lost_in_bf16 = 0, total = 0;
    auto parameters = bf16->parameters();
    auto initial = policy->parameters();
    for (size_t i = 0; i < parameters.size(); ++i) {
      const at::Tensor& master = trainer.master_weights()[i];
      ASSERT_EQ(master.scalar_type(), at::kFloat);
      // The policy holds the master rounded to bf16, bit for bit.
      EXPECT_TRUE(at::equal(parameters[i], master.to(at::kBFloat16))) << "parameter " << i << ", fused " << fused;
      at::Tensor move = master - before[i];
      largest_move = std::max(largest_move, move.abs().max().item<double>());
      at::Tensor has_moved = move.abs() > 0.5 * lr;
      moved += has_moved.sum().item<int64_t>();
      // The same move applied to the bf16 weight itself (what an update without a master does).
      at::Tensor naive = initial[i] + move.to(at::kBFloat16);
      lost_in_bf16 += (has_moved & (naive == initial[i])).sum().item<int64_t>();
      total += move.numel();
    }
    // The first Adam step moves every weight with a gradient by ~lr (bias-corrected m / sqrt(v)).
    EXPECT_LT(largest_move, 1.5 * lr) << "fused " << fused;
    EXPECT_GT(static_cast<double>(moved) / static_cast<double>(total), 0.5) << "fused " << fused;
    // Without the master copy, nearly all of those moves would have rounded away in bf16.
    EXPECT_GT(static_cast<double>(lost_in_bf16) / static_cast<double>(moved), 0.8) << "fused " << fused;
  }
  // The master tracks float32 training: the first Adam step is ~lr * sign(gradient), and the bf16
  // forward's gradients agree in sign with float32's almost everywhere.
  TrainerConfig config{.learning_rate = lr, .micro_batch_size = 8};
  CausalLM bf16 = copy_of(*policy);
  PolicyTrainer bf16_trainer(*bf16, config);
  PolicyTrainer fp32_trainer(*reference, config);
  std::vector<at::Tensor> master_before, fp32_before;
  for (const auto& m : bf16_trainer.master_weights()) master_before.push_back(m.clone());
  for (const auto& p : reference->parameters()) fp32_before.push_back(p.detach().clone());
  bf16_trainer.step(rollouts_for_step(0));
  fp32_trainer.step(rollouts_for_step(0));
  auto fp32_parameters = reference->parameters();
  int64_t agree = 0, total = 0;
  for (size_t i = 0; i < fp32_parameters.size(); ++i) {
    // Moves, not values: the bf16 policy started from the float32 values rounded to bf16.
    at::Tensor master_move = bf16_trainer.master_weights()[i] - master_before[i];
    at::Tensor fp32_move = fp32_parameters[i].detach() - fp32_before[i];
    at::Tensor gap = (master_move - fp32_move).abs();
    agree += (gap < 0.2 * lr).sum().item<int64_t>();
    total += gap.numel();
  }
  EXPECT_GT(static_cast<double>(agree) / static_cast<double>(total), 0.9);
}

std::string saved_state(PolicyTrainer& trainer) {
  torch::serialize::OutputArchive archive;
  trainer.save_state(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  return bytes.str();
}

void load_saved_state(PolicyTrainer& trainer, const std::string& bytes) {
  torch::serialize::InputArchive archive;
  std::istringstream in(bytes);
  archive.load_from(in);
  trainer.load_state(archive);
}

TEST(TrainerPrecision, MasterWeightsSurviveACheckpointRoundTrip) {
  CausalLM policy = tiny_model(at::kBFloat16);
  TrainerConfig config{.learning_rate = 1e-4, .micro_batch_size = 8};
  PolicyTrainer trainer(*policy, config);
  trainer.step(rollouts_for_step(0));
  const std::string archive_bytes = saved_state(trainer);
  CausalLM resumed = copy_of(*policy);
  PolicyTrainer resumed_trainer(*resumed, config);
  load_saved_state(resumed_trainer, archive_bytes);
  resumed_trainer.set_steps_done(trainer.steps_done());
  for (size_t i = 0; i < trainer.master_weights().size(); ++i) {
    // Bit-exact, including the bits below bf16 precision that the policy's weights do not hold.
    EXPECT_TRUE(at::equal(trainer.master_weights()[i], resumed_trainer.master_weights()[i])) << i;
  }
  trainer.step(rollouts_for_step(1));
  resumed_trainer.step(rollouts_for_step(1));
  EXPECT_EQ(max_difference(*policy, *resumed), 0.0);
  for (size_t i = 0; i < trainer.master_weights().size(); ++i) {
    EXPECT_TRUE(at::equal(trainer.master_weights()[i], resumed_trainer.master_weights()[i])) << i;
  }

  // An archive without master weights (a float32 run's) re-reads the master from the policy.
  CausalLM fp32 = tiny_model();
  PolicyTrainer fp32_trainer(*fp32, config);
  fp32_trainer.step(rollouts_for_step(0));
  const std::string fp32_bytes = saved_state(fp32_trainer);
  CausalLM from_fp32 = tiny_model(at::kBFloat16);
  from_fp32->copy_parameters_from(*fp32);
  PolicyTrainer from_fp32_trainer(*from_fp32, config);
  load_saved_state(from_fp32_trainer, fp32_bytes);
  auto parameters = from_fp32->parameters();
  for (size_t i = 0; i < parameters.size(); ++i) {
    EXPECT_TRUE(at::equal(from_fp32_trainer.master_weights()[i], parameters[i].to(at::kFloat))) << i;
  }
}

// Nodes of the autograd graph behind `output` (what backward will run, and what it keeps alive).
size_t graph_nodes(const at::Tensor& output) {
  std::set<torch::autograd::Node*> seen;
  std::vector<torch::autograd::Node*> pending = {output.grad_fn().get()};
  while (!pending.empty()) {
    torch::autograd::Node* node = pending.back();
    pending.pop_back();
    if (node == nullptr || !seen.insert(node).second) continue;
    for (const auto& edge : node->next_edges()) pending.push_back(edge.function.get());
  }
  return seen.size();
}

TEST(TrainerPrecision, ActivationCheckpointingGivesTheSameGradients) {
  std::vector<size_t> nodes;
  auto gradients = [&](bool checkpointing) {
    CausalLM model = tiny_model();
    model->set_activation_checkpointing(checkpointing);
    std::vector<Rollout> rollouts = rollouts_for_step(0);
    std::vector<const Rollout*> pointers;
    for (const Rollout& r : rollouts) pointers.push_back(&r);
    PackedRollouts packed = pack_rollouts(pointers, at::kCPU);
    at::Tensor loss = completion_logprobs(*model, packed, 1.0).sum();
    nodes.push_back(graph_nodes(loss));
    loss.backward();
    std::vector<at::Tensor> grads;
    for (const auto& p : model->parameters()) grads.push_back(p.grad().clone());
    return grads;
  };
  std::vector<at::Tensor> plain = gradients(false), checkpointed = gradients(true);
  // The layers' insides are not in the checkpointed graph: one node per layer stands for them.
  EXPECT_LT(nodes[1] * 2, nodes[0]) << "graph nodes: " << nodes[0] << " plain, " << nodes[1] << " checkpointed";
  ASSERT_EQ(plain.size(), checkpointed.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_GT(plain[i].abs().max().item<double>(), 0.0) << i;
    EXPECT_LT((plain[i] - checkpointed[i]).abs().max().item<double>(), 1e-6) << i;
  }
}

TEST(TrainerPrecision, UnmaskedCausalForwardEqualsTheMaskedOne) {
  CausalLM model = tiny_model();
  at::NoGradGuard no_grad;
  // Row 0 is 6 real tokens; row 1 is 4 real tokens padded on the right.
  at::Tensor ids = at::tensor({1, 5, 9, 3, 7, 2, 1, 6, 8, 4, 0, 0}, at::kLong).view({2, 6});
  at::Tensor mask = at::tensor({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, at::kLong).view({2, 6});
  at::Tensor fast = model->hidden_states(ids);
  at::Tensor masked = model->hidden_states(ids, mask);
  EXPECT_LT((fast - masked).narrow(1, 0, 4).abs().max().item<double>(), 1e-5);
  EXPECT_LT((fast[0] - masked[0]).abs().max().item<double>(), 1e-5);
  // And the padded row equals that row alone.
  at::Tensor alone = model->hidden_states(ids.narrow(0, 1, 1).narrow(1, 0, 4));
  EXPECT_LT((fast.narrow(0, 1, 1).narrow(1, 0, 4) - alone).abs().max().item<double>(), 1e-5);
}

TEST(TrainerPrecision, StackedProjectionsComputeTheSameAndFollowTraining) {
  // qkv biases too (the Qwen2 layout), so both stacked weights and stacked biases are exercised.
  ModelConfig config = tiny_config();
  config.qkv_bias = true;
  CausalLM model(config);
  model->initialize_weights(5);
  {
    at::NoGradGuard no_grad;
    for (auto& p : model->parameters()) if (p.dim() == 1) p.normal_(0.0, 0.1);  // non-zero biases
  }
  CausalLM separate = copy_of(*model);
  at::Tensor ids = at::tensor({1, 5, 9, 3, 7, 2, 1, 6}, at::kLong).view({2, 4});
  auto forward = [&](CausalLMImpl& m) {
    at::NoGradGuard no_grad;
    return m.forward(ids);
  };
  EXPECT_TRUE(model->stack_projections());
  EXPECT_FALSE(model->stack_projections());  // already stacked
  EXPECT_LT((forward(*model) - forward(*separate)).abs().max().item<double>(), 1e-5);
  // The parameters kept their names and values and now share one tensor per group.
  auto* attention = model->model->layers->ptr<DecoderLayerImpl>(0)->self_attn.get();
  EXPECT_EQ(static_cast<const char*>(attention->k_proj->weight.data_ptr()),
            static_cast<const char*>(attention->q_proj->weight.data_ptr()) + attention->q_proj->weight.nbytes());
  EXPECT_EQ(max_difference(*model, *separate), 0.0);
  // Training (separate gradients per parameter) updates the stacked storage in place, so the
  // stacked no-grad forward follows the trained weights.
  TrainerConfig trainer_config{.learning_rate = 1e-2, .micro_batch_size = 8};
  PolicyTrainer trainer(*model, trainer_config), separate_trainer(*separate, trainer_config);
  trainer.step(rollouts_for_step(0));
  separate_trainer.step(rollouts_for_step(0));
  EXPECT_FALSE(model->stack_projections());  // still stacked after the optimizer step
  EXPECT_LT(max_difference(*model, *separate), 1e-6);
  EXPECT_LT((forward(*model) - forward(*separate)).abs().max().item<double>(), 1e-5);
  // Moving the model unstacks it; stacking again is noticed.
  model->to(at::kDouble);
  EXPECT_TRUE(model->stack_projections());
}

}  // namespace
}  // namespace soar
