// The fused decoding kernels of decode_kernels.h for float32 on the CPU: the same functions, so
// that a CPU decoding step is ~10 calls per layer instead of ~30 ATen operations (each with its
// dispatch and its temporary), and attention reads each kv head's cache once for its query group
// and only up to the newest slot. Parallel over rows (or row x kv head) with ATen's thread pool;
// every output element is computed by one thread in a fixed order, so results do not depend on
// the thread count. The tensor checks live in fused_ops.cpp.
#pragma once

#include <cstdint>

#include "model/decode_kernels.h"

namespace soar::cpu_kernels {

// As kernels::add_rms_norm for float32.
void add_rms_norm(float* residual, const float* delta, const float* weight, float* normed, int64_t rows, int64_t cols,
                  float eps);

// As kernels::silu_mul for float32.
void silu_mul(const float* gate_up, float* out, int64_t rows, int64_t cols);

// As kernels::rope_cache_write for float32 (the slot pointer, when given, is a host address).
void rope_cache_write(const kernels::RopeCacheWrite& args);

// Whether decode_attention takes this head size: 16, 32, ..., 128, or 256.
bool decode_attention_supports(int64_t head_dim);

// As kernels::decode_attention for float32 (the slot pointer is a host address).
void decode_attention(const kernels::DecodeAttention& args);

}  // namespace soar::cpu_kernels
