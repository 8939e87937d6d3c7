#include "model/rope.h"

#include <numbers>

namespace soar {

at::Tensor rope_inverse_frequencies(const ModelConfig& config) {
  // Same float32 arithmetic as transformers: 1 / theta ** (arange(0, d, 2) / d).
  at::Tensor exponents = at::arange(0, config.head_dim, 2, at::kLong).to(at::kFloat) / static_cast<double>(config.head_dim);
  at::Tensor frequencies = 1.0 / at::pow(config.rope.theta, exponents);
  const auto& rope = config.rope;
  if (rope.type != "llama3") return frequencies;

  // Llama 3.1 scaling (transformers' _compute_llama3_parameters), done with tensor ops in float32
  // so the rounding matches the reference.
  const double low_freq_wavelen = rope.original_max_position_embeddings / rope.low_freq_factor;
  const double high_freq_wavelen = rope.original_max_position_embeddings / rope.high_freq_factor;
  at::Tensor wavelen = 2 * std::numbers::pi / frequencies;
  at::Tensor scaled = at::where(wavelen > low_freq_wavelen, frequencies / rope.factor, frequencies);
  at::Tensor smooth = (rope.original_max_position_embeddings / wavelen - rope.low_freq_factor) /
                      (rope.high_freq_factor - rope.low_freq_factor);
  at::Tensor smoothed = (1 - smooth) * scaled / rope.factor + smooth * scaled;
  at::Tensor is_medium = (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
  return at::where(is_medium, smoothed, scaled);
}

RopeTables rope_tables(const at::Tensor& inverse_frequencies, const at::Tensor& positions, at::ScalarType dtype) {
  at::Tensor angles = positions.to(at::kFloat).unsqueeze(-1) * inverse_frequencies.to(positions.device());
  at::Tensor doubled = at::cat({angles, angles}, -1);
  at::Tensor sin = angles.sin();
  return {doubled.cos().to(dtype), at::cat({-sin, sin}, -1).to(dtype)};
}

at::Tensor apply_rope(const at::Tensor& x, const RopeTables& tables) {
  const int64_t half = x.size(-1) / 2;
  // rotate_half(x) * sin == swapped(x) * signed_sin, with swapped = [x2, x1]: negation is exact.
  at::Tensor swapped = at::cat({x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  // Two products then a sum, each rounded to x's dtype as in transformers (a fused multiply-add
  // would round once less and drift from its bf16 results).
  return x * tables.cos.unsqueeze(1) + swapped * tables.signed_sin.unsqueeze(1);
}

}  // namespace soar
