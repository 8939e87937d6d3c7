#include "rl/logprobs.h"

#include <map>

#include "core/error.h"

namespace soar {

namespace {

// The rollouts' distinct prompts as shared prefixes, or nothing where no prompt is shared (or one
// is a single token, which leaves no prefix).
std::optional<SharedPrompts> share_prompts(const std::vector<const Rollout*>& rollouts, at::Device device) {
  std::map<std::vector<int32_t>, int64_t> index;
  std::vector<const std::vector<int32_t>*> prompts;
  std::vector<int64_t> row_prefix;
  int64_t prefix_length = 0, suffix_length = 0;
  for (const Rollout* r : rollouts) {
    if (r->prompt.size() < 2) return std::nullopt;
    auto [it, added] = index.emplace(r->prompt, static_cast<int64_t>(prompts.size()));
    if (added) prompts.push_back(&r->prompt);
    row_prefix.push_back(it->second);
    prefix_length = std::max<int64_t>(prefix_length, static_cast<int64_t>(r->prompt.size()) - 1);
    suffix_length = std::max<int64_t>(suffix_length, static_cast<int64_t>(r->completion.size()));
  }
  if (prompts.size() == rollouts.size() || suffix_length == 0) return std::nullopt;
  const int64_t count = static_cast<int64_t>(rollouts.size()), distinct = static_cast<int64_t>(prompts.size());
  at::Tensor prefix_ids = at::zeros({distinct, prefix_length}, at::kLong), prefix_lengths = at::zeros({distinct}, at::kLong);
  auto prefix_values = prefix_ids.accessor<int64_t, 2>();
  auto length_values = prefix_lengths.accessor<int64_t, 1>();
  for (int64_t u = 0; u < distinct; ++u) {
    const std::vector<int32_t>& prompt = *prompts[u];
    for (size_t j = 0; j + 1 < prompt.size(); ++j) prefix_values[u][static_cast<int64_t>(j)] = prompt[j];
    length_values[u] = static_cast<int64_t>(prompt.size()) - 1;
  }
  at::Tensor suffix_ids = at::zeros({count, suffix_length}, at::kLong), targets = at::zeros({count, suffix_length}, at::kLong);
  at::Tensor predicts = at::zeros({count, suffix_length}, at::kBool);
  auto ids = suffix_ids.accessor<int64_t, 2>(), target = targets.accessor<int64_t, 2>();
  auto predicted = predicts.accessor<bool, 2>();
  for (int64_t row = 0; row < count; ++row) {
    const Rollout& r = *rollouts[row];
    int64_t previous = r.prompt.back();
    for (size_t j = 0; j < r.completion.size(); ++j) {
      ids[row][static_cast<int64_t>(j)] = previous;
      target[row][static_cast<int64_t>(j)] = previous = r.completion[j];
      predicted[row][static_cast<int64_t>(j)] = true;
    }
  }
  return SharedPrompts{{prefix_ids.to(device), prefix_lengths.to(device), at::tensor(row_prefix, at::kLong).to(device),
                        suffix_ids.to(device)},
                       predicts.to(device), targets.to(device)};
}

}  // namespace

PackedRollouts pack_rollouts(const std::vector<const Rollout*>& rollouts, at::Device device, bool share) {
  if (rollouts.empty()) fail("cannot pack an empty list of rollouts");
  int64_t length = 0;
  for (const Rollout* r : rollouts) length = std::max<int64_t>(length, r->prompt.size() + r->completion.size());
  const int64_t count = static_cast<int64_t>(rollouts.size());
  at::Tensor ids = at::zeros({count, length}, at::kLong);
  at::Tensor mask = at::zeros({count, length}, at::kLong);
  at::Tensor completion = at::zeros({count, std::max<int64_t>(length - 1, 1)}, at::kBool);
  auto id_values = ids.accessor<int64_t, 2>();
  auto mask_values = mask.accessor<int64_t, 2>();
  auto completion_values = completion.accessor<bool, 2>();
  for (int64_t row = 0; row < count; ++row) {
    const Rollout& r = *rollouts[row];
    if (r.prompt.empty()) fail("rollout ", row, " has an empty prompt");
    int64_t t = 0;
    for (int32_t token : r.prompt) id_values[row][t++] = token;
    for (int32_t token : r.completion) {
      completion_values[row][t - 1] = true;
      id_values[row][t++] = token;
    }
    for (int64_t j = 0; j < t; ++j) mask_values[row][j] = 1;
  }
  at::Tensor targets = length > 1 ? ids.narrow(1, 1, length - 1) : at::zeros({count, 1}, at::kLong);
  return {ids.to(device), mask.to(device), completion.to(device), targets.contiguous().to(device),
          share ? share_prompts(rollouts, device) : std::nullopt};
}

at::Tensor completion_logprobs(CausalLMImpl& policy, const PackedRollouts& batch, double temperature) {
  // Only completion positions need vocabulary logits: [M, hidden] -> [M, vocab]. Both layouts list
  // them row by row in sequence order.
  at::Tensor selected, targets;
  if (batch.shared && !(policy.activation_checkpointing() && at::GradMode::is_enabled())) {
    at::Tensor hidden = policy.hidden_states_shared_prefix(batch.shared->batch);
    selected = hidden.index({batch.shared->predicts});
    targets = batch.shared->targets.index({batch.shared->predicts});
  } else {
    const int64_t length = batch.input_ids.size(1);
    // Rollouts are padded on the right only, so the unmasked causal forward (fused attention kernels)
    // gives every real token the same result as the masked one; padding positions are never read.
    at::Tensor hidden = policy.hidden_states(batch.input_ids).narrow(1, 0, length - 1);
    selected = hidden.index({batch.completion_mask});
    targets = batch.targets.index({batch.completion_mask});
  }
  at::Tensor logits = policy.logits(selected).to(at::kFloat);
  if (temperature > 0 && temperature != 1.0) logits = logits / temperature;
  at::Tensor picked = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1);
  at::Tensor out = at::zeros(batch.completion_mask.sizes(), picked.options());
  return out.index_put({batch.completion_mask}, picked);
}

}  // namespace soar
