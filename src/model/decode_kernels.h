// CUDA kernels that fuse the small steps of a no-grad forward (chiefly the sampler's decoding
// step, where each of ~500 launches per step moves only a few MB): residual add + RMSNorm, SiLU
// gate, RoPE + KV-cache write, and grouped-query attention of one new token over the cache. Raw
// pointers and plain types only (nvcc compiles these as C++17 without torch headers); the tensor
// checks live in fused_ops.cpp. Rounding follows transformers' bf16 order wherever it rounds.
// Built only with SOAR_CUDA (decode_kernels.cu).
#pragma once

#include <cstdint>

namespace soar::kernels {

enum class Element { Float, BFloat16, Half };

// Per row of `cols` elements: when `delta` is given, residual = residual + delta (rounded to the
// element type, in place); then normed = weight * round(residual * rsqrt(mean(residual²) + eps)),
// as transformers' RMSNorm (float32 statistics, one cast before the weight).
void add_rms_norm(Element type, void* residual, const void* delta, const void* weight, void* normed, int64_t rows,
                  int64_t cols, float eps, void* stream);

// out[r, i] = round(round(silu(gate_up[r, i])) * gate_up[r, cols + i]) for a [rows, 2 * cols]
// input (gate then up, as the stacked projection writes them) and a [rows, cols] output.
void silu_mul(Element type, const void* gate_up, void* out, int64_t rows, int64_t cols, void* stream);

struct RopeCacheWrite {
  const void* qkv;          // [batch, tokens, (heads + 2 * kv_heads) * head_dim]: q, k, v of the new tokens
  const void* cos;          // [batch, tokens, head_dim], the RoPE tables of each token's position
  const void* signed_sin;   // [batch, tokens, head_dim]: sin with the sign of rotate_half folded in
  void* q_out;              // [batch, heads, tokens, head_dim]: rotated queries
  void* key_cache;          // [batch, kv_heads, capacity, head_dim]: rotated key of token t written at slot + t
  void* value_cache;        // same shape: value of token t written at slot + t
  const int64_t* slot;      // device scalar: the cache slot of the first new token; null: first_slot
  int64_t first_slot;
  int64_t batch, tokens, heads, kv_heads, head_dim, capacity;
};
// RoPE as transformers rounds it (x * cos and rotate_half(x) * sin each rounded, then their sum),
// applied to q and k, with k and v stored into the cache: one launch instead of about eight.
void rope_cache_write(Element type, const RopeCacheWrite& args, void* stream);

struct DecodeAttention {
  const void* q;            // [batch, heads, head_dim]
  const void* key_cache;    // [batch, kv_heads, capacity, head_dim]
  const void* value_cache;  // same shape
  const bool* valid;        // [batch, capacity]: slots holding real tokens
  const int64_t* slot;      // device scalar: the newest filled slot; slots after it are not read
  void* out;                // [batch, heads, head_dim]
  int64_t batch, heads, kv_heads, head_dim, capacity;
  int64_t max_slots;        // upper bound on the slots read (<= capacity)
  float scale;              // softmax scale, usually 1 / sqrt(head_dim)
};
// softmax(q k^T * scale) v of one query per row over the valid slots [0, *slot], float32
// arithmetic: the query heads that share a kv head are processed together, so each block reads
// that head's keys and values once, and only up to the newest slot. head_dim must be 64, 128 or 256.
void decode_attention(Element type, const DecodeAttention& args, void* stream);

// Which shape of the attention kernel runs (a benchmarking knob, process-wide): 0 = 8 elements
// per lane, 2 keys per step of a key group, the next step's loads issued before this
// step's arithmetic; 1 = 8 elements, 4 keys, each step's loads then its arithmetic; 2 = tiles of
// 16 keys through tensor-core products (mma.m16n8k16, sm_80+), the probabilities rounded to the
// element type before they weight the values, where decode_attention_on_tensor_cores holds, else
// variant 0; 3 = variant 2 with its registers capped so that 4 blocks fit an SM instead of 3;
// 4 = variant 2 with blocks of 2 warps instead of 4 (8 per SM, each warp twice the keys).
// All compute the same function. The default is 4, the fastest end to end on an H200 (sampler
// benchmark, Llama-3.2-3B, batch 256: 36.7k tok/s against 34.8k for variant 0; docs/benchmarks.md).
constexpr int kDefaultDecodeAttentionVariant = 4;
void set_decode_attention_variant(int variant);
// Whether variants 2-4 run on tensor cores for these elements, head size and query heads per kv
// head (16-bit elements, head size 64 or 128, at most 8 heads, kernels built for sm_80+).
bool decode_attention_on_tensor_cores(Element type, int64_t head_dim, int64_t group);

}  // namespace soar::kernels
