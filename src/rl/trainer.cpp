#include "rl/trainer.h"

#include <torch/nn/utils/clip_grad.h>

#include <ATen/ops/_fused_adamw.h>

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>

#include "core/error.h"
#include "distributed/tree_sum.h"
#include "rl/logprobs.h"
#ifdef SOAR_CUDA
#include <c10/cuda/CUDAStream.h>

#include "rl/master_adamw.h"
#endif

namespace soar {
namespace {

// Advantages of every rollout, computed per group ([G, k] rewards).
std::vector<double> group_advantages(const std::vector<Rollout>& rollouts, AdvantageEstimator estimator) {
  std::map<int64_t, std::vector<size_t>> groups;
  for (size_t i = 0; i < rollouts.size(); ++i) groups[rollouts[i].group].push_back(i);
  const size_t k = groups.begin()->second.size();
  at::Tensor rewards = at::zeros({static_cast<int64_t>(groups.size()), static_cast<int64_t>(k)}, at::kDouble);
  int64_t g = 0;
  for (const auto& [id, members] : groups) {
    if (members.size() != k) fail("every prompt group needs the same number of samples: group ", id, " has ", members.size(), ", expected ", k);
    for (size_t j = 0; j < k; ++j) rewards[g][static_cast<int64_t>(j)] = rollouts[members[j]].reward;
    ++g;
  }
  at::Tensor advantages = compute_advantages(rewards, estimator);
  std::vector<double> out(rollouts.size());
  g = 0;
  for (const auto& [id, members] : groups) {
    for (size_t j = 0; j < k; ++j) out[members[j]] = advantages[g][static_cast<int64_t>(j)].item<double>();
    ++g;
  }
  return out;
}

// [N, L - 1] tensor holding each rollout's sampler log-probs at its completion positions.
at::Tensor sampler_logprobs(const std::vector<const Rollout*>& rollouts, const PackedRollouts& batch) {
  at::Tensor out = at::zeros(batch.completion_mask.sizes(), at::kFloat);
  auto values = out.accessor<float, 2>();
  for (size_t row = 0; row < rollouts.size(); ++row) {
    const Rollout& r = *rollouts[row];
    for (size_t j = 0; j < r.completion.size(); ++j) values[row][r.prompt.size() - 1 + j] = r.sampler_logprobs[j];
  }
  return out.to(batch.completion_mask.device());
}

}  // namespace

void require_same_temperature(const TrainerConfig& trainer, double sampling_temperature, const char* who) {
  const double sampled_at = sampling_temperature == 0 ? 1.0 : sampling_temperature;
  if (trainer.temperature != sampled_at) {
    fail(who, " samples at temperature ", sampling_temperature, " but its trainer takes log-probs at ", trainer.temperature,
         ": the two must be the same");
  }
}

PolicyTrainer::PolicyTrainer(CausalLMImpl& policy, TrainerConfig config, CausalLMImpl* reference)
    : policy_(policy), reference_(reference), config_(config) {
  if (config_.kl_coef > 0 && reference_ == nullptr) fail("kl_coef > 0 needs a reference model");
  if (config_.micro_batch_size <= 0) fail("micro_batch_size must be positive");
  if (config_.ppo_epochs <= 0) fail("ppo_epochs must be positive");
  auto options = torch::optim::AdamWOptions(config_.learning_rate)
                     .betas({config_.adam_beta1, config_.adam_beta2})
                     .eps(config_.adam_eps)
                     .weight_decay(config_.weight_decay);
  parameters_ = policy_.parameters();
  fused_ = config_.fused_adamw.value_or(policy_.device().is_cuda());
  if (policy_.dtype() != at::kFloat) {
    for (const at::Tensor& p : parameters_) master_.push_back(p.detach().to(at::kFloat, /*non_blocking=*/false, /*copy=*/true));
  }
  optimizer_ = std::make_unique<torch::optim::AdamW>(master_.empty() ? parameters_ : master_, options);
}

void PolicyTrainer::policy_weights_changed() {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < master_.size(); ++i) master_[i].copy_(parameters_[i]);
}

void PolicyTrainer::save_state(torch::serialize::OutputArchive& archive) {
  optimizer_->save(archive);
  for (size_t i = 0; i < master_.size(); ++i) archive.write("master_weights/" + std::to_string(i), master_[i]);
}

