// The one-pass token draw's kernel (device code only; token_sampling.cu launches it). In a header
// of its own so that a CPU test can compile the same source for the host and run it through an
// emulated warp (tests/model/token_sampling_emulation_test.cpp, via tests/support/cuda_emulation.h).
#pragma once

#include <curand_philox4x32_x.h>

#include <cmath>

#include "model/cuda_elements.cuh"
#include "model/token_sampling.h"

namespace soar::kernels::sampling {

using namespace cuda;

constexpr int kSamplingThreads = 512;
constexpr int kSamplingWarps = kSamplingThreads / 32;
constexpr int kAhead = 4;  // packs a thread loads before visiting them

// Uniforms from 23 random bits lie in [2^-24, 1 - 2^-24] (all exactly representable), so the
// Gumbel noise -log(-log u) lies in [-2.8, 16.64]: an element whose scaled logit is more than
// kMaxNoise below the best noisy value so far cannot win.
constexpr float kMaxNoise = 16.7f;

__device__ __forceinline__ float gumbel_noise(unsigned bits) {
  const float u = (static_cast<float>(bits >> 9) + 0.5f) * (1.0f / 8388608.0f);
  // The inner log in full precision: for u near 1 it is tiny and sets the largest noise values.
  return -__logf(-logf(u));
}

// Per thread, then merged: the log-sum-exp state (max, sum of exp(x - max)) and the best noisy
// value with its element (the first on ties) and its scaled logit.
struct Draw {
  float max, sum;
  float best, best_logit;
  int64_t index;

  static __device__ Draw empty() { return {-INFINITY, 0.0f, -INFINITY, 0.0f, 0}; }

  __device__ void add_to_sum(float chunk_max, float chunk_sum) {
    if (chunk_max == -INFINITY) return;
    if (chunk_max > max) {
      sum = sum * __expf(max - chunk_max) + chunk_sum;
      max = chunk_max;
    } else {
      sum += chunk_sum * __expf(chunk_max - max);
    }
  }
  __device__ void offer(float noisy, float logit, int64_t i) {
    if (noisy > best || (noisy == best && i < index)) best = noisy, best_logit = logit, index = i;
  }
  __device__ void merge(const Draw& other) {
    add_to_sum(other.max, other.sum);
    offer(other.best, other.best_logit, other.index);
  }
};

__device__ Draw shuffle_down(const Draw& d, int offset) {
  Draw o;  // lanes past the warp's end get their own values (merged by lanes whose result is unused)
  o.max = __shfl_down_sync(kFullWarp, d.max, offset);
  o.sum = __shfl_down_sync(kFullWarp, d.sum, offset);
  o.best = __shfl_down_sync(kFullWarp, d.best, offset);
  o.best_logit = __shfl_down_sync(kFullWarp, d.best_logit, offset);
  o.index = __shfl_down_sync(kFullWarp, d.index, offset);
  return o;
}

// E consecutive scaled logits starting at element `first` (E = 4 or 8 with `first` a multiple of
// E, so each aligned group of 4 shares one Philox call; or E = 1).
template <int E>
__device__ __forceinline__ void visit(Draw& d, const float (&x)[E], int64_t first, bool greedy, uint2 key, uint4 counter) {
  float chunk_max = x[0];
#pragma unroll
  for (int e = 1; e < E; ++e) chunk_max = fmaxf(chunk_max, x[e]);
  float chunk_sum = 0.0f;
#pragma unroll
  for (int e = 0; e < E; ++e) chunk_sum += __expf(x[e] - chunk_max);
  d.add_to_sum(chunk_max, chunk_sum);
  if (greedy) {
#pragma unroll
    for (int e = 0; e < E; ++e) d.offer(x[e], x[e], first + e);
    return;
  }
  if (chunk_max + kMaxNoise <= d.best) return;  // no element here can win: skip its noise
  constexpr int kGroups = E >= 4 ? E / 4 : 1;
#pragma unroll
  for (int g = 0; g < kGroups; ++g) {
    const int64_t group_first = first + 4 * g;
    counter.x = static_cast<unsigned>(group_first >> 2);
    counter.y = static_cast<unsigned>(group_first >> 34);
    const uint4 r = curand_Philox4x32_10(counter, key);
    const unsigned bits[4] = {r.x, r.y, r.z, r.w};
    if constexpr (E == 1) {
      d.offer(x[0] + gumbel_noise(bits[first & 3]), x[0], first);
    } else {
#pragma unroll
      for (int j = 0; j < 4; ++j) d.offer(x[4 * g + j] + gumbel_noise(bits[j]), x[4 * g + j], group_first + j);
    }
  }
}

template <class T, int E>
__global__ void __launch_bounds__(kSamplingThreads, 2) sample_tokens_kernel(TokenSampling a) {
  const int64_t row = blockIdx.x;
  const T* logits = static_cast<const T*>(a.logits) + row * a.vocab;
  const bool greedy = a.inverse_temperature <= 0.0f;
  const float scale = greedy ? 1.0f : a.inverse_temperature;
  uint2 key = make_uint2(0, 0);
  if (!greedy) {
    const uint64_t seed = static_cast<uint64_t>(*a.seed);
    key = make_uint2(static_cast<unsigned>(seed), static_cast<unsigned>(seed >> 32));
  }
  const uint4 counter_row = make_uint4(0, 0, static_cast<unsigned>(row), static_cast<unsigned>(static_cast<uint64_t>(row) >> 32));

  Draw d = Draw::empty();
  const int64_t packs = a.vocab / E;
  if constexpr (E > 1) {
    // kAhead packs per thread are loaded before any is visited, so that their memory latencies
    // overlap; the packs are visited in the same order as one at a time (the same draw).
    for (int64_t first = threadIdx.x; first < packs; first += kAhead * kSamplingThreads) {
      Pack<T, E> loaded[kAhead];
#pragma unroll
      for (int j = 0; j < kAhead; ++j) {
        if (first + j * kSamplingThreads < packs) loaded[j].load(logits + (first + j * kSamplingThreads) * E);
      }
#pragma unroll
      for (int j = 0; j < kAhead; ++j) {
        const int64_t p = first + j * kSamplingThreads;
        if (p >= packs) break;
        float x[E];
#pragma unroll
        for (int e = 0; e < E; ++e) x[e] = loaded[j][e] * scale;
        visit<E>(d, x, p * E, greedy, key, counter_row);
      }
    }
  }
  for (int64_t i = (E > 1 ? packs * E : 0) + threadIdx.x; i < a.vocab; i += kSamplingThreads) {  // the tail, or all
    const float x[1] = {to_float(logits[i]) * scale};
    visit<1>(d, x, i, greedy, key, counter_row);
  }

  for (int offset = 16; offset > 0; offset /= 2) d.merge(shuffle_down(d, offset));
  __shared__ Draw warps[kSamplingWarps];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) warps[warp] = d;
  __syncthreads();
  if (warp != 0) return;
  d = lane < kSamplingWarps ? warps[lane] : Draw::empty();
  for (int offset = 16; offset > 0; offset /= 2) d.merge(shuffle_down(d, offset));
  if (lane == 0) {
    a.tokens[row] = d.index;
    a.logprobs[row] = d.best_logit - (d.max + logf(d.sum));
  }
}

}  // namespace soar::kernels::sampling
