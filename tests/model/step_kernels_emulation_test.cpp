// The decoding step's small fused kernels (src/model/step_kernels.cuh: residual add + RMSNorm, SiLU
// gate, RoPE + KV-cache write), compiled for the host and run through an emulated warp
// (cuda_emulation.h), against loops written here from their contracts in decode_kernels.h
// (transformers' roundings): both the 16-byte packed kernel and the element-wise one of each, in
// float32 and bf16. The GPU tests check the same kernels on a device against the ATen path; these
// run in CI, so that a kernel change is checked before a GPU is lent.
#include "cuda_emulation.h"
// The kernels after the emulation, which they need.
#include "model/step_kernels.cuh"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

namespace step = soar::kernels::step;

template <class T>
float rounded(float x) {
  return static_cast<float>(T(x));
}

template <class T>
std::vector<T> random_values(size_t count, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> normal;
  std::vector<T> values(count);
  for (T& v : values) v = T(scale * normal(rng));
  return values;
}

// Bits of x, to compare exactly (T is float or __nv_bfloat16).
template <class T>
uint32_t bits(T x) {
  if constexpr (sizeof(T) == 4) {
    return std::bit_cast<uint32_t>(x);
  } else {
    return __bfloat16_as_ushort(x);
  }
}

// Residual add + RMSNorm: the residual rows bit for bit (one rounding of the sum), the normed rows
// within one rounding step of T (the kernel sums the squares in another order).
template <class T>
void check_add_rms_norm(int64_t cols, bool with_delta, const char* type) {
  std::mt19937 rng(static_cast<unsigned>(cols));
  const int64_t rows = 3;
  const float eps = 1e-5f;
  std::vector<T> residual = random_values<T>(static_cast<size_t>(rows * cols), rng), delta = random_values<T>(residual.size(), rng);
  std::vector<T> weight = random_values<T>(static_cast<size_t>(cols), rng), normed(residual.size());
  std::vector<T> expected_residual = residual;
  std::vector<double> expected_normed(residual.size());
  for (int64_t r = 0; r < rows; ++r) {
    double squares = 0;
    for (int64_t c = 0; c < cols; ++c) {
      T& h = expected_residual[static_cast<size_t>(r * cols + c)];
      if (with_delta) h = T(static_cast<float>(h) + static_cast<float>(delta[static_cast<size_t>(r * cols + c)]));
      squares += static_cast<double>(static_cast<float>(h)) * static_cast<float>(h);
    }
    const double inverse_rms = 1.0 / std::sqrt(squares / static_cast<double>(cols) + eps);
    for (int64_t c = 0; c < cols; ++c) {
      const float h = static_cast<float>(expected_residual[static_cast<size_t>(r * cols + c)]);
      expected_normed[static_cast<size_t>(r * cols + c)] =
          static_cast<float>(weight[static_cast<size_t>(c)]) * rounded<T>(static_cast<float>(h * inverse_rms));
    }
  }
  const bool packed = cols % 8 == 0 && cols <= 8 * step::kNormThreads * step::kNormPacks;
  const T* d = with_delta ? delta.data() : nullptr;
  if (packed) {
    soar::emulation::launch(rows, step::kNormThreads,
                            [&] { step::add_rms_norm_packed_kernel<T>(residual.data(), d, weight.data(), normed.data(), cols, eps); });
  } else {
    soar::emulation::launch(rows, 256, [&] { step::add_rms_norm_kernel<T>(residual.data(), d, weight.data(), normed.data(), cols, eps); });
  }
  const std::string where = std::string(type) + " cols " + std::to_string(cols) + (with_delta ? " with delta" : " no delta") +
                            (packed ? " (packed)" : " (element-wise)");
  // float32: the float64 reference within a few float32 roundings. bf16: within one rounding step
  // (2^-7 relative at most), and equal in bits but for a rare element at a rounding boundary (none
  // in practice), so that a systematic error of even 1/6000 (a mean over cols - 1) shows.
  const double step_of_t = sizeof(T) == 4 ? 2e-6 : 1.0 / 128;
  size_t differ = 0;
  for (size_t i = 0; i < residual.size(); ++i) {
    ASSERT_EQ(bits(residual[i]), bits(expected_residual[i])) << where << " residual element " << i;
    ASSERT_NEAR(static_cast<float>(normed[i]), expected_normed[i], step_of_t * (std::abs(expected_normed[i]) + 1e-6))
        << where << " normed element " << i;
    differ += bits(normed[i]) != bits(T(static_cast<float>(expected_normed[i])));
  }
  if constexpr (sizeof(T) == 2) EXPECT_LE(differ, residual.size() / 1000) << where << ": normed elements that differ in bits";
}

TEST(StepKernelsEmulation, AddRmsNormMatchesItsContract) {
  for (bool with_delta : {true, false}) {
    // Packed: a Llama-3.2-3B row, fewer packs than threads, more packs than threads; element-wise: a
    // row length no multiple of 8.
    for (int64_t cols : {int64_t{3072}, int64_t{40}, int64_t{1000}, int64_t{37}}) {
      check_add_rms_norm<float>(cols, with_delta, "float32");
      check_add_rms_norm<__nv_bfloat16>(cols, with_delta, "bf16");
    }
  }
}