void PolicyTrainer::load_state(torch::serialize::InputArchive& archive) {
  optimizer_->load(archive);
  if (master_.empty()) return;
  at::Tensor saved;
  if (!archive.try_read("master_weights/0", saved)) {
    policy_weights_changed();
    return;
  }
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < master_.size(); ++i) {
    if (!archive.try_read("master_weights/" + std::to_string(i), saved) || !saved.sizes().equals(master_[i].sizes())) {
      fail("optimizer state: master weight ", i, " is missing or has the wrong shape");
    }
    master_[i].copy_(saved);
  }
}

namespace {

// The optimizer's state for `p`, created as torch::optim::AdamW creates it, so that checkpoints
// written by either path load into the other.
torch::optim::AdamWParamState& adamw_state(torch::optim::AdamW& optimizer, const at::Tensor& p) {
  auto& states = optimizer.state();
  auto found = states.find(p.unsafeGetTensorImpl());
  if (found == states.end()) {
    auto state = std::make_unique<torch::optim::AdamWParamState>();
    state->step(0);
    state->exp_avg(at::zeros_like(p, at::MemoryFormat::Preserve));
    state->exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
    found = states.emplace(p.unsafeGetTensorImpl(), std::move(state)).first;
  }
  return static_cast<torch::optim::AdamWParamState&>(*found->second);
}

// Float32 staging of low-precision gradients is done in buckets of this many elements, so the
// update needs 256 MB of extra memory rather than a float32 copy of every gradient at once.
constexpr int64_t kUpdateBucketElements = int64_t(1) << 26;

}  // namespace

double PolicyTrainer::apply_update(double lr) {
  const double max_norm = config_.max_grad_norm > 0 ? config_.max_grad_norm : std::numeric_limits<double>::infinity();
  if (master_.empty() && !fused_) {  // the plain path: torch::optim::AdamW on the policy's own float32 weights
    const double norm = torch::nn::utils::clip_grad_norm_(parameters_, max_norm);
    optimizer_->step();
    return norm;
  }
  at::NoGradGuard no_grad;
  // Parameters without a gradient are skipped, as torch::optim::AdamW skips them.
  std::vector<size_t> with_grad;
  std::vector<at::Tensor> norms;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (!parameters_[i].grad().defined()) continue;
    with_grad.push_back(i);
    norms.push_back(at::linalg_vector_norm(parameters_[i].grad(), 2, std::nullopt, false, at::kFloat));
  }
  if (with_grad.empty()) return 0.0;
  // The global norm and clip factor stay on the device: no host synchronisation before the update.
  at::Tensor total_norm = at::linalg_vector_norm(at::stack(norms), 2);
  at::Tensor clip = (max_norm / (total_norm + 1e-6)).clamp_max(1.0);
#ifdef SOAR_CUDA
  if (fused_ && !master_.empty() && policy_.device().is_cuda() && policy_.dtype() == at::kBFloat16 &&
      config_.single_kernel_master_update.value_or(true)) {
    update_with_master_kernel(with_grad, clip, lr);
    return total_norm.item<double>();
  }
#endif
  update_with_optimizer(with_grad, clip, lr);
  return total_norm.item<double>();
}

#ifdef SOAR_CUDA
void PolicyTrainer::update_with_master_kernel(const std::vector<size_t>& with_grad, const at::Tensor& clip, double lr) {
  const auto& options = static_cast<const torch::optim::AdamWOptions&>(optimizer_->param_groups().front().options());
  const auto [beta1, beta2] = options.betas();
  const at::Tensor inverse_clip = clip.reciprocal().reshape({1});
  const int64_t step = adamw_state(*optimizer_, master_[with_grad[0]]).step() + 1;
  const MasterAdamWStep args{static_cast<float>(lr), static_cast<float>(beta1), static_cast<float>(beta2),
                             static_cast<float>(options.eps()), static_cast<float>(options.weight_decay()),
                             static_cast<float>(1.0 - std::pow(beta1, static_cast<double>(step))),
                             static_cast<float>(std::sqrt(1.0 - std::pow(beta2, static_cast<double>(step)))),
                             inverse_clip.data_ptr<float>()};
  void* stream = c10::cuda::getCurrentCUDAStream().stream();
  for (size_t i : with_grad) {
    auto& state = adamw_state(*optimizer_, master_[i]);
    const at::Tensor grad = parameters_[i].grad().contiguous();
    if (!parameters_[i].is_contiguous()) fail("parameter ", i, " is not contiguous");
    launch_master_adamw(grad.data_ptr(), master_[i].data_ptr<float>(), state.exp_avg().data_ptr<float>(),
                        state.exp_avg_sq().data_ptr<float>(), parameters_[i].data_ptr(), parameters_[i].numel(), args, stream);
    state.step(step);
  }
}
#endif

