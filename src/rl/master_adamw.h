// The trainer's AdamW step for a bf16 policy with float32 master weights, as one CUDA kernel per
// parameter: it reads the bf16 gradient, the master weight and both moments once, and writes the
// master, the moments and the bf16 weight rounded from the master. The same arithmetic as ATen's
// fused AdamW (decoupled weight decay, bias-corrected moments, eps outside the square root), which
// needs float32 gradients staged and a separate copy back to bf16: 28 bytes of traffic per
// parameter instead of 40. Built only with SOAR_CUDA (master_adamw.cu).
#pragma once

#include <cstdint>

namespace soar {

struct MasterAdamWStep {
  float lr, beta1, beta2, eps, weight_decay;
  float bias_correction1;       // 1 - beta1^step
  float bias_correction2_sqrt;  // sqrt(1 - beta2^step)
  const float* inverse_clip;    // device scalar: gradients are divided by it (1 / clip factor)
};

// Updates n elements on `stream` (a cudaStream_t). Throws std::runtime_error on a launch error.
void launch_master_adamw(const void* grad_bf16, float* master, float* exp_avg, float* exp_avg_sq, void* param_bf16,
                         int64_t n, const MasterAdamWStep& step, void* stream);

}  // namespace soar
