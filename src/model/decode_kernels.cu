#include "model/decode_kernels.h"

#include <algorithm>
#include <cmath>

#include "model/attention_fragments.h"
#include "model/cuda_elements.cuh"

namespace soar::kernels {
namespace {

using namespace cuda;

// ---- residual add + RMSNorm: one block per row --------------------------------------------------

// Any row length, one element at a time.
template <class T>
__global__ void __launch_bounds__(256) add_rms_norm_kernel(T* __restrict__ residual, const T* __restrict__ delta,
                                                           const T* __restrict__ weight, T* __restrict__ normed,
                                                           int64_t cols, float eps) {
  const int64_t offset = static_cast<int64_t>(blockIdx.x) * cols;
  T* r = residual + offset;
  T* n = normed + offset;
  float squares = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    float h = to_float(r[c]);
    if (delta != nullptr) {
      h = rounded<T>(__fadd_rn(h, to_float(delta[offset + c])));
      r[c] = from_float<T>(h);  // read back below by this same thread
    }
    squares += h * h;
  }
  const float inverse_rms = rsqrtf(block_sum(squares) / static_cast<float>(cols) + eps);
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float scaled = rounded<T>(__fmul_rn(to_float(r[c]), inverse_rms));
    n[c] = from_float<T>(__fmul_rn(to_float(weight[c]), scaled));
  }
}

// Rows of 8-element packs (cols % 8 == 0, 16-byte aligned rows), at most kNormThreads * kNormPacks
// packs: each thread keeps its packs of the row in registers between the two passes.
constexpr int kNormThreads = 128;
constexpr int kNormPacks = 8;

template <class T>
__global__ void __launch_bounds__(kNormThreads) add_rms_norm_packed_kernel(T* __restrict__ residual, const T* __restrict__ delta,
                                                                           const T* __restrict__ weight, T* __restrict__ normed,
                                                                           int64_t cols, float eps) {
  const int64_t offset = static_cast<int64_t>(blockIdx.x) * cols;
  const int packs = static_cast<int>(cols / 8);
  Pack<T, 8> h[kNormPacks], w[kNormPacks];  // the weight is loaded up front: its latency overlaps the row's
  float squares = 0.0f;
#pragma unroll
  for (int j = 0; j < kNormPacks; ++j) {
    const int pack = threadIdx.x + j * kNormThreads;
    if (pack >= packs) break;
    w[j].load(weight + pack * 8);
    h[j].load(residual + offset + pack * 8);
    if (delta != nullptr) {
      Pack<T, 8> d;
      d.load(delta + offset + pack * 8);
#pragma unroll
      for (int e = 0; e < 8; ++e) h[j].set(e, __fadd_rn(h[j][e], d[e]));
      h[j].store(residual + offset + pack * 8);
    }
#pragma unroll
    for (int e = 0; e < 8; ++e) squares += h[j][e] * h[j][e];
  }
  const float inverse_rms = rsqrtf(block_sum(squares) / static_cast<float>(cols) + eps);
#pragma unroll
  for (int j = 0; j < kNormPacks; ++j) {
    const int pack = threadIdx.x + j * kNormThreads;
    if (pack >= packs) break;
    Pack<T, 8> out;
#pragma unroll
    for (int e = 0; e < 8; ++e) out.set(e, __fmul_rn(w[j][e], rounded<T>(__fmul_rn(h[j][e], inverse_rms))));
    out.store(normed + offset + pack * 8);
  }
}

// ---- SiLU(gate) * up -----------------------------------------------------------------------------

template <class T>
__device__ __forceinline__ float silu_times(float gate, float up) {
  const float silu = rounded<T>(gate / (1.0f + expf(-gate)));  // PyTorch's silu in float32, then its output dtype
  return __fmul_rn(silu, up);
}

template <class T>
__global__ void silu_mul_kernel(const T* __restrict__ gate_up, T* __restrict__ out, int64_t rows, int64_t cols) {
  const int64_t total = rows * cols;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = i / cols, col = i - row * cols;
    out[i] = from_float<T>(silu_times<T>(to_float(gate_up[row * 2 * cols + col]), to_float(gate_up[row * 2 * cols + cols + col])));
  }
}

// 8 elements per thread (cols % 8 == 0, 16-byte aligned).
template <class T>
__global__ void silu_mul_packed_kernel(const T* __restrict__ gate_up, T* __restrict__ out, int64_t rows, int64_t cols) {
  const int64_t packs_per_row = cols / 8, total = rows * packs_per_row;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = i / packs_per_row, col = (i - row * packs_per_row) * 8;
    Pack<T, 8> gate, up, result;
    gate.load(gate_up + row * 2 * cols + col);
    up.load(gate_up + row * 2 * cols + cols + col);
#pragma unroll
    for (int e = 0; e < 8; ++e) result.set(e, silu_times<T>(gate[e], up[e]));
    result.store(out + row * cols + col);
  }
}

