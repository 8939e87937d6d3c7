// Tensor-level entry points to the fused kernels, with their shape, dtype and layout checks: on a
// GPU the CUDA kernels of decode_kernels.h, on the CPU (float32) those of cpu_fused_kernels.h.
// Used by no-grad forwards (CausalLMImpl::set_fused_kernels); where `available` is false the
// model runs its ATen path.
#pragma once

#include <ATen/ATen.h>

#include <utility>

#include "model/rope.h"

namespace soar::fused {

// Whether the kernels can run on x: float32 on the CPU, or, in a CUDA build, float32, bf16 or fp16
// on a CUDA device.
bool available(const at::Tensor& x);

// residual [..., C] (contiguous) += delta in place when delta is defined; returns
// RMSNorm(residual) * weight as transformers rounds it.
at::Tensor add_rms_norm(at::Tensor& residual, const at::Tensor& delta, const at::Tensor& weight, double eps);

// silu(gate) * up of a stacked projection's output [..., 2 I] (gate first) -> [..., I].
at::Tensor silu_mul(const at::Tensor& gate_up);

// For T new tokens per row: qkv [B, T, (heads + 2 kv_heads) D] (contiguous);
// RoPE on q and k; k and v written to keys/values [B, kv_heads, capacity, D] at slots slot + t, the
// first slot a scalar [1] on the cache's device (`slot`, decoding steps, in CUDA graphs on a GPU)
// or, when `slot` is undefined, the host's `first_slot` (prefill). Returns q [B, heads, T, D].
at::Tensor rope_cache_write(const at::Tensor& qkv, const RopeTables& rope, at::Tensor& keys, at::Tensor& values,
                            const at::Tensor& slot, int64_t first_slot, int64_t heads, int64_t kv_heads);

// Whether decode_attention supports this head size on this device (CUDA: 64, 128 or 256; CPU: 16,
// 32, ..., 128, or 256).
bool decode_attention_supports(int64_t head_dim, const at::Device& device);

// Attention of q [B, heads, D] over the cache's valid slots [0, slot] (at most max_slots):
// returns [B, heads, D].
at::Tensor decode_attention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values, const at::Tensor& valid,
                            const at::Tensor& slot, int64_t max_slots);

// The GPU's alone (the CPU has its draw in sampling/token_draw.h):
// one token per row of logits [rows, vocab] (contiguous CUDA float32/bf16/fp16) drawn from
// softmax(logits / temperature), or the argmax when temperature <= 0 (the first on ties), in one
// pass over the logits (kernels::sample_tokens); returns the tokens (int64 [rows]) and their
// float32 log-probabilities log_softmax(logits / temperature) (greedy: of the logits). `seed`, a
// CUDA int64 scalar (e.g. drawn from the sampler's generator), keys the random stream; it may be
// undefined when greedy.
std::pair<at::Tensor, at::Tensor> sample_tokens(const at::Tensor& logits, double temperature, const at::Tensor& seed);

// Benchmarking knob, process-wide: which shape of the attention kernel runs (0 to 3;
// kernels::set_decode_attention_variant). Throws soar::Error without a CUDA build.
void set_decode_attention_variant(int variant);

}  // namespace soar::fused
