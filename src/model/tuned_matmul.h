// y = x · weightᵀ through cuBLASLt with, per shape, the fastest of the library's candidate
// algorithms, measured on the device the first time the shape is seen. For the small-row matmuls
// of a decoding step (rows = batch) cuBLAS's first choice leaves a third of the matmul rate
// unused (docs/benchmarks.md, "Sampler"); the other candidates (other tiles, split-K) are timed
// once and the fastest is kept for the rest of the process.
//
// Reproducibility: candidates sum in different orders, so bf16 results can differ in the last bits
// between two processes that chose differently; one process always uses its first choice.
// Built only with SOAR_CUDA (tuned_matmul.cpp); fused::linear decides when to use it.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace soar::tuned_matmul {

// The most rows a tuned matmul takes: decoding steps and last-token logits, not prefills or
// training batches, whose row counts vary from call to call (each would be timed anew).
constexpr int64_t kMaxRows = 1024;

// Whether linear() takes these: x [M, K] and weight [N, K] contiguous on one CUDA device, both
// bf16 or both fp16, 16-byte aligned, 0 < M ≤ kMaxRows.
bool supports(const at::Tensor& x, const at::Tensor& weight);

// x [M, K] · weightᵀ -> [M, N] in x's dtype, float32 accumulation. The first call for a shape
// times the candidates on the current stream; under CUDA graph capture (where nothing can be
// timed) an untimed shape takes cuBLASLt's first candidate without remembering it.
at::Tensor linear(const at::Tensor& x, const at::Tensor& weight);

// What was measured for one shape: the first candidate (cuBLASLt's own choice) against the chosen.
struct TunedShape {
  int64_t rows, cols, depth;  // M, N, K
  int candidates, chosen;
  double first_us, chosen_us;
};
std::vector<TunedShape> tuned_shapes();

}  // namespace soar::tuned_matmul