// ---- RoPE + KV-cache write ---------------------------------------------------------------------

// x * cos + swapped * signed_sin with each product rounded to T, then the sum: apply_rope's roundings
// (__fmul_rn/__fadd_rn so that float32 does not contract to a fused multiply-add).
template <class T>
__device__ __forceinline__ float rope_element(float x, float swapped, float cos, float signed_sin) {
  return __fadd_rn(rounded<T>(__fmul_rn(x, cos)), rounded<T>(__fmul_rn(swapped, signed_sin)));
}

// Where element d of head `head` (q, k or v in qkv's order) of token t in row `row` goes.
__device__ __forceinline__ int64_t rope_destination(const RopeCacheWrite& a, int64_t row, int64_t t, int64_t slot, int64_t head,
                                                    int64_t d) {
  if (head < a.heads) return ((row * a.heads + head) * a.tokens + t) * a.head_dim + d;
  const int64_t kv_head = head < a.heads + a.kv_heads ? head - a.heads : head - a.heads - a.kv_heads;
  return ((row * a.kv_heads + kv_head) * a.capacity + slot + t) * a.head_dim + d;
}

template <class T>
__device__ __forceinline__ T* rope_target(const RopeCacheWrite& a, int64_t head) {
  if (head < a.heads) return static_cast<T*>(a.q_out);
  return static_cast<T*>(head < a.heads + a.kv_heads ? a.key_cache : a.value_cache);
}

// Any head size: block (row and token, head), one thread per element of the head.
template <class T>
__global__ void rope_cache_write_kernel(RopeCacheWrite a) {
  const int64_t row = blockIdx.x / a.tokens, t = blockIdx.x % a.tokens, head = blockIdx.y, d = threadIdx.x;
  const int64_t width = (a.heads + 2 * a.kv_heads) * a.head_dim;
  const T* x = static_cast<const T*>(a.qkv) + (row * a.tokens + t) * width + head * a.head_dim;
  const int64_t slot = a.slot != nullptr ? *a.slot : a.first_slot;
  T* out = rope_target<T>(a, head) + rope_destination(a, row, t, slot, head, d);
  if (head >= a.heads + a.kv_heads) {  // value: stored as it is
    *out = x[d];
    return;
  }
  const int64_t half = a.head_dim / 2;
  const int64_t table = (row * a.tokens + t) * a.head_dim + d;
  const float cos = to_float(static_cast<const T*>(a.cos)[table]), sin = to_float(static_cast<const T*>(a.signed_sin)[table]);
  *out = from_float<T>(rope_element<T>(to_float(x[d]), to_float(x[d < half ? d + half : d - half]), cos, sin));
}

// Half a head a multiple of 8 elements, 16-byte aligned rows: one block per (row, token); each
// task rotates 8 elements of a head's first half together with their partners in the second half
// (each half is the other's rotate_half), with 16-byte loads and stores.
constexpr int kRopeThreads = 128;

template <class T>
__global__ void __launch_bounds__(kRopeThreads) rope_cache_write_packed_kernel(RopeCacheWrite a) {
  const int64_t row = blockIdx.x / a.tokens, t = blockIdx.x % a.tokens;
  const int64_t half = a.head_dim / 2, chunks = half / 8, all_heads = a.heads + 2 * a.kv_heads;
  const T* x = static_cast<const T*>(a.qkv) + (row * a.tokens + t) * all_heads * a.head_dim;
  const T* cos = static_cast<const T*>(a.cos) + (row * a.tokens + t) * a.head_dim;
  const T* sin = static_cast<const T*>(a.signed_sin) + (row * a.tokens + t) * a.head_dim;
  const int64_t slot = a.slot != nullptr ? *a.slot : a.first_slot;
  for (int64_t task = threadIdx.x; task < all_heads * chunks; task += kRopeThreads) {
    const int64_t head = task / chunks, d = (task % chunks) * 8;
    Pack<T, 8> low, high;
    low.load(x + head * a.head_dim + d);
    high.load(x + head * a.head_dim + half + d);
    T* out = rope_target<T>(a, head) + rope_destination(a, row, t, slot, head, d);
    if (head < a.heads + a.kv_heads) {
      Pack<T, 8> cos_low, cos_high, sin_low, sin_high, rotated_low, rotated_high;
      cos_low.load(cos + d), cos_high.load(cos + half + d);
      sin_low.load(sin + d), sin_high.load(sin + half + d);
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        rotated_low.set(e, rope_element<T>(low[e], high[e], cos_low[e], sin_low[e]));
        rotated_high.set(e, rope_element<T>(high[e], low[e], cos_high[e], sin_high[e]));
      }
      low = rotated_low, high = rotated_high;
    }
    low.store(out);
    high.store(out + half);
  }
}

