// The decode-attention kernels' own source (src/model/decode_attention.cuh), compiled for the host
// and run through an emulated warp (cuda_emulation.h: a thread per lane, the PTX-defined mma), against
// attention in float64. The tensor-core kernel (variants 2-4) has never run on a GPU when this was
// written; here it runs at every head size, query group and cache shape the GPU test uses, and
// under AddressSanitizer every load it issues is checked to be in bounds. Variant 0 (measured on
// GPUs, docs/benchmarks.md) runs through the same emulation as a control.
#include "cuda_emulation.h"
// The kernels after the emulation, which they need.
#include "model/decode_attention.cuh"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <limits>
#include <random>
#include <string>

namespace {

namespace attention = soar::kernels::attention;
using soar::kernels::DecodeAttention;

// One case's inputs as 16-bit T, and their values.
template <class T>
struct Inputs {
  int64_t batch, heads, kv_heads, head_dim, capacity, newest, max_slots;
  // Allocated to their exact sizes, so that AddressSanitizer sees a read past the end.
  std::vector<T> q, keys, values;
  std::unique_ptr<bool[]> valid;
  int64_t slot;

  Inputs(int64_t batch_, int64_t kv_heads_, int64_t group, int64_t head_dim_, int64_t capacity_, int64_t newest_,
         int64_t max_slots_, std::mt19937& rng)
      : batch(batch_), heads(kv_heads_ * group), kv_heads(kv_heads_), head_dim(head_dim_), capacity(capacity_),
        newest(newest_), max_slots(max_slots_), q(static_cast<size_t>(batch * heads * head_dim)),
        keys(static_cast<size_t>(batch * kv_heads * capacity * head_dim)), values(keys.size()),
        valid(new bool[static_cast<size_t>(batch * capacity)]), slot(newest_) {
    std::normal_distribution<float> normal;
    for (T& x : q) x = T(3.0f * normal(rng));
    for (size_t i = 0; i < keys.size(); ++i) keys[i] = T(normal(rng)), values[i] = T(normal(rng));
    std::bernoulli_distribution keep(0.7);
    for (int64_t r = 0; r < batch; ++r) {
      for (int64_t s = 0; s < capacity; ++s) valid[r * capacity + s] = keep(rng) || s == 0 || s == newest;
    }
  }

  DecodeAttention args(std::vector<T>& out) const {
    return {q.data(), keys.data(), values.data(), valid.get(), &slot, out.data(), batch, heads, kv_heads, head_dim,
            capacity, max_slots, static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)))};
  }

  // softmax(q k^T / sqrt(D)) v over the valid slots of [0, min(newest + 1, max_slots)), in float64.
  std::vector<double> expected() const {
    const int64_t read = std::min(newest + 1, max_slots), group = heads / kv_heads;
    std::vector<double> out(static_cast<size_t>(batch * heads * head_dim), 0.0);
    for (int64_t r = 0; r < batch; ++r) {
      for (int64_t h = 0; h < heads; ++h) {
        const int64_t kv = h / group;
        const T* query = &q[static_cast<size_t>((r * heads + h) * head_dim)];
        std::vector<double> scores(static_cast<size_t>(read), -std::numeric_limits<double>::infinity());
        double top = -std::numeric_limits<double>::infinity();
        for (int64_t s = 0; s < read; ++s) {
          if (!valid[r * capacity + s]) continue;
          const T* key = &keys[static_cast<size_t>(((r * kv_heads + kv) * capacity + s) * head_dim)];
          double dot = 0;
          for (int64_t d = 0; d < head_dim; ++d) dot += static_cast<double>(float(query[d])) * static_cast<double>(float(key[d]));
          scores[static_cast<size_t>(s)] = dot / std::sqrt(static_cast<double>(head_dim));
          top = std::max(top, scores[static_cast<size_t>(s)]);
        }
        double total = 0;
        for (double& score : scores) total += (score = std::exp(score - top));
        for (int64_t s = 0; s < read; ++s) {
          const T* value = &values[static_cast<size_t>(((r * kv_heads + kv) * capacity + s) * head_dim)];
          for (int64_t d = 0; d < head_dim; ++d) {
            out[static_cast<size_t>((r * heads + h) * head_dim + d)] += scores[static_cast<size_t>(s)] / total * float(value[d]);
          }
        }
      }
    }
    return out;
  }
};