// out = round(round(silu(gate)) * up), bit for bit; a grid of 2 blocks of 256 threads, so that the
// grid-stride loop wraps.
template <class T>
void check_silu_mul(int64_t cols, const char* type) {
  std::mt19937 rng(static_cast<unsigned>(cols));
  const int64_t rows = 5;
  std::vector<T> gate_up = random_values<T>(static_cast<size_t>(rows * 2 * cols), rng, 3.0f), out(static_cast<size_t>(rows * cols));
  const bool packed = cols % 8 == 0;
  if (packed) {
    soar::emulation::launch(2, 256, [&] { step::silu_mul_packed_kernel<T>(gate_up.data(), out.data(), rows, cols); });
  } else {
    soar::emulation::launch(2, 256, [&] { step::silu_mul_kernel<T>(gate_up.data(), out.data(), rows, cols); });
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const float gate = static_cast<float>(gate_up[static_cast<size_t>(r * 2 * cols + c)]);
      const float up = static_cast<float>(gate_up[static_cast<size_t>(r * 2 * cols + cols + c)]);
      const T expected = T(rounded<T>(gate / (1.0f + std::exp(-gate))) * up);
      ASSERT_EQ(bits(out[static_cast<size_t>(r * cols + c)]), bits(expected))
          << type << " cols " << cols << (packed ? " (packed)" : " (element-wise)") << " row " << r << " col " << c;
    }
  }
}

TEST(StepKernelsEmulation, SiluMulIsBitExact) {
  for (int64_t cols : {int64_t{8192}, int64_t{24}, int64_t{50}}) {
    check_silu_mul<float>(cols, "float32");
    check_silu_mul<__nv_bfloat16>(cols, "bf16");
  }
}

// RoPE + cache write against the contract: q and k rotated as transformers rounds it (x * cos and
// rotate_half(x) * sin each rounded, then the sum), q to [batch, heads, tokens, D], k and v (as it
// is) to the caches at slot + t; every other cache element untouched. Bit for bit.
template <class T>
void check_rope_cache_write(int64_t head_dim, int64_t tokens, const char* type) {
  std::mt19937 rng(static_cast<unsigned>(head_dim * 10 + tokens));
  const int64_t batch = 2, heads = 6, kv_heads = 2, capacity = 20, first_slot = 13, all_heads = heads + 2 * kv_heads;
  std::vector<T> qkv = random_values<T>(static_cast<size_t>(batch * tokens * all_heads * head_dim), rng);
  std::vector<T> cos = random_values<T>(static_cast<size_t>(batch * tokens * head_dim), rng);
  std::vector<T> sin = random_values<T>(cos.size(), rng);
  std::vector<T> q_out(static_cast<size_t>(batch * heads * tokens * head_dim), T(-9.0f));
  std::vector<T> keys = random_values<T>(static_cast<size_t>(batch * kv_heads * capacity * head_dim), rng), values = random_values<T>(keys.size(), rng);
  std::vector<T> expected_q = q_out, expected_keys = keys, expected_values = values;
  const int64_t half = head_dim / 2;
  for (int64_t r = 0; r < batch; ++r) {
    for (int64_t t = 0; t < tokens; ++t) {
      const T* x = &qkv[static_cast<size_t>((r * tokens + t) * all_heads * head_dim)];
      const T* c = &cos[static_cast<size_t>((r * tokens + t) * head_dim)];
      const T* s = &sin[static_cast<size_t>((r * tokens + t) * head_dim)];
      for (int64_t h = 0; h < all_heads; ++h) {
        for (int64_t d = 0; d < head_dim; ++d) {
          const float element = static_cast<float>(x[h * head_dim + d]);
          const float swapped = static_cast<float>(x[h * head_dim + (d < half ? d + half : d - half)]);
          const T rotated = T(rounded<T>(element * static_cast<float>(c[d])) + rounded<T>(swapped * static_cast<float>(s[d])));
          if (h < heads) {
            expected_q[static_cast<size_t>(((r * heads + h) * tokens + t) * head_dim + d)] = rotated;
          } else {
            const bool key = h < heads + kv_heads;
            const int64_t kv = key ? h - heads : h - heads - kv_heads;
            (key ? expected_keys : expected_values)[static_cast<size_t>(((r * kv_heads + kv) * capacity + first_slot + t) * head_dim + d)] =
                key ? rotated : x[h * head_dim + d];
          }
        }
      }
    }
  }
  const int64_t device_slot = first_slot;
  soar::kernels::RopeCacheWrite a{qkv.data(), cos.data(), sin.data(), q_out.data(), keys.data(), values.data(),
                                  tokens == 1 ? &device_slot : nullptr, tokens == 1 ? 0 : first_slot,
                                  batch, tokens, heads, kv_heads, head_dim, capacity};
  const bool packed = half % 8 == 0;
  if (packed) {
    soar::emulation::launch(static_cast<unsigned>(batch * tokens), step::kRopeThreads, [&] { step::rope_cache_write_packed_kernel<T>(a); });
  } else {
    soar::emulation::launch(dim3(static_cast<unsigned>(batch * tokens), static_cast<unsigned>(all_heads)), static_cast<unsigned>(head_dim),
                            [&] { step::rope_cache_write_kernel<T>(a); });
  }
  const std::string where = std::string(type) + " head_dim " + std::to_string(head_dim) + " tokens " + std::to_string(tokens) +
                            (packed ? " (packed)" : " (element-wise)");
  auto same = [&](const std::vector<T>& got, const std::vector<T>& expected, const char* what) {
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(bits(got[i]), bits(expected[i])) << where << ": " << what << " element " << i;
  };
  same(q_out, expected_q, "q");
  same(keys, expected_keys, "key cache");
  same(values, expected_values, "value cache");
}

TEST(StepKernelsEmulation, RopeCacheWriteIsBitExact) {
  for (int64_t head_dim : {int64_t{128}, int64_t{40}}) {
    for (int64_t tokens : {int64_t{1}, int64_t{5}}) {  // one token at a device slot (decoding), five at a host slot (prefill)
      check_rope_cache_write<float>(head_dim, tokens, "float32");
      check_rope_cache_write<__nv_bfloat16>(head_dim, tokens, "bf16");
    }
  }
}

}  // namespace