// ---- grouped-query attention of one query per row over the cache --------------------------------
//
// Block = 128 threads for one (row, kv head, chunk of up to 4 query heads: HEADS of them). The
// block splits into key groups of D / E lanes; each lane holds E elements of a key, so a group
// reads one key (and its value) at a time with vector loads, its partial dot products summed by
// shuffles. A group visits U keys per step and keeps an online softmax over the keys it visits,
// updated once per step; the groups merge at the end through shared memory. Scores are in log2
// units (q pre-scaled by scale * log2 e) for exp2f. The keys reach the groups in one of two ways:
//  - Direct: each step's loads (keys, values and validity flags together) are issued before its
//    arithmetic, so memory latency is paid once per step;
//  - Pipelined: the next step's loads are issued before this step's arithmetic.
// Measured on an H200 (docs/benchmarks.md): pipelined with 2 keys per step is the fastest of six
// shapes tried, within 1-3 % of direct with 4; more keys per step, 4 elements per lane, and tiles
// staged through shared memory by asynchronous copies were slower.

constexpr int kAttentionThreads = 128;
constexpr int kMaxHeadsPerBlock = 4;
enum class Feed { Direct, Pipelined };

// The end of a block's attention: `parts` partial softmax states (each part's maximum in log2 units,
// sum and weighted value sums, laid out [part][head] and [part][head][D] with `head_stride` heads per
// part) merged into the normalised outputs of the block's first `heads` query heads (out: the
// first head's output row, the others following at D). Every thread takes a share.
template <class T, int D>
__device__ __forceinline__ void merge_softmax_parts(const float* part_max, const float* part_sum, const float* part_acc, int parts,
                                                    int head_stride, int heads, T* out) {
  for (int i = threadIdx.x; i < heads * D; i += blockDim.x) {
    const int h = i / D, d = i % D;
    float overall_max = -INFINITY;
    for (int p = 0; p < parts; ++p) overall_max = fmaxf(overall_max, part_max[p * head_stride + h]);
    float sum = 0.0f, result = 0.0f;
    for (int p = 0; p < parts; ++p) {
      const float part = part_max[p * head_stride + h];
      if (part == -INFINITY) continue;  // this part saw no valid key
      const float weight = exp2f(part - overall_max);
      sum += part_sum[p * head_stride + h] * weight;
      result += part_acc[(p * head_stride + h) * D + d] * weight;
    }
    out[h * D + d] = from_float<T>(sum > 0.0f ? result / sum : 0.0f);
  }
}

// One thread's share of a key group: its slice of the block's queries and the online softmax over
// the keys its group visits.
template <class T, int D, int HEADS, int E>
struct AttentionGroup {
  static constexpr int kLanesPerKey = D / E;
  static_assert(kLanesPerKey <= 32 && 32 % kLanesPerKey == 0, "a key's lanes must lie in one warp");
  static constexpr int kGroups = kAttentionThreads / kLanesPerKey;
  // The final merge's shared memory in floats: per group and head, the max, the sum and D sums.
  static constexpr int kMergeFloats = kGroups * HEADS * (D + 2);

  float q[HEADS][E];
  float running_max[HEADS], running_sum[HEADS], acc[HEADS][E];

  // q_slice: this lane's E elements of the block's first query head (the others follow at D).
  __device__ __forceinline__ void start(const T* q_slice, int heads_here, float scale) {
    constexpr float kLog2e = 1.4426950408889634f;
#pragma unroll
    for (int h = 0; h < HEADS; ++h) {
      Pack<T, E> loaded;
      if (h < heads_here) {
        loaded.load(q_slice + h * D);
      } else {
        loaded.zero();
      }
#pragma unroll
      for (int e = 0; e < E; ++e) q[h][e] = loaded[e] * scale * kLog2e;
      running_max[h] = -INFINITY;
      running_sum[h] = 0.0f;
#pragma unroll
      for (int e = 0; e < E; ++e) acc[h][e] = 0.0f;
    }
  }

