// The model's projections, y = x Wᵀ + b, with a CPU kernel of its own for the few rows of a
// decoding step. There ATen's float32 GEMM reads a [N, K] weight at 5-11 GB/s for 1-16 rows of x
// (bench/real_model_bench, docs/benchmarks.md), under half this machine's memory bandwidth; a
// decoding step is bound by that read (all weights once per token). The streaming kernel reads
// each weight row once for all rows of x, 16 floats at a time, with the rows of x in L1.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace soar {

// The most rows of x the streaming kernel takes; above it ATen's GEMM is faster (measured).
constexpr int64_t kStreamingRows = 4;

// Whether linear() below runs the streaming kernel for these operands: CPU, float32, no autograd
// recording, at most kStreamingRows rows (the product of x's leading dimensions), a contiguous
// weight and bias.
bool streams(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// at::linear(x, weight, bias) (bias may be undefined). Through the streaming kernel where
// streams() says so: each output is summed in a fixed order by one thread, so the result does
// not depend on the thread count; it differs from ATen's in float rounding only.
at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias = {});

}  // namespace soar