void PolicyTrainer::update_with_optimizer(const std::vector<size_t>& with_grad, const at::Tensor& clip, double lr) {
  const auto& options = static_cast<const torch::optim::AdamWOptions&>(optimizer_->param_groups().front().options());
  const auto [beta1, beta2] = options.betas();
  const at::Tensor inverse_clip = clip.reciprocal().reshape({1});
  const int64_t step = fused_ ? adamw_state(*optimizer_, master_.empty() ? parameters_[with_grad[0]] : master_[with_grad[0]]).step() + 1 : 0;
  const at::Tensor step_count = at::full({}, static_cast<double>(step), parameters_[0].options().dtype(at::kFloat));

  for (size_t begin = 0; begin < with_grad.size();) {
    std::vector<at::Tensor> targets, grads, exp_avgs, exp_avg_sqs, steps;
    int64_t elements = 0;
    size_t end = begin;
    for (; end < with_grad.size() && (end == begin || elements + parameters_[with_grad[end]].numel() <= kUpdateBucketElements); ++end) {
      const size_t i = with_grad[end];
      elements += parameters_[i].numel();
      targets.push_back(master_.empty() ? parameters_[i] : master_[i]);
      // Float32 gradients for the update; the fused kernel applies the clip factor itself.
      at::Tensor grad = master_.empty() ? parameters_[i].grad() : parameters_[i].grad().to(at::kFloat);
      grads.push_back(fused_ ? grad : grad.mul_(clip));
      if (fused_) {
        auto& state = adamw_state(*optimizer_, targets.back());
        exp_avgs.push_back(state.exp_avg());
        exp_avg_sqs.push_back(state.exp_avg_sq());
        steps.push_back(step_count);  // read-only in the kernel: one tensor serves every parameter
        state.step(step);
      }
    }
    if (fused_) {
      // grad_scale divides each gradient as the kernel reads it (AMP's unscaling): 1 / clip applies
      // the clipping without a separate pass over the gradients.
      at::_fused_adamw_(targets, grads, exp_avgs, exp_avg_sqs, {}, steps, lr, beta1, beta2, options.weight_decay(),
                        options.eps(), /*amsgrad=*/false, /*maximize=*/false, inverse_clip);
      if (!master_.empty()) {
        for (size_t k = begin; k < end; ++k) parameters_[with_grad[k]].copy_(master_[with_grad[k]]);
      }
    } else {
      for (size_t k = 0; k < targets.size(); ++k) targets[k].mutable_grad() = grads[k];
    }
    begin = end;
  }
  if (!fused_) {  // a master copy on the unfused path (low precision on the CPU)
    optimizer_->step();
    for (size_t i : with_grad) {
      parameters_[i].copy_(master_[i]);
      master_[i].mutable_grad() = at::Tensor();
    }
  }
}

double PolicyTrainer::learning_rate_at(int64_t step) const {
  const double base = config_.learning_rate;
  if (step < config_.warmup_steps) return base * static_cast<double>(step + 1) / static_cast<double>(config_.warmup_steps);
  if (config_.total_steps <= config_.warmup_steps) return base;
  double progress = std::min(1.0, static_cast<double>(step - config_.warmup_steps) /
                                      static_cast<double>(config_.total_steps - config_.warmup_steps));
  double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return base * (config_.min_lr_ratio + (1.0 - config_.min_lr_ratio) * cosine);
}