  // Takes U keys (with their values; `use`: in range and valid) into the softmax.
  template <int U>
  __device__ __forceinline__ void update(const Pack<T, E> (&k)[U], const Pack<T, E> (&v)[U], const bool (&use)[U]) {
    float score[U][HEADS];
#pragma unroll
    for (int u = 0; u < U; ++u) {
#pragma unroll
      for (int h = 0; h < HEADS; ++h) {
        float partial = 0.0f;
#pragma unroll
        for (int e = 0; e < E; ++e) partial += q[h][e] * k[u][e];
        score[u][h] = partial;
      }
    }
#pragma unroll
    for (int offset = kLanesPerKey / 2; offset > 0; offset /= 2) {
#pragma unroll
      for (int u = 0; u < U; ++u) {
#pragma unroll
        for (int h = 0; h < HEADS; ++h) score[u][h] += __shfl_xor_sync(kFullWarp, score[u][h], offset);
      }
    }
#pragma unroll
    for (int h = 0; h < HEADS; ++h) {
      float step_max = running_max[h];
#pragma unroll
      for (int u = 0; u < U; ++u) step_max = use[u] ? fmaxf(step_max, score[u][h]) : step_max;
      if (step_max == -INFINITY) continue;  // no valid key yet (the same for the whole key group)
      const float correction = exp2f(running_max[h] - step_max);
      running_sum[h] *= correction;
#pragma unroll
      for (int e = 0; e < E; ++e) acc[h][e] *= correction;
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const float p = use[u] ? exp2f(score[u][h] - step_max) : 0.0f;
        running_sum[h] += p;
#pragma unroll
        for (int e = 0; e < E; ++e) acc[h][e] += p * v[u][e];
      }
      running_max[h] = step_max;
    }
  }

  // Merges the groups' softmax states through `shared` (kMergeFloats floats) and writes the block's
  // normalised outputs; out: the block's first query head's output row (the others follow at D).
  __device__ __forceinline__ void finish(float* shared, int key_group, int lane, int heads_here, T* out) {
    float* shared_max = shared;                        // [kGroups][HEADS]
    float* shared_sum = shared + kGroups * HEADS;      // [kGroups][HEADS]
    float* shared_acc = shared + 2 * kGroups * HEADS;  // [kGroups][HEADS][D]
#pragma unroll
    for (int h = 0; h < HEADS; ++h) {
#pragma unroll
      for (int e = 0; e < E; ++e) shared_acc[(key_group * HEADS + h) * D + lane * E + e] = acc[h][e];
      if (lane == 0) {
        shared_max[key_group * HEADS + h] = running_max[h];
        shared_sum[key_group * HEADS + h] = running_sum[h];
      }
    }
    __syncthreads();
    merge_softmax_parts<T, D>(shared_max, shared_sum, shared_acc, kGroups, HEADS, heads_here, out);
  }
};

// The block's place: its row, kv head and query heads, and how many slots it reads.
struct AttentionBlock {
  int64_t row, kv_head, first_head, count;
  int heads_here;

  __device__ AttentionBlock(const DecodeAttention& a, int group, int chunks, int heads_per_block) {
    const int64_t chunk = blockIdx.x % chunks, row_head = blockIdx.x / chunks;
    row = row_head / a.kv_heads;
    kv_head = row_head % a.kv_heads;
    first_head = kv_head * group + chunk * heads_per_block;
    heads_here = min(heads_per_block, group - static_cast<int>(chunk) * heads_per_block);
    const int64_t newest = *a.slot + 1;
    count = newest < a.max_slots ? newest : a.max_slots;
  }
  __device__ int64_t head_offset(const DecodeAttention& a) const { return (row * a.kv_heads + kv_head) * a.capacity * a.head_dim; }
  __device__ int64_t query_offset(const DecodeAttention& a) const { return (row * a.heads + first_head) * a.head_dim; }
};

template <class T, int D, int HEADS, int E, int U, Feed FEED>
__global__ void __launch_bounds__(kAttentionThreads) decode_attention_kernel(DecodeAttention a, int group, int chunks) {
  using Group = AttentionGroup<T, D, HEADS, E>;
  constexpr int kGroups = Group::kGroups;
  __shared__ float merge[Group::kMergeFloats];
  const AttentionBlock block(a, group, chunks, HEADS);
  const int key_group = threadIdx.x / Group::kLanesPerKey, lane = threadIdx.x % Group::kLanesPerKey;
  const int dim0 = lane * E;
  Group g;
  g.start(static_cast<const T*>(a.q) + block.query_offset(a) + dim0, block.heads_here, a.scale);

  const int64_t count = block.count;
  const T* keys = static_cast<const T*>(a.key_cache) + block.head_offset(a) + dim0;
  const T* values = static_cast<const T*>(a.value_cache) + block.head_offset(a) + dim0;
  const bool* valid = a.valid + block.row * a.capacity;
  // Every thread runs the same number of steps (shuffles need the whole warp); slots past the end
  // are not loaded, invalid ones are loaded (they are in bounds) and left out of the update.
  constexpr int64_t kStride = static_cast<int64_t>(kGroups) * U;
  auto load = [&](int64_t base, Pack<T, E>(&k)[U], Pack<T, E>(&v)[U], bool(&use)[U]) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int64_t slot = base + u * kGroups + key_group;
      if (slot < count) {
        use[u] = valid[slot];
        k[u].load(keys + slot * D);
        v[u].load(values + slot * D);
      } else {
        use[u] = false;
        k[u].zero();
        v[u].zero();
      }
    }
  };
  Pack<T, E> k[U], v[U];
  bool use[U];
  if constexpr (FEED == Feed::Pipelined) {
    load(0, k, v, use);
    for (int64_t base = 0; base < count; base += kStride) {
      Pack<T, E> k_next[U], v_next[U];
      bool use_next[U];
      load(base + kStride, k_next, v_next, use_next);
      g.template update<U>(k, v, use);
#pragma unroll
      for (int u = 0; u < U; ++u) k[u] = k_next[u], v[u] = v_next[u], use[u] = use_next[u];
    }
  } else {
    for (int64_t base = 0; base < count; base += kStride) {
      load(base, k, v, use);
      g.template update<U>(k, v, use);
    }
  }
  g.finish(merge, key_group, lane, block.heads_here, static_cast<T*>(a.out) + block.query_offset(a));
}