// ||out - expected|| / ||expected||, and the worst query head's share of the error (for messages).
template <class T>
std::string compare(const std::vector<T>& out, const std::vector<double>& expected, int64_t head_dim, double& error) {
  double diff = 0, norm = 0, worst_head = 0;
  int64_t worst = -1;
  for (size_t h = 0; h * head_dim < out.size(); ++h) {
    double head_diff = 0;
    for (int64_t d = 0; d < head_dim; ++d) {
      const size_t i = h * static_cast<size_t>(head_dim) + static_cast<size_t>(d);
      head_diff += std::pow(static_cast<double>(float(out[i])) - expected[i], 2);
      norm += expected[i] * expected[i];
    }
    diff += head_diff;
    if (head_diff > worst_head) worst_head = head_diff, worst = static_cast<int64_t>(h);
  }
  error = std::sqrt(diff / norm);
  return "worst (row, head) " + std::to_string(worst) + " holds " + std::to_string(diff > 0 ? worst_head / diff : 0.0) + " of the error";
}

// Variant 0's launch (decode_kernels.cu launch_attention_heads): up to 3 query heads per block, else
// blocks of 4.
template <class T, int D>
void run_variant_0(const DecodeAttention& a, int group) {
  auto run = [&](auto heads_tag, int chunks) {
    constexpr int kHeads = decltype(heads_tag)::value;
    soar::emulation::launch(static_cast<unsigned>(a.batch * a.kv_heads * chunks), attention::kAttentionThreads, [&] {
      attention::decode_attention_kernel<T, D, kHeads, 8, 2, attention::Feed::Pipelined>(a, group, chunks);
    });
  };
  if (group == 1) return run(std::integral_constant<int, 1>{}, 1);
  if (group == 3) return run(std::integral_constant<int, 3>{}, 1);
  run(std::integral_constant<int, attention::kMaxHeadsPerBlock>{}, (group + attention::kMaxHeadsPerBlock - 1) / attention::kMaxHeadsPerBlock);
}

// The tensor-core kernel in the block shape of variant 2 (4 warps) or 4 (2 warps); variant 3 is
// variant 2's code under a register cap, which the emulation does not see.
template <class T, int D, int VARIANT>
void run_tensor_cores(const DecodeAttention& a, int group) {
  constexpr attention::MmaShape shape = attention::mma_shape<D>(VARIANT);
  soar::emulation::launch(static_cast<unsigned>(a.batch * a.kv_heads), shape.warps * 32,
                          [&] { attention::decode_attention_mma_kernel<T, D, shape.warps, shape.min_blocks>(a, group); });
}

// Every group the GPU test uses (1, 3, 5, 8 query heads per kv head), both bounds on the slots read,
// newest slots at, just past and just before a 16-key tile's end and the 4-warp stride of 64, and a
// full cache whose capacity is no multiple of 16 (a last tile reaching past the buffer's end, which
// the kernel must not read).
template <class T, int D>
void check(int variant, const char* type) {
  std::mt19937 rng(D * 7 + variant);
  double worst = 0;
  for (int group : {1, 3, 5, 8}) {
    // (newest slot, bound on the slots read); the bound of 100 cuts the full cache short.
    for (auto [newest, max_slots] : {std::pair<int64_t, int64_t>{0, 150}, {15, 150}, {16, 150}, {64, 150}, {130, 150}, {149, 150}, {149, 100}}) {
      Inputs<T> in(2, 2, group, D, 150, newest, max_slots, rng);
      std::vector<T> out(in.q.size(), T(-7.0f));
      const DecodeAttention a = in.args(out);
      switch (variant) {
        case 0: run_variant_0<T, D>(a, group); break;
        case 2: run_tensor_cores<T, D, 2>(a, group); break;
        case 4: run_tensor_cores<T, D, 4>(a, group); break;
        default: FAIL() << "variant " << variant << " is not emulated";
      }
      double error = 0;
      const std::string where = compare(out, in.expected(), D, error);
      worst = std::max(worst, error);
      EXPECT_LT(error, 1e-2) << "variant " << variant << " " << type << " D " << D << " group " << group << " newest " << newest << " max_slots " << max_slots
                             << ": " << where;
    }
  }
  std::cout << "variant " << variant << " " << type << " D " << D << ": worst relative error " << worst << "\n";
}

TEST(DecodeAttentionEmulation, TensorCoreKernelMatchesFloat64) {
  for (int variant : {2, 4}) {
    check<__nv_bfloat16, 64>(variant, "bf16");
    check<__nv_bfloat16, 128>(variant, "bf16");
    check<__half, 64>(variant, "fp16");
    check<__half, 128>(variant, "fp16");
  }
}

TEST(DecodeAttentionEmulation, Variant0MatchesFloat64) {
  check<__nv_bfloat16, 64>(0, "bf16");
  check<__nv_bfloat16, 128>(0, "bf16");
}

}  // namespace
