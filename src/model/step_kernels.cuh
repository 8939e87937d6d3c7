// The decoding step's small fused kernels (device code only; decode_kernels.cu launches them):
// residual add + RMSNorm, SiLU gate, RoPE + KV-cache write. In a header of their own so that a CPU
// test can compile the same source for the host and run it through an emulated warp
// (tests/model/step_kernels_emulation_test.cpp, via tests/support/cuda_emulation.h).
#pragma once

#include <cmath>

#include "model/cuda_elements.cuh"
#include "model/decode_kernels.h"

namespace soar::kernels::step {

using namespace cuda;

// ---- residual add + RMSNorm: one block per row --------------------------------------------------

// Any row length, one element at a time.
template <class T>
__global__ void __launch_bounds__(256) add_rms_norm_kernel(T* __restrict__ residual, const T* __restrict__ delta,
                                                           const T* __restrict__ weight, T* __restrict__ normed,
                                                           int64_t cols, float eps) {
  const int64_t offset = static_cast<int64_t>(blockIdx.x) * cols;
  T* r = residual + offset;
  T* n = normed + offset;
  float squares = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    float h = to_float(r[c]);
    if (delta != nullptr) {
      h = rounded<T>(__fadd_rn(h, to_float(delta[offset + c])));
      r[c] = from_float<T>(h);  // read back below by this same thread
    }
    squares += h * h;
  }
  const float inverse_rms = rsqrtf(block_sum(squares) / static_cast<float>(cols) + eps);
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float scaled = rounded<T>(__fmul_rn(to_float(r[c]), inverse_rms));
    n[c] = from_float<T>(__fmul_rn(to_float(weight[c]), scaled));
  }
}

// Rows of 8-element packs (cols % 8 == 0, 16-byte aligned rows), at most kNormThreads * kNormPacks
// packs: each thread keeps its packs of the row in registers between the two passes.
constexpr int kNormThreads = 128;
constexpr int kNormPacks = 8;

template <class T>
__global__ void __launch_bounds__(kNormThreads) add_rms_norm_packed_kernel(T* __restrict__ residual, const T* __restrict__ delta,
                                                                           const T* __restrict__ weight, T* __restrict__ normed,
                                                                           int64_t cols, float eps) {
  const int64_t offset = static_cast<int64_t>(blockIdx.x) * cols;
  const int packs = static_cast<int>(cols / 8);
  Pack<T, 8> h[kNormPacks], w[kNormPacks];  // the weight is loaded up front: its latency overlaps the row's
  float squares = 0.0f;
#pragma unroll
  for (int j = 0; j < kNormPacks; ++j) {
    const int pack = threadIdx.x + j * kNormThreads;
    if (pack >= packs) break;
    w[j].load(weight + pack * 8);
    h[j].load(residual + offset + pack * 8);
    if (delta != nullptr) {
      Pack<T, 8> d;
      d.load(delta + offset + pack * 8);
#pragma unroll
      for (int e = 0; e < 8; ++e) h[j].set(e, __fadd_rn(h[j][e], d[e]));
      h[j].store(residual + offset + pack * 8);
    }
#pragma unroll
    for (int e = 0; e < 8; ++e) squares += h[j][e] * h[j][e];
  }
  const float inverse_rms = rsqrtf(block_sum(squares) / static_cast<float>(cols) + eps);
#pragma unroll
  for (int j = 0; j < kNormPacks; ++j) {
    const int pack = threadIdx.x + j * kNormThreads;
    if (pack >= packs) break;
    Pack<T, 8> out;
#pragma unroll
    for (int e = 0; e < 8; ++e) out.set(e, __fmul_rn(w[j][e], rounded<T>(__fmul_rn(h[j][e], inverse_rms))));
    out.store(normed + offset + pack * 8);
  }
}

// ---- SiLU(gate) * up -----------------------------------------------------------------------------

template <class T>
__device__ __forceinline__ float silu_times(float gate, float up) {
  const float silu = rounded<T>(gate / (1.0f + expf(-gate)));  // PyTorch's silu in float32, then its output dtype
  return __fmul_rn(silu, up);
}

template <class T>
__global__ void silu_mul_kernel(const T* __restrict__ gate_up, T* __restrict__ out, int64_t rows, int64_t cols) {
  const int64_t total = rows * cols;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = i / cols, col = i - row * cols;
    out[i] = from_float<T>(silu_times<T>(to_float(gate_up[row * 2 * cols + col]), to_float(gate_up[row * 2 * cols + cols + col])));
  }
}

// 8 elements per thread (cols % 8 == 0, 16-byte aligned).
template <class T>
__global__ void silu_mul_packed_kernel(const T* __restrict__ gate_up, T* __restrict__ out, int64_t rows, int64_t cols) {
  const int64_t packs_per_row = cols / 8, total = rows * packs_per_row;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = i / packs_per_row, col = (i - row * packs_per_row) * 8;
    Pack<T, 8> gate, up, result;
    gate.load(gate_up + row * 2 * cols + col);
    up.load(gate_up + row * 2 * cols + cols + col);
#pragma unroll
    for (int e = 0; e < 8; ++e) result.set(e, silu_times<T>(gate[e], up[e]));
    result.store(out + row * cols + col);
  }
}

