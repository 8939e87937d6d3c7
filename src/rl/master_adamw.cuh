// The master-weight AdamW kernel (device code only; master_adamw.cu launches it). In a header of its
// own so that a CPU test can compile the same source for the host and run it through an emulated
// warp (tests/rl/master_adamw_emulation_test.cpp, via tests/support/cuda_emulation.h).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "rl/master_adamw.h"

namespace soar::master_adamw_kernels {

struct Moments {
  float param, exp_avg, exp_avg_sq;
};

// ATen's fused AdamW (FusedAdamMathFunctor, ADAMW mode) on one element, in float32.
__device__ __forceinline__ Moments adamw(float grad, float param, float exp_avg, float exp_avg_sq,
                                         const MasterAdamWStep& s, float inverse_clip) {
  grad = grad / inverse_clip;
  param -= s.lr * s.weight_decay * param;
  exp_avg = s.beta1 * exp_avg + (1 - s.beta1) * grad;
  exp_avg_sq = s.beta2 * exp_avg_sq + (1 - s.beta2) * grad * grad;
  const float denom = (sqrtf(exp_avg_sq) / s.bias_correction2_sqrt) + s.eps;
  param -= (s.lr / s.bias_correction1) * exp_avg / denom;
  return {param, exp_avg, exp_avg_sq};
}

// Four elements per thread with 8-byte bf16 and 16-byte float loads (the caller checks alignment),
// then the tail one element at a time.
__global__ void master_adamw_kernel(const __nv_bfloat16* __restrict__ grad, float* __restrict__ master,
                                    float* __restrict__ exp_avg, float* __restrict__ exp_avg_sq,
                                    __nv_bfloat16* __restrict__ param, int64_t n, bool vectorized, MasterAdamWStep s) {
  const float inverse_clip = *s.inverse_clip;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  int64_t first_scalar = 0;
  if (vectorized) {
    const int64_t vectors = n / 4;
    for (int64_t v = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; v < vectors; v += stride) {
      const uint2 g_raw = reinterpret_cast<const uint2*>(grad)[v];
      const __nv_bfloat162 g01 = *reinterpret_cast<const __nv_bfloat162*>(&g_raw.x);
      const __nv_bfloat162 g23 = *reinterpret_cast<const __nv_bfloat162*>(&g_raw.y);
      const float g[4] = {__low2float(g01), __high2float(g01), __low2float(g23), __high2float(g23)};
      float4 p = reinterpret_cast<float4*>(master)[v];
      float4 m = reinterpret_cast<float4*>(exp_avg)[v];
      float4 q = reinterpret_cast<float4*>(exp_avg_sq)[v];
      const Moments r0 = adamw(g[0], p.x, m.x, q.x, s, inverse_clip);
      const Moments r1 = adamw(g[1], p.y, m.y, q.y, s, inverse_clip);
      const Moments r2 = adamw(g[2], p.z, m.z, q.z, s, inverse_clip);
      const Moments r3 = adamw(g[3], p.w, m.w, q.w, s, inverse_clip);
      reinterpret_cast<float4*>(master)[v] = make_float4(r0.param, r1.param, r2.param, r3.param);
      reinterpret_cast<float4*>(exp_avg)[v] = make_float4(r0.exp_avg, r1.exp_avg, r2.exp_avg, r3.exp_avg);
      reinterpret_cast<float4*>(exp_avg_sq)[v] = make_float4(r0.exp_avg_sq, r1.exp_avg_sq, r2.exp_avg_sq, r3.exp_avg_sq);
      const __nv_bfloat162 out01 = __floats2bfloat162_rn(r0.param, r1.param);
      const __nv_bfloat162 out23 = __floats2bfloat162_rn(r2.param, r3.param);
      uint2 out_raw;
      out_raw.x = *reinterpret_cast<const unsigned int*>(&out01);
      out_raw.y = *reinterpret_cast<const unsigned int*>(&out23);
      reinterpret_cast<uint2*>(param)[v] = out_raw;
    }
    first_scalar = vectors * 4;
  }
  for (int64_t i = first_scalar + blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += stride) {
    const Moments r = adamw(__bfloat162float(grad[i]), master[i], exp_avg[i], exp_avg_sq[i], s, inverse_clip);
    master[i] = r.param;
    exp_avg[i] = r.exp_avg;
    exp_avg_sq[i] = r.exp_avg_sq;
    param[i] = __float2bfloat16_rn(r.param);
  }
}

}  // namespace soar::master_adamw_kernels