// ---- the same attention on tensor cores (variants 2 and 3) ---------------------------------------
//
// Block = 4 warps for one (row, kv head) and all its query heads (at most 8, one n-tile of
// mma.m16n8k16). Warp w takes the 16-key tiles w, w + 4, ...: per tile each lane loads its runs
// of two keys (for the scores) and of four keys (for the output) straight into registers, then
// 2 · D/16 mma give the tile's scores and D/16 its output; attention_fragments.h has the layout
// (proven on the CPU by tests/model/attention_fragments_test.cpp). Lane (g, q) ends up with head
// g's scores of four keys, so a tile's maximum takes two shuffles, and its probabilities are
// already where the output product wants them. The online softmax keeps float32 statistics; the
// probabilities enter the output product rounded to the element type (as in FlashAttention) and
// the sum is taken over the rounded values, so the weights applied are the weights normalised.
// The warps merge through shared memory (merge_softmax_parts, as in variants 0-1). Instead of
// per-key shuffles and float32 multiply-adds (variants 0-1: ~230 instructions per 4 keys per warp)
// a warp spends ~150 per 16 keys.
// Every (row, kv head) block takes the same time, so the grid runs in waves of as many blocks as
// fit the device: at 145 registers (head size 128) 3 blocks fit an SM, and batch 256 x 8 kv heads
// on 132 SMs is 5.2 waves, the last one a fifth full (batch 64: 1.3 waves). MIN_BLOCKS = 4
// (variant 3) caps the registers at 128 so that 4 fit (3.9 and 0.97 waves), at the cost of an
// 8-byte spill (ptxas, sm_90); which is faster is measured (gpu_sampler_bench). MIN_BLOCKS = 0
// sets no minimum. Head size 64 needs no cap (80 registers: 6 blocks per SM; a cap of 4 blocks
// makes ptxas take 104), so there variant 3 is variant 2.

constexpr int kMmaWarps = 4;
constexpr int kMmaMaxHeads = 8;

// D += A B on tensor cores for 16-bit T, float32 accumulators (fragments: attention_fragments.h).
template <class T>
__device__ __forceinline__ void mma_m16n8k16(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if __CUDA_ARCH__ >= 800
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  } else {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
#else
  __trap();  // never launched: mma_attention_compiled() checks the kernel's architecture
#endif
}

// x rounded to 16-bit T: its bits, and (in `value`) the float it stands for.
template <class T>
__device__ __forceinline__ uint16_t rounded_bits(float x, float& value) {
  const T r = from_float<T>(x);
  value = to_float(r);
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __bfloat16_as_ushort(r);
  } else {
    return __half_as_ushort(r);
  }
}

