#include "rl/logprobs.h"

#include "core/error.h"

namespace soar {

PackedRollouts pack_rollouts(const std::vector<const Rollout*>& rollouts, at::Device device) {
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
  return {ids.to(device), mask.to(device), completion.to(device), targets.contiguous().to(device)};
}

at::Tensor completion_logprobs(CausalLMImpl& policy, const PackedRollouts& batch, double temperature) {
  const int64_t length = batch.input_ids.size(1);
  // Rollouts are padded on the right only, so the unmasked causal forward (fused attention kernels)
  // gives every real token the same result as the masked one; padding positions are never read.
  at::Tensor hidden = policy.hidden_states(batch.input_ids).narrow(1, 0, length - 1);
  // Only completion positions need vocabulary logits: [M, hidden] -> [M, vocab].
  at::Tensor selected = hidden.index({batch.completion_mask});
  at::Tensor logits = policy.logits(selected).to(at::kFloat);
  if (temperature > 0 && temperature != 1.0) logits = logits / temperature;
  at::Tensor targets = batch.targets.index({batch.completion_mask});
  at::Tensor picked = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1);
  at::Tensor out = at::zeros(batch.completion_mask.sizes(), picked.options());
  return out.index_put({batch.completion_mask}, picked);
}

}  // namespace soar
