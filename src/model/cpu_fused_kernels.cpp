#include "model/cpu_fused_kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "model/cpu_vectors.h"

// Compiled with -ffp-contract=off (src/model/CMakeLists.txt): every product and sum rounds as
// PyTorch's float32 operations round it, on every instruction set.

namespace soar::cpu_kernels {
namespace {

using cpu::Floats;
using cpu::kLanes;

// Rows per task: enough work that a thread hand-off (a few microseconds) stays small.
int64_t grain_for(int64_t floats_per_row) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(floats_per_row, 1)); }

SOAR_INLINE void add_rms_norm_rows(float* residual, const float* delta, const float* weight, float* normed, int64_t cols,
                                   float eps, int64_t first, int64_t last) {
  const int64_t body = cols / kLanes * kLanes;
  for (int64_t row = first; row < last; ++row) {
    float* r = residual + row * cols;
    float* n = normed + row * cols;
    if (delta != nullptr) {
      const float* d = delta + row * cols;
      for (int64_t c = 0; c < body; c += kLanes) cpu::store(r + c, cpu::load(r + c) + cpu::load(d + c));
      for (int64_t c = body; c < cols; ++c) r[c] += d[c];
    }
    Floats squares{};
    for (int64_t c = 0; c < body; c += kLanes) {
      const Floats h = cpu::load(r + c);
      squares += h * h;
    }
    float sum = cpu::lane_sum(squares);
    for (int64_t c = body; c < cols; ++c) sum += r[c] * r[c];
    // transformers: hidden * rsqrt(mean(hidden²) + eps), then weight * that (two roundings).
    const float inverse_rms = 1.0f / std::sqrt(sum / static_cast<float>(cols) + eps);
    for (int64_t c = 0; c < body; c += kLanes) cpu::store(n + c, cpu::load(weight + c) * (cpu::load(r + c) * inverse_rms));
    for (int64_t c = body; c < cols; ++c) n[c] = weight[c] * (r[c] * inverse_rms);
  }
}
SOAR_CPU_CLONES(add_rms_norm_task, add_rms_norm_rows,
                (float* residual, const float* delta, const float* weight, float* normed, int64_t cols, float eps, int64_t first,
                 int64_t last),
                (residual, delta, weight, normed, cols, eps, first, last))

// silu(g) * u with silu(g) = g / (1 + e^-g) rounded first, as PyTorch's silu then its product.
SOAR_INLINE void silu_mul_rows(const float* gate_up, float* out, int64_t cols, int64_t first, int64_t last) {
  const int64_t body = cols / kLanes * kLanes;
  for (int64_t row = first; row < last; ++row) {
    const float* gate = gate_up + row * 2 * cols;
    const float* up = gate + cols;
    float* o = out + row * cols;
    for (int64_t c = 0; c < body; c += kLanes) {
      const Floats g = cpu::load(gate + c);
      cpu::store(o + c, g / (1.0f + cpu::exp(-g)) * cpu::load(up + c));
    }
    for (int64_t c = body; c < cols; ++c) {
      Floats g = cpu::broadcast(gate[c]);
      o[c] = (g / (1.0f + cpu::exp(-g)))[0] * up[c];
    }
  }
}
SOAR_CPU_CLONES(silu_mul_task, silu_mul_rows, (const float* gate_up, float* out, int64_t cols, int64_t first, int64_t last),
                (gate_up, out, cols, first, last))

// One head of one token: x * cos + swapped(x) * signed_sin into `out` (apply_rope's roundings).
void rotate(const float* x, const float* cos, const float* signed_sin, float* out, int64_t head_dim) {
  const int64_t half = head_dim / 2;
  for (int64_t d = 0; d < half; ++d) out[d] = x[d] * cos[d] + x[d + half] * signed_sin[d];
  for (int64_t d = half; d < head_dim; ++d) out[d] = x[d] * cos[d] + x[d - half] * signed_sin[d];
}