template <class T, int D, int MIN_BLOCKS>
__global__ void __launch_bounds__(kMmaWarps * 32, MIN_BLOCKS) decode_attention_mma_kernel(DecodeAttention a, int group) {
  namespace fr = fragments;
  constexpr int kRun = D / 16;  // elements of one value run
  constexpr float kLog2e = 1.4426950408889634f;
  __shared__ float merge_max[kMmaWarps][kMmaMaxHeads], merge_sum[kMmaWarps][kMmaMaxHeads];
  __shared__ float merge_out[kMmaWarps][kMmaMaxHeads][D];
  const AttentionBlock block(a, group, 1, kMmaMaxHeads);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, quad = lane % 4;
  const bool head_here = g < block.heads_here;

  uint32_t query[D / 8];  // head g's runs score_run(0..D/32-1, quad), zero past the group
  {
    const T* q = static_cast<const T*>(a.q) + block.query_offset(a) + g * D;
#pragma unroll
    for (int c = 0; c < D / 32; ++c) {
      Pack<T, 8> run;
      if (head_here) {
        run.load(q + fr::score_run(c, quad));
      } else {
        run.zero();
      }
#pragma unroll
      for (int w = 0; w < 4; ++w) query[4 * c + w] = run.w[w];
    }
  }
  const int64_t count = block.count;
  const T* keys = static_cast<const T*>(a.key_cache) + block.head_offset(a);
  const T* values = static_cast<const T*>(a.value_cache) + block.head_offset(a);
  const bool* valid = a.valid + block.row * a.capacity;
  const float scale = a.scale * kLog2e;  // scores in log2 units for exp2f
  float running_max = -INFINITY;         // head g's, over the warp's keys so far
  float running_sum = 0.0f;              // head g's, over this lane's keys (summed over the quad at the end)
  float out[D / 16][4] = {};             // m-tile mt, c_i: head output_head(i, quad), dim output_dim(mt, g + 8 (i / 2))

#pragma unroll 1
  for (int64_t base = 16 * warp; base < count; base += 16 * kMmaWarps) {
    // Slots past the newest are clamped to it (in bounds, finite) and left out of the softmax.
    uint32_t key_words[2][D / 8];
#pragma unroll
    for (int ntile = 0; ntile < 2; ++ntile) {
      const int64_t slot = min(base + fr::score_key(ntile, g), count - 1);
#pragma unroll
      for (int c = 0; c < D / 32; ++c) {
        Pack<T, 8> run;
        run.load(keys + slot * D + fr::score_run(c, quad));
#pragma unroll
        for (int w = 0; w < 4; ++w) key_words[ntile][4 * c + w] = run.w[w];
      }
    }
    Pack<T, kRun> value_runs[4][2];
    bool use[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t slot = base + fr::value_key(j, quad), read = min(slot, count - 1);
      use[j] = head_here && slot < count && valid[read];
#pragma unroll
      for (int half = 0; half < 2; ++half) value_runs[j][half].load(values + read * D + fr::value_run<D>(half, g));
    }

    float score[2][4] = {};
#pragma unroll
    for (int kstep = 0; kstep < D / 16; ++kstep) {
      uint32_t qa[4];
      fr::score_a(query, kstep, qa);
#pragma unroll
      for (int ntile = 0; ntile < 2; ++ntile) {
        uint32_t kb[2];
        fr::score_b(key_words[ntile], kstep, kb);
        mma_m16n8k16<T>(score[ntile], qa, kb);
      }
    }
    float x[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) x[j] = use[j] ? score[j / 2][j % 2] * scale : -INFINITY;
    float tile_max = fmaxf(fmaxf(x[0], x[1]), fmaxf(x[2], x[3]));
    tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullWarp, tile_max, 1));
    tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullWarp, tile_max, 2));
    const float new_max = fmaxf(running_max, tile_max);
    const float correction = new_max == -INFINITY ? 1.0f : exp2f(running_max - new_max);
    uint16_t p[4];
    float tile_sum = 0.0f;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      float weight;
      p[j] = rounded_bits<T>(use[j] ? exp2f(x[j] - new_max) : 0.0f, weight);
      tile_sum += weight;
    }
    running_sum = running_sum * correction + tile_sum;
    running_max = new_max;

    // This lane accumulates heads 2q and 2q+1, whose corrections lanes 8q and 8q + 4 computed.
    const float correction_even = __shfl_sync(kFullWarp, correction, 8 * quad);
    const float correction_odd = __shfl_sync(kFullWarp, correction, 8 * quad + 4);
    uint32_t pb[2];
    fr::probability_b(p, pb);
    const uint32_t* runs[4][2] = {{value_runs[0][0].w, value_runs[0][1].w}, {value_runs[1][0].w, value_runs[1][1].w},
                                  {value_runs[2][0].w, value_runs[2][1].w}, {value_runs[3][0].w, value_runs[3][1].w}};
#pragma unroll
    for (int mt = 0; mt < D / 16; ++mt) {
      out[mt][0] *= correction_even, out[mt][1] *= correction_odd;
      out[mt][2] *= correction_even, out[mt][3] *= correction_odd;
      uint32_t va[4];
      fr::value_a<D>(runs, mt, va);
      mma_m16n8k16<T>(out[mt], va, pb);
    }
  }

  running_sum += __shfl_xor_sync(kFullWarp, running_sum, 1);
  running_sum += __shfl_xor_sync(kFullWarp, running_sum, 2);
  if (quad == 0) merge_max[warp][g] = running_max, merge_sum[warp][g] = running_sum;