namespace {

// The parameters' gradients as one flat vector (an undefined gradient counts as zeros).
at::Tensor flatten_gradients(const std::vector<at::Tensor>& parameters) {
  std::vector<at::Tensor> parts;
  for (const at::Tensor& p : parameters) {
    parts.push_back(p.grad().defined() ? p.grad().reshape({-1}) : at::zeros({p.numel()}, p.options()));
  }
  return at::cat(parts);
}

void assign_gradients(const std::vector<at::Tensor>& parameters, const at::Tensor& flat) {
  int64_t offset = 0;
  for (const at::Tensor& p : parameters) {
    at::Tensor piece = flat.narrow(0, offset, p.numel()).view(p.sizes());
    if (p.grad().defined()) {
      p.mutable_grad().copy_(piece);
    } else {
      p.mutable_grad() = piece.clone();
    }
    offset += p.numel();
  }
}

// A step's rollouts as this process holds them.
struct StepRollouts {
  const std::vector<Rollout>& rollouts;
  std::vector<std::vector<size_t>> chunks;  // indices into `rollouts` by local chunk, in order
  std::vector<double> advantages;           // one per rollout
};

// Sorts the rollouts into this rank's chunks (micro-batches stay inside a chunk) and takes their
// advantages: the layout's (a group that spans processes) or computed from the rollouts' groups.
StepRollouts split_rollouts(const std::vector<Rollout>& rollouts, const StepLayout& layout,
                            const dist::ChunkRange& mine, AdvantageEstimator estimator) {
  StepRollouts step{rollouts, std::vector<std::vector<size_t>>(static_cast<size_t>(mine.count)), {}};
  for (size_t i = 0; i < rollouts.size(); ++i) {
    const int64_t local = rollouts[i].chunk - mine.first;
    if (local < 0 || local >= mine.count) {
      fail("rollout ", i, " is in chunk ", rollouts[i].chunk, ", outside this rank's chunks [", mine.first, ", ", mine.first + mine.count, ")");
    }
    step.chunks[static_cast<size_t>(local)].push_back(i);
  }
  if (!layout.advantages.empty() && layout.advantages.size() != rollouts.size()) {
    fail("the step layout gives ", layout.advantages.size(), " advantages for ", rollouts.size(), " rollouts");
  }
  step.advantages = !layout.advantages.empty() ? layout.advantages
                    : rollouts.empty()         ? std::vector<double>()
                                               : group_advantages(rollouts, estimator);
  return step;
}

// Whole-step totals over every process's chunks. The loss normalisers must be global so that the
// chunks' losses add up to the full step's loss.
struct StepTotals {
  double sequences = 0, tokens = 0, reward = 0, advantage_abs = 0;
};

StepTotals step_totals(const StepRollouts& step, dist::Group& group, int64_t total_chunks) {
  std::vector<at::Tensor> chunk_totals;
  for (const auto& members : step.chunks) {
    double sequences = 0, tokens = 0, reward = 0, advantage_abs = 0;
    for (size_t i : members) {
      sequences += 1;
      tokens += static_cast<double>(step.rollouts[i].completion.size());
      reward += step.rollouts[i].reward;
      advantage_abs += std::abs(step.advantages[i]);
    }
    chunk_totals.push_back(at::tensor({sequences, tokens, reward, advantage_abs}, at::kDouble));
  }
  at::Tensor totals = group.tree_sum(chunk_totals, total_chunks, at::zeros({4}, at::kDouble));
  return {totals[0].item<double>(), totals[1].item<double>(), totals[2].item<double>(), totals[3].item<double>()};
}

// Micro-batches: the old (sampling) and reference log-probs are fixed across PPO epochs.
struct MicroBatch {
  std::vector<const Rollout*> rollouts;
  PackedRollouts packed;
  at::Tensor old_logprobs, ref_logprobs, advantages;
};

// This rank's micro-batches by chunk, with their fixed log-probs: the sampler's where every rollout
// has them, else the policy's before the update; the reference's for the KL penalty.
std::vector<std::vector<MicroBatch>> build_micro_batches(const StepRollouts& step, CausalLMImpl& policy,
                                                         CausalLMImpl* reference, const TrainerConfig& config) {
  const at::Device device = policy.device();
  std::vector<std::vector<MicroBatch>> batches(step.chunks.size());
  for (size_t c = 0; c < step.chunks.size(); ++c) {
    const std::vector<size_t>& members = step.chunks[c];
    for (size_t start = 0; start < members.size(); start += static_cast<size_t>(config.micro_batch_size)) {
      MicroBatch mb;
      std::vector<double> adv;
      for (size_t j = start; j < std::min(members.size(), start + static_cast<size_t>(config.micro_batch_size)); ++j) {
        mb.rollouts.push_back(&step.rollouts[members[j]]);
        adv.push_back(step.advantages[members[j]]);
      }
      mb.packed = pack_rollouts(mb.rollouts, device, config.share_prompts);
      mb.advantages = at::tensor(adv, at::kDouble).to(at::kFloat).to(device);
      bool have_sampler_logprobs = true;
      for (const Rollout* r : mb.rollouts) have_sampler_logprobs = have_sampler_logprobs && r->sampler_logprobs.size() == r->completion.size();
      if (have_sampler_logprobs) {
        mb.old_logprobs = sampler_logprobs(mb.rollouts, mb.packed);
      } else {
        at::NoGradGuard no_grad;
        mb.old_logprobs = completion_logprobs(policy, mb.packed, config.temperature);
      }
      if (config.kl_coef > 0) {
        at::NoGradGuard no_grad;
        mb.ref_logprobs = completion_logprobs(*reference, mb.packed, config.temperature);
      }
      batches[c].push_back(std::move(mb));
    }
  }
  return batches;
}

// What every PPO epoch of a step works on.
struct EpochWork {
  std::vector<std::vector<MicroBatch>> batches;  // by local chunk
  PolicyLossOptions loss_options;
  double temperature;
  dist::Group& group;
  int64_t total_chunks;
};

// Forward and backward over one chunk's micro-batches, accumulating into .grad; returns the
// chunk's sums: loss, clipped tokens, KL.
std::array<double, 3> backward_chunk(CausalLMImpl& policy, std::vector<MicroBatch>& batches, const EpochWork& work) {
  double loss_sum = 0, clipped = 0, kl = 0;
  for (auto& mb : batches) {
    at::Tensor logprobs = completion_logprobs(policy, mb.packed, work.temperature);
    PolicyLossOutput out = policy_loss(
        {logprobs, mb.old_logprobs, mb.ref_logprobs, mb.advantages, mb.packed.completion_mask}, work.loss_options);
    out.loss.backward();
    loss_sum += out.loss.item<double>();
    clipped += out.clipped_tokens;
    kl += out.kl_sum;
  }
  return {loss_sum, clipped, kl};
}

// One epoch's gradient of the whole step in the parameters' .grad; returns its sums [loss, clipped
// tokens, KL] over every process's chunks. One process with one chunk accumulates straight into
// .grad; otherwise each chunk's gradient is taken out flat and the chunks are combined by the
// canonical tree.
at::Tensor backward_epoch(CausalLMImpl& policy, const std::vector<at::Tensor>& parameters, EpochWork& work) {
  const bool combine_chunks = work.group.distributed() || work.batches.size() > 1;
  std::vector<at::Tensor> chunk_gradients, chunk_stats;
  for (auto& chunk_batches : work.batches) {
    policy.zero_grad();
    const std::array<double, 3> sums = backward_chunk(policy, chunk_batches, work);
    if (combine_chunks) chunk_gradients.push_back(flatten_gradients(parameters));  // zeros for an empty chunk
    chunk_stats.push_back(at::tensor(sums, at::kDouble));
  }
  if (combine_chunks) {
    policy.zero_grad();
    at::Tensor zeros = chunk_gradients.empty() ? flatten_gradients(parameters) : at::Tensor();
    assign_gradients(parameters, work.group.tree_sum(chunk_gradients, work.total_chunks, zeros));
  }
  return work.group.tree_sum(chunk_stats, work.total_chunks, at::zeros({3}, at::kDouble));
}

}  // namespace