// ---- RoPE + KV-cache write ---------------------------------------------------------------------

// x * cos + swapped * signed_sin with each product rounded to T, then the sum: apply_rope's roundings
// (__fmul_rn/__fadd_rn so that float32 does not contract to a fused multiply-add).
template <class T>
__device__ __forceinline__ float rope_element(float x, float swapped, float cos, float signed_sin) {
  return __fadd_rn(rounded<T>(__fmul_rn(x, cos)), rounded<T>(__fmul_rn(swapped, signed_sin)));
}

// Where element d of head `head` (q, k or v in qkv's order) of token t in row `row` goes.
__device__ __forceinline__ int64_t rope_destination(const RopeCacheWrite& a, int64_t row, int64_t t, int64_t slot, int64_t head,
                                                    int64_t d) {
  if (head < a.heads) return ((row * a.heads + head) * a.tokens + t) * a.head_dim + d;
  const int64_t kv_head = head < a.heads + a.kv_heads ? head - a.heads : head - a.heads - a.kv_heads;
  return ((row * a.kv_heads + kv_head) * a.capacity + slot + t) * a.head_dim + d;
}

template <class T>
__device__ __forceinline__ T* rope_target(const RopeCacheWrite& a, int64_t head) {
  if (head < a.heads) return static_cast<T*>(a.q_out);
  return static_cast<T*>(head < a.heads + a.kv_heads ? a.key_cache : a.value_cache);
}

// Any head size: block (row and token, head), one thread per element of the head.
template <class T>
__global__ void rope_cache_write_kernel(RopeCacheWrite a) {
  const int64_t row = blockIdx.x / a.tokens, t = blockIdx.x % a.tokens, head = blockIdx.y, d = threadIdx.x;
  const int64_t width = (a.heads + 2 * a.kv_heads) * a.head_dim;
  const T* x = static_cast<const T*>(a.qkv) + (row * a.tokens + t) * width + head * a.head_dim;
  const int64_t slot = a.slot != nullptr ? *a.slot : a.first_slot;
  T* out = rope_target<T>(a, head) + rope_destination(a, row, t, slot, head, d);
  if (head >= a.heads + a.kv_heads) {  // value: stored as it is
    *out = x[d];
    return;
  }
  const int64_t half = a.head_dim / 2;
  const int64_t table = (row * a.tokens + t) * a.head_dim + d;
  const float cos = to_float(static_cast<const T*>(a.cos)[table]), sin = to_float(static_cast<const T*>(a.signed_sin)[table]);
  *out = from_float<T>(rope_element<T>(to_float(x[d]), to_float(x[d < half ? d + half : d - half]), cos, sin));
}

// Half a head a multiple of 8 elements, 16-byte aligned rows: one block per (row, token); each
// task rotates 8 elements of a head's first half together with their partners in the second half
// (each half is the other's rotate_half), with 16-byte loads and stores.
constexpr int kRopeThreads = 128;

template <class T>
__global__ void __launch_bounds__(kRopeThreads) rope_cache_write_packed_kernel(RopeCacheWrite a) {
  const int64_t row = blockIdx.x / a.tokens, t = blockIdx.x % a.tokens;
  const int64_t half = a.head_dim / 2, chunks = half / 8, all_heads = a.heads + 2 * a.kv_heads;
  const T* x = static_cast<const T*>(a.qkv) + (row * a.tokens + t) * all_heads * a.head_dim;
  const T* cos = static_cast<const T*>(a.cos) + (row * a.tokens + t) * a.head_dim;
  const T* sin = static_cast<const T*>(a.signed_sin) + (row * a.tokens + t) * a.head_dim;
  const int64_t slot = a.slot != nullptr ? *a.slot : a.first_slot;
  for (int64_t task = threadIdx.x; task < all_heads * chunks; task += kRopeThreads) {
    const int64_t head = task / chunks, d = (task % chunks) * 8;
    Pack<T, 8> low, high;
    low.load(x + head * a.head_dim + d);
    high.load(x + head * a.head_dim + half + d);
    T* out = rope_target<T>(a, head) + rope_destination(a, row, t, slot, head, d);
    if (head < a.heads + a.kv_heads) {
      Pack<T, 8> cos_low, cos_high, sin_low, sin_high, rotated_low, rotated_high;
      cos_low.load(cos + d), cos_high.load(cos + half + d);
      sin_low.load(sin + d), sin_high.load(sin + half + d);
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        rotated_low.set(e, rope_element<T>(low[e], high[e], cos_low[e], sin_low[e]));
        rotated_high.set(e, rope_element<T>(high[e], low[e], cos_high[e], sin_high[e]));
      }
      low = rotated_low, high = rotated_high;
    }
    low.store(out);
    high.store(out + half);
  }
}

}  // namespace soar::kernels::step
