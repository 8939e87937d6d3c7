#include "sampling/token_draw.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "sampling/philox.h"

namespace soar {
namespace {

// As the CUDA kernel (token_sampling.cuh): uniforms from 23 random bits lie in [2^-24, 1 - 2^-24],
// so the noise lies in [-2.8, 16.64].
constexpr float kMaxNoise = 16.7f;

inline float uniform_from_bits(uint32_t bits) { return (static_cast<float>(bits >> 9) + 0.5f) * (1.0f / 8388608.0f); }
inline float gumbel_noise(uint32_t bits) { return -std::log(-std::log(uniform_from_bits(bits))); }

// Bounds on the 23 random bits of an element: an element whose bits are at most bound(t) has noise
// below t - kMargin, so when t is the best noisy value minus the element's logit it cannot win.
// Tabulated at t = kLowest + j / kSteps, each entry taken at the grid point at or below t (a lower
// bound skips less, never wrongly); below kLowest every noise value can win (the least is -2.8).
constexpr double kLowest = -3.0, kSteps = 64.0, kMargin = 1e-3;
constexpr int kBounds = static_cast<int>((kMaxNoise - kLowest) * kSteps) + 1;

struct NoiseBounds {
  std::array<int64_t, kBounds> bits{};
  NoiseBounds() {
    for (int j = 0; j < kBounds; ++j) {
      const double t = kLowest + j / kSteps - kMargin;
      const double u = std::exp(-std::exp(-t));  // the uniform whose noise is t
      // Bits b give u_b = (b + 0.5) / 2^23 (uniform_from_bits); b <= u * 2^23 - 0.5 keeps u_b <= u.
      bits[j] = static_cast<int64_t>(std::floor(u * 8388608.0 - 0.5)) - 1;
    }
  }
  // The bound for a group whose largest logit is t below the best noisy value (t < kMaxNoise).
  int64_t at(float t) const {
    if (!(t >= kLowest)) return -1;  // also NaN: nothing skipped
    return bits[std::min(kBounds - 1, static_cast<int>((t - kLowest) * kSteps))];
  }
};

const NoiseBounds& noise_bounds() {
  static const NoiseBounds bounds;
  return bounds;
}

// The first maximum of x[i] + noise(i) over the row.
int64_t draw_row(const float* x, int64_t vocab, uint64_t row, std::array<uint32_t, 2> key, const NoiseBounds& bounds) {
  float best = -std::numeric_limits<float>::infinity();
  int64_t best_index = 0;
  for (int64_t first = 0; first < vocab; first += 4) {
    const int count = static_cast<int>(std::min<int64_t>(4, vocab - first));
    float group_max = x[first];
    for (int e = 1; e < count; ++e) group_max = std::max(group_max, x[first + e]);
    const float t = best - group_max;
    if (t >= kMaxNoise) continue;  // no element here can win (also a group of -inf logits)
    const uint64_t group = static_cast<uint64_t>(first) >> 2;
    const PhiloxWords bits = philox4x32_10(
        {static_cast<uint32_t>(group), static_cast<uint32_t>(group >> 32), static_cast<uint32_t>(row), static_cast<uint32_t>(row >> 32)},
        key);
    const int64_t bound = bounds.at(t);
    for (int e = 0; e < count; ++e) {
      if (static_cast<int64_t>(bits[e] >> 9) <= bound) continue;  // its noise is below t: cannot win
      const float value = x[first + e] + gumbel_noise(bits[e]);
      if (value > best) best = value, best_index = first + e;
    }
  }
  return best_index;
}

}  // namespace

at::Tensor draw_tokens(const at::Tensor& logits, uint64_t seed) {
  if (!logits.device().is_cpu() || logits.scalar_type() != at::kFloat || logits.dim() != 2 || logits.size(1) == 0) {
    fail("draw_tokens: logits must be a non-empty [rows, vocab] float32 CPU tensor, got ", logits.sizes(), " ",
         logits.scalar_type(), " on ", logits.device());
  }
  const at::Tensor rows = logits.contiguous();
  const int64_t vocab = rows.size(1);
  at::Tensor tokens = at::empty({rows.size(0)}, at::TensorOptions().dtype(at::kLong));
  const float* x = rows.data_ptr<float>();
  int64_t* out = tokens.data_ptr<int64_t>();
  const std::array<uint32_t, 2> key = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  const NoiseBounds& bounds = noise_bounds();
  at::parallel_for(0, rows.size(0), 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) out[r] = draw_row(x + r * vocab, vocab, static_cast<uint64_t>(r), key, bounds);
  });
  return tokens;
}

}  // namespace soar
