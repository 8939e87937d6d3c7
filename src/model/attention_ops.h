// Scaled dot-product attention as the decoder calls it in its full-sequence forwards: grouped kv
// heads repeated for backends that need it, and plain causal attention on the fused kernels.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace soar {

// [B, kv_heads, S, D] -> [B, kv_heads * repeats, S, D], head h reading kv head h / repeats (HF repeat_kv).
at::Tensor repeat_kv(const at::Tensor& x, int64_t repeats);

// Causal attention without a mask: q [B, heads, T, D], k and v [B, kv_heads, T, D] -> [B, heads, T, D].
// Every query position is real, or the caller ignores the outputs of padding on the right.
at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

}  // namespace soar