TrainStats PolicyTrainer::step(const std::vector<Rollout>& rollouts, const StepLayout& layout) {
  dist::Group single;
  dist::Group& group = layout.group != nullptr ? *layout.group : single;
  const dist::ChunkRange mine = dist::chunk_range(layout.total_chunks, group.rank(), group.world_size());
  const StepRollouts held = split_rollouts(rollouts, layout, mine, config_.estimator);
  const StepTotals totals = step_totals(held, group, layout.total_chunks);
  if (totals.sequences == 0) fail("a training step needs rollouts");
  TrainStats stats;
  stats.mean_reward = totals.reward / totals.sequences;
  stats.mean_advantage_abs = totals.advantage_abs / totals.sequences;
  stats.tokens = static_cast<int64_t>(totals.tokens);
  stats.advantages = held.advantages;
  const double lr = learning_rate_at(steps_done_);
  stats.learning_rate = lr;
  if (totals.tokens == 0) fail("every rollout has an empty completion: nothing to train on");

  EpochWork work{build_micro_batches(held, policy_, reference_, config_),
                 {config_.aggregation, config_.clip_epsilon, config_.kl_coef, totals.sequences, totals.tokens,
                  static_cast<double>(config_.max_completion_length)},
                 config_.temperature, group, layout.total_chunks};
  for (auto& param_group : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(param_group.options()).lr(lr);
  for (int64_t epoch = 0; epoch < config_.ppo_epochs; ++epoch) {
    const at::Tensor epoch_stats = backward_epoch(policy_, parameters_, work);
    stats.grad_norm = apply_update(lr);
    stats.loss = epoch_stats[0].item<double>();
    stats.clip_fraction = epoch_stats[1].item<double>() / totals.tokens;
    stats.kl = epoch_stats[2].item<double>() / totals.tokens;
    // A diverged update is not taken further: the caller's last checkpoint stays the last good state.
    if (!std::isfinite(stats.loss) || !std::isfinite(stats.grad_norm)) {
      fail("training step ", steps_done_ + 1, " diverged: loss ", stats.loss, ", gradient norm ", stats.grad_norm,
           " (lower the learning rate, or clip with --max-grad-norm); the weights of this step are not saved");
    }
  }
  ++steps_done_;
  return stats;
}

}  // namespace soar
