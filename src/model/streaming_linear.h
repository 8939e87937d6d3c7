// The model's projections, y = x Wᵀ + b, with a CPU kernel of its own for the few rows of a
// decoding step. There ATen's float32 GEMM reads a [N, K] weight at 5-11 GB/s for 1-16 rows of x
// (bench/streaming_linear_bench, docs/benchmarks.md), under half this machine's memory bandwidth; a
// decoding step is bound by that read (all weights once per token). The streaming kernel reads
// each weight row once for all rows of x, 16 floats at a time, with the rows of x in L1.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace soar {

// The most rows of x the streaming kernel takes, and the most floats of x (rows x k): the rows of x
// stay in half the 32 KB L1 while a weight row streams past them. Beyond either, ATen's GEMM was as
// fast or faster (bench/streaming_linear_bench: SmolLM2's down projection, k = 1536, at 4 rows 0.8x;
// 8 rows of any shape 0.5-1.1x).
constexpr int64_t kStreamingRows = 4;
constexpr int64_t kStreamingFloats = 4096;

// Rows of x above the streaming kernel's that linear() still treats apart, up to this many and
// with k at most kSwappedMaxK: ATen's GEMM with the operands swapped, W xᵀ transposed back, so that
// MKL packs the few rows of x instead of copying the whole weight on every call (1.3-2.3x at 8
// rows for k = 576; 0.7x for k = 1536, hence the bound).
constexpr int64_t kSwappedRows = 8;
constexpr int64_t kSwappedMaxK = 1024;

// Whether linear() below runs the streaming kernel for these operands: CPU, float32, no autograd
// recording, at most kStreamingRows rows (the product of x's leading dimensions) holding at most
// kStreamingFloats, a contiguous weight and bias.
bool streams(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// Whether linear() swaps the operands: as streams(), but for kStreamingRows < rows <= kSwappedRows
// (whatever rows x k) with k <= kSwappedMaxK, and only for one position per sequence (x is
// [rows, k] or [..., 1, k]: a decoding step). A prompt's positions keep ATen's GEMM as
// transformers calls it: swapped, the rounding of SmolLM2's logits on 24 short prompts moved to
// 1.4e-4 from transformers', over the 1e-4 that gguf_smollm2_test holds them to.
bool swaps(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// at::linear(x, weight, bias) (bias may be undefined). Through the streaming kernel where
// streams() says so: each output is summed in a fixed order by one thread, so the result does
// not depend on the thread count; it differs from ATen's in float rounding only. Where swaps()
// says so, through ATen's GEMM with the operands swapped.
at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias = {});

}  // namespace soar
