#include "rl/master_adamw.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "rl/master_adamw.cuh"

namespace soar {
namespace {

using master_adamw_kernels::master_adamw_kernel;

bool aligned(const void* p, uintptr_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

}  // namespace

void launch_master_adamw(const void* grad_bf16, float* master, float* exp_avg, float* exp_avg_sq, void* param_bf16,
                         int64_t n, const MasterAdamWStep& step, void* stream) {
  if (n <= 0) return;
  const bool vectorized = aligned(grad_bf16, 8) && aligned(param_bf16, 8) && aligned(master, 16) && aligned(exp_avg, 16) &&
                          aligned(exp_avg_sq, 16);
  constexpr int threads = 256;
  const int64_t work = vectorized ? (n + 3) / 4 : n;
  const int blocks = static_cast<int>(std::min<int64_t>((work + threads - 1) / threads, 8192));
  master_adamw_kernel<<<blocks, threads, 0, static_cast<cudaStream_t>(stream)>>>(
      static_cast<const __nv_bfloat16*>(grad_bf16), master, exp_avg, exp_avg_sq, static_cast<__nv_bfloat16*>(param_bf16), n,
      vectorized, step);
  if (cudaError_t error = cudaGetLastError(); error != cudaSuccess) {
    throw std::runtime_error(std::string("master AdamW kernel launch failed: ") + cudaGetErrorString(error));
  }
}

}  // namespace soar
