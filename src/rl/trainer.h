// One RL optimisation step from scored rollouts: advantages per prompt group, the policy-gradient
// loss over micro-batches with gradient accumulation, gradient clipping, AdamW with warm-up and
// cosine learning-rate schedule; optional PPO epochs and a KL penalty to a frozen reference.
#pragma once

#include <torch/optim/adamw.h>
#include <torch/serialize/archive.h>

#include <memory>
#include <optional>
#include <vector>

#include "distributed/group.h"
#include "model/causal_lm.h"
#include "rl/advantages.h"
#include "rl/policy_loss.h"
#include "rl/rollout.h"

namespace soar {

struct TrainerConfig {
  double learning_rate = 1e-5;
  double weight_decay = 0.0;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.99;
  double adam_eps = 1e-8;
  double max_grad_norm = 1.0;   // <= 0: no clipping
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;      // cosine decay to min_lr_ratio over total_steps; 0 = constant
  double min_lr_ratio = 0.1;
  int64_t micro_batch_size = 16;
  // Rows of a micro-batch with the same prompt (an RL group's samples) compute that prompt once
  // (model/shared_prefix.h): the same log-probs and gradients up to float summation order, for
  // fewer tokens. false = every row whole, as before.
  bool share_prompts = true;
  int64_t ppo_epochs = 1;       // > 1: several optimiser steps on the same rollouts (clipped ratio)
  double clip_epsilon = 0.2;
  double kl_coef = 0.0;         // needs a reference model
  double temperature = 1.0;     // the sampling temperature the log-probs are taken at
  AdvantageEstimator estimator = AdvantageEstimator::RLOO;
  LossAggregation aggregation = LossAggregation::SequenceSum;
  int64_t max_completion_length = 0;  // for LossAggregation::Constant
  // ATen's fused multi-tensor AdamW kernel (one pass over weights, gradients and moments) instead of
  // torch::optim::AdamW's per-parameter loop of ~10 kernels; unset = fused on a GPU. The CPU keeps
  // the loop by default so that recorded CPU runs reproduce bit for bit.
  std::optional<bool> fused_adamw;
  // A bf16 policy on a GPU with fused AdamW: one kernel per parameter reads the bf16 gradient and
  // writes master, moments and bf16 weight (rl/master_adamw.h); false = stage float32 gradients
  // and call ATen's fused AdamW, then copy back. Unset = the single kernel (CUDA builds).
  std::optional<bool> single_kernel_master_update;
};

struct TrainStats {
  double loss = 0;
  double mean_reward = 0;
  double grad_norm = 0;
  double learning_rate = 0;
  double kl = 0;              // mean per token
  double clip_fraction = 0;
  double mean_advantage_abs = 0;
  int64_t tokens = 0;         // completion tokens trained on
  std::vector<double> advantages;  // of this process's rollouts, in the order step() received them
};

// How one step's rollouts are spread over processes. The step is cut into `total_chunks` fixed
// chunks (by the caller, independently of the world size); this process holds the chunks
// dist::chunk_range(total_chunks, rank, world) and each rollout names its chunk. Gradients and
// statistics are summed per chunk and combined with Group::tree_sum, so the update is the same
// bits at every world size where dist::tree_is_exact holds. Micro-batches never cross chunks.
struct StepLayout {
  int64_t total_chunks = 1;
  dist::Group* group = nullptr;  // nullptr: this process alone
  // One advantage per rollout, computed by the caller when a group of samples spans processes
  // (SOAR's teacher: one group of g datasets); empty: from the rollouts' groups.
  std::vector<double> advantages;
};

// The trainer recomputes the rollouts' log-probs at TrainerConfig::temperature; at another
// temperature than the sampler's (1 for greedy draws) the PPO ratio would not start at 1 and every
// update would be silently wrong. Throws soar::Error naming `who` when the two differ.
void require_same_temperature(const TrainerConfig& trainer, double sampling_temperature, const char* who);

class PolicyTrainer {
 public:
  PolicyTrainer(CausalLMImpl& policy, TrainerConfig config, CausalLMImpl* reference = nullptr);

  // Rollouts of the same group must be k samples of one prompt; every group must have the same k.
  // With a layout of several processes, every process calls step() with its own chunks' rollouts
  // (a chunk, or a whole process, may have none) and all of them take the same optimizer step.
  TrainStats step(const std::vector<Rollout>& rollouts, const StepLayout& layout = {});

  double learning_rate_at(int64_t step) const;
  int64_t steps_done() const { return steps_done_; }
  // After restoring the optimizer from a checkpoint: the schedule continues from this step.
  void set_steps_done(int64_t steps) { steps_done_ = steps; }
  // The optimizer over the float32 master weights (the policy's own parameters when it is float32).
  torch::optim::AdamW& optimizer() { return *optimizer_; }
  const TrainerConfig& config() const { return config_; }
  bool fused_adamw() const { return fused_; }
  // The float32 copy the optimizer updates when the policy is in a lower precision (empty when
  // float32). A bf16 policy cannot take small updates itself: at lr 1e-6 an Adam step changes a
  // weight by ~1e-6 relative, far below bf16's 2^-8 spacing, so it would round away. The policy's
  // weights are rounded from the master after every step.
  const std::vector<at::Tensor>& master_weights() const { return master_; }
  // Call after overwriting the policy's weights outside step(): the master copy is re-read from them.
  void policy_weights_changed();
  // The optimizer's state plus, in low precision, the master weights (torch::save's format for the
  // optimizer, so archives of either kind load into either). A load without master weights
  // re-reads them from the policy, whose weights must already be restored.
  void save_state(torch::serialize::OutputArchive& archive);
  void load_state(torch::serialize::InputArchive& archive);

 private:
  // Clips the gradients to max_grad_norm and takes the AdamW step at `lr`; returns the norm before clipping.
  double apply_update(double lr);
  // The update of the parameters `with_grad` (indices) with gradients scaled by `clip` (device scalar):
  // the single CUDA kernel for a bf16 policy's master weights (CUDA builds), or through the optimizer's tensors
  // (ATen's fused kernel on staged float32 gradients, or torch::optim::AdamW's loop).
  void update_with_master_kernel(const std::vector<size_t>& with_grad, const at::Tensor& clip, double lr);
  void update_with_optimizer(const std::vector<size_t>& with_grad, const at::Tensor& clip, double lr);

  CausalLMImpl& policy_;
  CausalLMImpl* reference_;
  TrainerConfig config_;
  std::vector<at::Tensor> parameters_;  // the policy's
  std::vector<at::Tensor> master_;      // float32 copies, or empty
  bool fused_ = false;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t steps_done_ = 0;
};

}  // namespace soar
