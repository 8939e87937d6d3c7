#include "rl/policy_loss.h"

#include "core/error.h"

namespace soar {

LossAggregation parse_loss_aggregation(const std::string& name) {
  if (name == "seq-sum") return LossAggregation::SequenceSum;
  if (name == "seq-mean") return LossAggregation::SequenceMean;
  if (name == "token-mean") return LossAggregation::TokenMean;
  if (name == "constant") return LossAggregation::Constant;
  fail("unknown loss aggregation '", name, "' (seq-sum, seq-mean, token-mean, constant)");
}

PolicyLossOutput policy_loss(const PolicyLossInputs& in, const PolicyLossOptions& options) {
  at::Tensor mask = in.mask.to(in.logprobs.scalar_type());
  at::Tensor advantages = in.advantages.to(in.logprobs.scalar_type()).unsqueeze(1);
  at::Tensor ratio = (in.logprobs - in.old_logprobs).exp();
  at::Tensor unclipped = ratio * advantages;
  at::Tensor clipped = ratio.clamp(1.0 - options.clip_epsilon, 1.0 + options.clip_epsilon) * advantages;
  at::Tensor token_loss = -at::minimum(unclipped, clipped);
  PolicyLossOutput out;
  if (options.kl_coef > 0) {
    if (!in.ref_logprobs.defined()) fail("a KL penalty needs reference log-probabilities");
    // k3 estimator of KL(policy || reference): exp(d) - d - 1 with d = ref - policy; >= 0, unbiased.
    at::Tensor d = in.ref_logprobs - in.logprobs;
    at::Tensor kl = d.exp() - d - 1;
    token_loss = token_loss + options.kl_coef * kl;
    out.kl_sum = (kl.detach() * mask).sum().item<double>();
  }
  token_loss = token_loss * mask;
  // A token is clipped when the clipped term is the smaller one: its gradient is cut.
  out.clipped_tokens = ((clipped.detach() < unclipped.detach()).to(mask.scalar_type()) * mask).sum().item<double>();

  auto require = [](double value, const char* what) {
    if (!(value > 0)) fail("policy loss: ", what, " must be positive");
    return value;
  };
  switch (options.aggregation) {
    case LossAggregation::SequenceSum:
      out.loss = token_loss.sum() / require(options.total_sequences, "total_sequences");
      break;
    case LossAggregation::SequenceMean:
      out.loss = (token_loss.sum(1) / mask.sum(1).clamp_min(1)).sum() / require(options.total_sequences, "total_sequences");
      break;
    case LossAggregation::TokenMean:
      out.loss = token_loss.sum() / require(options.total_tokens, "total_tokens");
      break;
    case LossAggregation::Constant:
      out.loss = token_loss.sum() / (require(options.total_sequences, "total_sequences") *
                                     require(options.max_completion_length, "max_completion_length"));
      break;
  }
  return out;
}

}  // namespace soar