// The four lane sums of a, b, c, d in lanes 0-3, halves folded across the four at once (a quarter
// of the shuffles of four lane_sums; the order of the additions is fixed).
SOAR_INLINE cpu::Floats lane_sums4(Floats a, Floats b, Floats c, Floats d) {
  const Floats ab = __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
                    __builtin_shufflevector(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  const Floats cd = __builtin_shufflevector(c, d, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
                    __builtin_shufflevector(c, d, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  // ab: a's 8 partials, then b's; cd likewise. Now 4 partials each of a, b, c, d.
  const Floats quarter = __builtin_shufflevector(ab, cd, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) +
                         __builtin_shufflevector(ab, cd, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  const Floats eighth = __builtin_shufflevector(quarter, quarter, 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14) +
                        __builtin_shufflevector(quarter, quarter, 1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15);
  return __builtin_shufflevector(eighth, eighth, 0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6) +
         __builtin_shufflevector(eighth, eighth, 1, 3, 5, 7, 1, 3, 5, 7, 1, 3, 5, 7, 1, 3, 5, 7);
}

// Softmax-weighted values of one kv head's query group over its kept (valid) slots: scores four
// keys at a time (each key read once per query, from L1 after the first), then e^(score - max),
// then the values. Blocks = head_dim / 16, a compile-time count so the accumulators stay in
// registers. `scores` holds group x round_up(kept, 4) floats.
//
// A unit's keys and values are a few KB each, too short for the hardware prefetcher to reach full
// speed on its own (the kernel read ~11 GB/s of the 20 one thread reads from memory): each pass
// prefetches what the next one reads, the values during the scores, the next unit's first keys
// (`next_keys`, or null) during the values.
template <int Blocks>
SOAR_INLINE void attend_group(const kernels::DecodeAttention& a, int64_t unit, const int64_t* kept, int64_t kept_count,
                              float* scores, const float* next_keys) {
  const int64_t row = unit / a.kv_heads, kv_head = unit % a.kv_heads;
  const int64_t group = a.heads / a.kv_heads, dim = Blocks * kLanes;
  const int64_t stride = (kept_count + 3) / 4 * 4;
  const float* keys = static_cast<const float*>(a.key_cache) + unit * a.capacity * dim;
  const float* values = static_cast<const float*>(a.value_cache) + unit * a.capacity * dim;
  const float* q = static_cast<const float*>(a.q) + (row * a.heads + kv_head * group) * dim;
  float* out = static_cast<float*>(a.out) + (row * a.heads + kv_head * group) * dim;
  for (int64_t i = 0; i < kept_count; i += 4) {
    // A last group of fewer than four keys repeats its last key (scores past kept_count are unused).
    const float* k[4];
    for (int64_t e = 0; e < 4; ++e) {
      const int64_t at = kept[std::min(i + e, kept_count - 1)] * dim;
      k[e] = keys + at;
#pragma GCC unroll 16
      for (int b = 0; b < Blocks; ++b) __builtin_prefetch(values + at + b * kLanes);
    }
    for (int64_t j = 0; j < group; ++j) {
      Floats acc[4] = {};
#pragma GCC unroll 16
      for (int b = 0; b < Blocks; ++b) {
        const Floats qb = cpu::load(q + j * dim + b * kLanes);
#pragma GCC unroll 4
        for (int e = 0; e < 4; ++e) acc[e] += qb * cpu::load(k[e] + b * kLanes);
      }
      const Floats sums = lane_sums4(acc[0], acc[1], acc[2], acc[3]) * a.scale;
      __builtin_memcpy(scores + j * stride + i, &sums, 4 * sizeof(float));
    }
  }
  const int64_t body = kept_count / kLanes * kLanes;
  for (int64_t j = 0; j < group; ++j) {
    float* s = scores + j * stride;
    float top = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < kept_count; ++i) top = std::max(top, s[i]);
    Floats total{};
    for (int64_t i = 0; i < body; i += kLanes) {
      const Floats p = cpu::exp(cpu::load(s + i) - top);
      cpu::store(s + i, p);
      total += p;
    }
    float sum = cpu::lane_sum(total);
    for (int64_t i = body; i < kept_count; ++i) {
      s[i] = cpu::exp(cpu::broadcast(s[i] - top))[0];
      sum += s[i];
    }
    const float inverse = 1.0f / sum;
    for (int64_t i = 0; i < kept_count; ++i) s[i] *= inverse;
  }
  for (int64_t j = 0; j < group; ++j) {
    Floats acc[Blocks] = {};
    const float* p = scores + j * stride;
    for (int64_t i = 0; i < kept_count; ++i) {
      const float* v = values + kept[i] * dim;
      if (next_keys != nullptr && j == 0) {
#pragma GCC unroll 16
        for (int b = 0; b < Blocks; ++b) __builtin_prefetch(next_keys + kept[i] * dim + b * kLanes);
      }
      const Floats weight = cpu::broadcast(p[i]);
#pragma GCC unroll 16
      for (int b = 0; b < Blocks; ++b) acc[b] += weight * cpu::load(v + b * kLanes);
    }
#pragma GCC unroll 16
    for (int b = 0; b < Blocks; ++b) cpu::store(out + j * dim + b * kLanes, acc[b]);
  }
}

SOAR_INLINE void attention_units(const kernels::DecodeAttention& a, int64_t first, int64_t last) {
  const int64_t slots = std::min(*a.slot + 1, a.max_slots);
  const int64_t group = a.heads / a.kv_heads;
  thread_local std::vector<int64_t> kept;
  thread_local std::vector<float> scores;
  kept.resize(static_cast<size_t>(std::max<int64_t>(slots, 0)));
  scores.resize(static_cast<size_t>((std::max<int64_t>(slots, 0) + 3) / 4 * 4 * group));
  for (int64_t unit = first; unit < last; ++unit) {
    const int64_t row = unit / a.kv_heads;
    const bool* valid = a.valid + row * a.capacity;
    int64_t count = 0;
    for (int64_t s = 0; s < slots; ++s) {
      if (valid[s]) kept[count++] = s;
    }
    if (count == 0) {  // nothing to attend to: zeros, as the softmax of an empty set has no mean
      float* out = static_cast<float*>(a.out) + (row * a.heads + (unit % a.kv_heads) * group) * a.head_dim;
      std::fill(out, out + group * a.head_dim, 0.0f);
      continue;
    }
    const float* next_keys =
        unit + 1 < last ? static_cast<const float*>(a.key_cache) + (unit + 1) * a.capacity * a.head_dim : nullptr;
    switch (a.head_dim / kLanes) {  // decode_attention_supports: 1-8 or 16 blocks
      case 1: attend_group<1>(a, unit, kept.data(), count, scores.data(), next_keys); break;
      case 2: attend_group<2>(a, unit, kept.data(), count, scores.data(), next_keys); break;
      case 3: attend_group<3>(a, unit, kept.data(), count, scores.data(), next_keys); break;
      case 4: attend_group<4>(a, unit, kept.data(), count, scores.data(), next_keys); break;
      case 5: attend_group<5>(a, unit, kept.data(), count, scores.data(), next_keys); break;
      case 6: attend_group<6>(a, unit, kept.data(), count, scores.data(), next_keys); break;
      case 7: attend_group<7>(a, unit, kept.data(), count, scores.data(), next_keys); break;
      case 8: attend_group<8>(a, unit, kept.data(), count, scores.data(), next_keys); break;
      default: attend_group<16>(a, unit, kept.data(), count, scores.data(), next_keys); break;
    }
  }
}
SOAR_CPU_CLONES(attention_task, attention_units, (const kernels::DecodeAttention& a, int64_t first, int64_t last), (a, first, last))

}  // namespace

void add_rms_norm(float* residual, const float* delta, const float* weight, float* normed, int64_t rows, int64_t cols,
                  float eps) {
  static const auto task = cpu::pick(add_rms_norm_task_avx512, add_rms_norm_task_avx2, add_rms_norm_task_baseline);
  at::parallel_for(0, rows, grain_for(cols), [&](int64_t first, int64_t last) {
    task(residual, delta, weight, normed, cols, eps, first, last);
  });
}

void silu_mul(const float* gate_up, float* out, int64_t rows, int64_t cols) {
  static const auto task = cpu::pick(silu_mul_task_avx512, silu_mul_task_avx2, silu_mul_task_baseline);
  at::parallel_for(0, rows, grain_for(cols), [&](int64_t first, int64_t last) { task(gate_up, out, cols, first, last); });
}

void rope_cache_write(const kernels::RopeCacheWrite& a) {
  const int64_t first_slot = a.slot != nullptr ? *a.slot : a.first_slot;
  const int64_t width = (a.heads + 2 * a.kv_heads) * a.head_dim;
  const auto* qkv = static_cast<const float*>(a.qkv);
  const auto* cos = static_cast<const float*>(a.cos);
  const auto* signed_sin = static_cast<const float*>(a.signed_sin);
  auto* q_out = static_cast<float*>(a.q_out);
  auto* keys = static_cast<float*>(a.key_cache);
  auto* values = static_cast<float*>(a.value_cache);
  at::parallel_for(0, a.batch * a.tokens, grain_for(width), [&](int64_t first, int64_t last) {
    for (int64_t index = first; index < last; ++index) {
      const int64_t row = index / a.tokens, t = index % a.tokens;
      const float* x = qkv + index * width;
      const float* c = cos + index * a.head_dim;
      const float* s = signed_sin + index * a.head_dim;
      for (int64_t h = 0; h < a.heads; ++h) {
        rotate(x + h * a.head_dim, c, s, q_out + ((row * a.heads + h) * a.tokens + t) * a.head_dim, a.head_dim);
      }
      for (int64_t h = 0; h < a.kv_heads; ++h) {
        const int64_t at_slot = ((row * a.kv_heads + h) * a.capacity + first_slot + t) * a.head_dim;
        rotate(x + (a.heads + h) * a.head_dim, c, s, keys + at_slot, a.head_dim);
        const float* v = x + (a.heads + a.kv_heads + h) * a.head_dim;
        std::copy(v, v + a.head_dim, values + at_slot);
      }
    }
  });
}

bool decode_attention_supports(int64_t head_dim) {
  return head_dim > 0 && head_dim % kLanes == 0 && (head_dim <= 8 * kLanes || head_dim == 16 * kLanes);
}

void decode_attention(const kernels::DecodeAttention& a) {
  static const auto task = cpu::pick(attention_task_avx512, attention_task_avx2, attention_task_baseline);
  const int64_t units = a.batch * a.kv_heads;
  // A unit reads up to 2 x slots x head_dim floats; a few per task at least.
  const int64_t slots = std::min(*a.slot + 1, a.max_slots);
  at::parallel_for(0, units, grain_for(2 * std::max<int64_t>(slots, 1) * a.head_dim), [&](int64_t first, int64_t last) {
    task(a, first, last);
  });
}

}  // namespace soar::cpu_kernels
