// The decode-attention kernels (device code only; decode_kernels.cu launches them): grouped-query
// attention of one new token per row over the KV cache, on CUDA cores (variants 0-1) and on tensor
// cores (variants 2-4). In a header of their own so that a CPU test can compile the same source for
// the host and run it through an emulated warp (tests/model/decode_attention_emulation_test.cpp,
// which defines SOAR_CUDA_EMULATION and supplies the warp primitives and the mma).
#pragma once

#include <cmath>
#include <type_traits>

#include "model/attention_fragments.h"
#include "model/cuda_elements.cuh"
#include "model/decode_kernels.h"

namespace soar::kernels::attention {

using namespace cuda;

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

// ---- the same attention on tensor cores (variants 2, 3 and 4) ------------------------------------
//
// Block = WARPS warps for one (row, kv head) and all its query heads (at most 8, one n-tile of
// mma.m16n8k16). Warp w takes the 16-key tiles w, w + WARPS, ...: per tile each lane loads its runs
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
// Variant 4 halves the block (WARPS = 2): each warp takes twice the tiles, so the per-block start
// (the query's load) and end (the merge through shared memory) are spread over twice the keys,
// and with registers capped at 128 (head size 128) 8 blocks fit an SM, the same 16 warps as
// variant 3 (batch 256: 1.9 waves; batch 64: 0.48). Whether that beats variant 3 is measured.

constexpr int kMmaMaxHeads = 8;

// Warps per block and minimum blocks per SM (0: none) of the tensor-core variants 2-4; see above.
struct MmaShape {
  int warps, min_blocks;
};
template <int D>
constexpr MmaShape mma_shape(int variant) {
  if (variant == 3) return {4, D == 128 ? 4 : 0};
  if (variant == 4) return {2, D == 128 ? 8 : 0};
  return {4, 0};
}

// D += A B on tensor cores for 16-bit T, float32 accumulators (fragments: attention_fragments.h).
template <class T>
__device__ __forceinline__ void mma_m16n8k16(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if defined(SOAR_CUDA_EMULATION)
  ::soar::emulation::mma_m16n8k16<T>(c, a, b);  // the CPU test's warp (tests/support/cuda_emulation.h)
#elif __CUDA_ARCH__ >= 800
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

template <class T, int D, int WARPS, int MIN_BLOCKS>
__global__ void __launch_bounds__(WARPS * 32, MIN_BLOCKS) decode_attention_mma_kernel(DecodeAttention a, int group) {
  namespace fr = fragments;
  constexpr int kRun = D / 16;  // elements of one value run
  constexpr float kLog2e = 1.4426950408889634f;
  __shared__ float merge_max[WARPS][kMmaMaxHeads], merge_sum[WARPS][kMmaMaxHeads];
  __shared__ float merge_out[WARPS][kMmaMaxHeads][D];
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
  for (int64_t base = 16 * warp; base < count; base += 16 * WARPS) {
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
  merge_softmax_parts<T, D>(&merge_max[0][0], &merge_sum[0][0], &merge_out[0][0][0], WARPS, kMmaMaxHeads, block.heads_here,
                            static_cast<T*>(a.out) + block.query_offset(a));
}

}  // namespace soar::kernels::attention