#pragma unroll
  for (int mt = 0; mt < D / 16; ++mt) {
#pragma unroll
    for (int i = 0; i < 4; ++i) merge_out[warp][fr::output_head(i, quad)][fr::output_dim<D>(mt, g + 8 * (i / 2))] = out[mt][i];
  }
  __syncthreads();
  merge_softmax_parts<T, D>(&merge_max[0][0], &merge_sum[0][0], &merge_out[0][0][0], kMmaWarps, kMmaMaxHeads, block.heads_here,
                            static_cast<T*>(a.out) + block.query_offset(a));
}

// The tensor-core kernel's minimum of blocks per SM for variant 2 or 3 (see above).
template <int D>
constexpr int mma_min_blocks(int variant) {
  return variant == 3 && D == 128 ? 4 : 0;
}

// Whether the tensor-core kernels for T and D were compiled for sm_80 or later (mma.sync with bf16).
template <class T, int D>
bool mma_attention_compiled() {
  static const bool compiled = [] {
    auto sm80 = [](auto kernel) {
      cudaFuncAttributes attributes{};
      return cudaFuncGetAttributes(&attributes, kernel) == cudaSuccess && attributes.binaryVersion >= 80;
    };
    return sm80(decode_attention_mma_kernel<T, D, mma_min_blocks<D>(2)>) && sm80(decode_attention_mma_kernel<T, D, mma_min_blocks<D>(3)>);
  }();
  return compiled;
}

template <class T>
void launch_add_rms_norm(void* residual, const void* delta, const void* weight, void* normed, int64_t rows, int64_t cols,
                         float eps, cudaStream_t stream) {
  const bool packed = cols % 8 == 0 && cols <= 8 * kNormThreads * kNormPacks && aligned16(residual) && aligned16(weight) &&
                      aligned16(normed) && (delta == nullptr || aligned16(delta));
  if (packed) {
    add_rms_norm_packed_kernel<T><<<static_cast<unsigned>(rows), kNormThreads, 0, stream>>>(
        static_cast<T*>(residual), static_cast<const T*>(delta), static_cast<const T*>(weight), static_cast<T*>(normed), cols, eps);
  } else {
    add_rms_norm_kernel<T><<<static_cast<unsigned>(rows), 256, 0, stream>>>(
        static_cast<T*>(residual), static_cast<const T*>(delta), static_cast<const T*>(weight), static_cast<T*>(normed), cols, eps);
  }
  check_launch("add_rms_norm");
}

template <class T>
void launch_silu_mul(const void* gate_up, void* out, int64_t rows, int64_t cols, cudaStream_t stream) {
  const bool packed = cols % 8 == 0 && aligned16(gate_up) && aligned16(out);
  const int64_t work = packed ? rows * cols / 8 : rows * cols;
  const int threads = 256;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((work + threads - 1) / threads, 65536));
  if (packed) {
    silu_mul_packed_kernel<T><<<blocks, threads, 0, stream>>>(static_cast<const T*>(gate_up), static_cast<T*>(out), rows, cols);
  } else {
    silu_mul_kernel<T><<<blocks, threads, 0, stream>>>(static_cast<const T*>(gate_up), static_cast<T*>(out), rows, cols);
  }
  check_launch("silu_mul");
}

template <class T>
void launch_rope_cache_write(const RopeCacheWrite& a, cudaStream_t stream) {
  const bool packed = (a.head_dim / 2) % 8 == 0 && aligned16(a.qkv) && aligned16(a.cos) && aligned16(a.signed_sin) &&
                      aligned16(a.q_out) && aligned16(a.key_cache) && aligned16(a.value_cache);
  const unsigned row_tokens = static_cast<unsigned>(a.batch * a.tokens);
  if (packed) {
    rope_cache_write_packed_kernel<T><<<row_tokens, kRopeThreads, 0, stream>>>(a);
  } else {
    const dim3 grid(row_tokens, static_cast<unsigned>(a.heads + 2 * a.kv_heads));
    rope_cache_write_kernel<T><<<grid, static_cast<unsigned>(a.head_dim), 0, stream>>>(a);
  }
  check_launch("rope_cache_write");
}

// The attention kernel's shapes; see set_decode_attention_variant.
template <class T, int D, int HEADS>
void launch_attention_variant(const DecodeAttention& a, int group, int chunks, int variant, cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>(a.batch * a.kv_heads * chunks);
  if (variant == 1) {
    decode_attention_kernel<T, D, HEADS, 8, 4, Feed::Direct><<<blocks, kAttentionThreads, 0, stream>>>(a, group, chunks);
  } else {
    decode_attention_kernel<T, D, HEADS, 8, 2, Feed::Pipelined><<<blocks, kAttentionThreads, 0, stream>>>(a, group, chunks);
  }
}

template <class T, int D>
void launch_attention_heads(const DecodeAttention& a, int variant, cudaStream_t stream) {
  const int group = static_cast<int>(a.heads / a.kv_heads);
  switch (group) {
    case 1: return launch_attention_variant<T, D, 1>(a, group, 1, variant, stream);
    case 2: return launch_attention_variant<T, D, 2>(a, group, 1, variant, stream);
    case 3: return launch_attention_variant<T, D, 3>(a, group, 1, variant, stream);
    default:  // 4 query heads per block; larger groups take several blocks per kv head
      return launch_attention_variant<T, D, kMaxHeadsPerBlock>(a, group, (group + kMaxHeadsPerBlock - 1) / kMaxHeadsPerBlock,
                                                               variant, stream);
  }
}

int attention_variant = 0;
constexpr int kAttentionVariants = 4;

// Variant 2 or 3 where it applies (16-bit elements, head size 64 or 128, at most 8 query heads per
// kv head, kernels built for sm_80+); true when it ran.
template <class T, int D>
bool launch_mma_attention(const DecodeAttention& a, int variant, cudaStream_t stream) {
  if constexpr (std::is_same_v<T, float>) {
    return false;
  } else {
    const int group = static_cast<int>(a.heads / a.kv_heads);
    if (group > kMmaMaxHeads || !mma_attention_compiled<T, D>()) return false;
    const unsigned blocks = static_cast<unsigned>(a.batch * a.kv_heads);
    if (variant == 3) {
      decode_attention_mma_kernel<T, D, mma_min_blocks<D>(3)><<<blocks, kMmaWarps * 32, 0, stream>>>(a, group);
    } else {
      decode_attention_mma_kernel<T, D, mma_min_blocks<D>(2)><<<blocks, kMmaWarps * 32, 0, stream>>>(a, group);
    }
    return true;
  }
}

template <class T>
void launch_decode_attention(const DecodeAttention& a, cudaStream_t stream) {
  if (attention_variant >= 2) {
    const bool ran = (a.head_dim == 64 && launch_mma_attention<T, 64>(a, attention_variant, stream)) ||
                     (a.head_dim == 128 && launch_mma_attention<T, 128>(a, attention_variant, stream));
    if (ran) return check_launch("decode_attention");
  }
  const int variant = attention_variant == 1 ? 1 : 0;  // variants 2-3 fall back to variant 0
  switch (a.head_dim) {
    case 64: launch_attention_heads<T, 64>(a, variant, stream); break;
    case 128: launch_attention_heads<T, 128>(a, variant, stream); break;
    case 256: launch_attention_heads<T, 256>(a, variant, stream); break;
    default: throw std::invalid_argument("decode_attention: head_dim must be 64, 128 or 256, got " + std::to_string(a.head_dim));
  }
  check_launch("decode_attention");
}

}  // namespace

void add_rms_norm(Element type, void* residual, const void* delta, const void* weight, void* normed, int64_t rows,
                  int64_t cols, float eps, void* stream) {
  if (rows == 0) return;
  dispatch(type, [&](auto t) {
    launch_add_rms_norm<typename decltype(t)::type>(residual, delta, weight, normed, rows, cols, eps, static_cast<cudaStream_t>(stream));
  });
}

void silu_mul(Element type, const void* gate_up, void* out, int64_t rows, int64_t cols, void* stream) {
  if (rows * cols == 0) return;
  dispatch(type, [&](auto t) { launch_silu_mul<typename decltype(t)::type>(gate_up, out, rows, cols, static_cast<cudaStream_t>(stream)); });
}

void rope_cache_write(Element type, const RopeCacheWrite& args, void* stream) {
  if (args.batch * args.tokens == 0) return;
  dispatch(type, [&](auto t) { launch_rope_cache_write<typename decltype(t)::type>(args, static_cast<cudaStream_t>(stream)); });
}

void set_decode_attention_variant(int variant) {
  if (variant < 0 || variant >= kAttentionVariants) {
    throw std::invalid_argument("decode attention variant must be 0, 1, 2 or 3, got " + std::to_string(variant));
  }
  attention_variant = variant;
}

bool decode_attention_on_tensor_cores(Element type, int64_t head_dim, int64_t group) {
  bool on = false;
  dispatch(type, [&](auto t) {
    using T = typename decltype(t)::type;
    if constexpr (!std::is_same_v<T, float>) {
      on = group <= kMmaMaxHeads && ((head_dim == 64 && mma_attention_compiled<T, 64>()) ||
                                     (head_dim == 128 && mma_attention_compiled<T, 128>()));
    }
  });
  return on;
}

void decode_attention(Element type, const DecodeAttention& args, void* stream) {
  if (args.batch == 0) return;
  dispatch(type, [&](auto t) { launch_decode_attention<typename decltype(t)::type>(args, static_cast<cudaStream_t>(stream)); });
}

}  // namespace soar::kernels
