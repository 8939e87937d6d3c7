#include "model/decode_kernels.h"

#include <algorithm>
#include <cmath>

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
  Pack<T, 8> h[kNormPacks];
  float squares = 0.0f;
#pragma unroll
  for (int j = 0; j < kNormPacks; ++j) {
    const int pack = threadIdx.x + j * kNormThreads;
    if (pack >= packs) break;
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
    Pack<T, 8> w, out;
    w.load(weight + pack * 8);
#pragma unroll
    for (int e = 0; e < 8; ++e) out.set(e, __fmul_rn(w[e], rounded<T>(__fmul_rn(h[j][e], inverse_rms))));
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

// ---- RoPE + KV-cache write: block (row, head), one thread per element of the head ----------------

template <class T>
__global__ void rope_cache_write_kernel(RopeCacheWrite a) {
  const int64_t row = blockIdx.x, head = blockIdx.y, d = threadIdx.x;
  const int64_t width = (a.heads + 2 * a.kv_heads) * a.head_dim;
  const T* x = static_cast<const T*>(a.qkv) + row * width + head * a.head_dim;
  const int64_t slot = *a.slot;
  if (head >= a.heads + a.kv_heads) {  // value: stored as it is
    const int64_t kv_head = head - a.heads - a.kv_heads;
    static_cast<T*>(a.value_cache)[((row * a.kv_heads + kv_head) * a.capacity + slot) * a.head_dim + d] = x[d];
    return;
  }
  const int64_t half = a.head_dim / 2;
  const float value = to_float(x[d]);
  const float swapped = to_float(x[d < half ? d + half : d - half]);
  const float cos = to_float(static_cast<const T*>(a.cos)[row * a.head_dim + d]);
  const float sin = to_float(static_cast<const T*>(a.signed_sin)[row * a.head_dim + d]);
  // x * cos and rotate_half(x) * sin are separate PyTorch ops, each rounded; then their sum.
  const T rotated = from_float<T>(__fadd_rn(rounded<T>(__fmul_rn(value, cos)), rounded<T>(__fmul_rn(swapped, sin))));
  if (head < a.heads) {
    static_cast<T*>(a.q_out)[(row * a.heads + head) * a.head_dim + d] = rotated;
  } else {
    const int64_t kv_head = head - a.heads;
    static_cast<T*>(a.key_cache)[((row * a.kv_heads + kv_head) * a.capacity + slot) * a.head_dim + d] = rotated;
  }
}

// ---- grouped-query attention of one query per row over the cache --------------------------------
//
// Block = 128 threads for one (row, kv head, chunk of up to 4 query heads: HEADS of them). The
// block splits into key groups of D / E lanes; each lane holds E elements of a key, so a group reads
// one key (and its value) per step with vector loads, its partial dot products summed by shuffles.
// A group visits U keys per step, all loads issued before any arithmetic (the validity flags are
// loaded beside the keys, never in front of them: memory latency is paid once per step), and keeps
// an online softmax over the keys it visits, updated once per step; the groups merge at the end
// through shared memory. Scores are in log2 units (q pre-scaled by scale * log2 e) for exp2f.

constexpr int kAttentionThreads = 128;
constexpr int kMaxHeadsPerBlock = 4;

template <class T, int D, int HEADS, int E, int U, bool PIPELINED>
__global__ void __launch_bounds__(kAttentionThreads) decode_attention_kernel(DecodeAttention a, int group, int chunks) {
  constexpr int kLanesPerKey = D / E;
  static_assert(kLanesPerKey <= 32 && 32 % kLanesPerKey == 0, "a key's lanes must lie in one warp");
  constexpr int kGroups = kAttentionThreads / kLanesPerKey;
  __shared__ float shared_max[kGroups][HEADS];
  __shared__ float shared_sum[kGroups][HEADS];
  __shared__ float shared_acc[kGroups][HEADS][D];

  const int64_t chunk = blockIdx.x % chunks;
  const int64_t row_head = blockIdx.x / chunks;
  const int64_t row = row_head / a.kv_heads, kv_head = row_head % a.kv_heads;
  const int64_t first_head = kv_head * group + chunk * HEADS;
  const int heads_here = min(HEADS, group - static_cast<int>(chunk) * HEADS);
  const int key_group = threadIdx.x / kLanesPerKey, lane = threadIdx.x % kLanesPerKey;
  const int dim0 = lane * E;

  constexpr float kLog2e = 1.4426950408889634f;
  float q[HEADS][E];
#pragma unroll
  for (int h = 0; h < HEADS; ++h) {
    Pack<T, E> loaded;
    if (h < heads_here) {
      loaded.load(static_cast<const T*>(a.q) + ((row * a.heads + first_head + h) * D + dim0));
    } else {
      loaded.zero();
    }
#pragma unroll
    for (int e = 0; e < E; ++e) q[h][e] = loaded[e] * a.scale * kLog2e;
  }

  const int64_t newest = *a.slot + 1;
  const int64_t count = newest < a.max_slots ? newest : a.max_slots;
  const int64_t head_offset = (row * a.kv_heads + kv_head) * a.capacity * D + dim0;
  const T* keys = static_cast<const T*>(a.key_cache) + head_offset;
  const T* values = static_cast<const T*>(a.value_cache) + head_offset;
  const bool* valid = a.valid + row * a.capacity;

  float running_max[HEADS], running_sum[HEADS], acc[HEADS][E];
#pragma unroll
  for (int h = 0; h < HEADS; ++h) {
    running_max[h] = -INFINITY;
    running_sum[h] = 0.0f;
#pragma unroll
    for (int e = 0; e < E; ++e) acc[h][e] = 0.0f;
  }

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
  auto update = [&](const Pack<T, E>(&k)[U], const Pack<T, E>(&v)[U], const bool(&use)[U]) {
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
  };
  Pack<T, E> k[U], v[U];
  bool use[U];
  if constexpr (PIPELINED) {
    // The next step's loads are issued before this step's arithmetic, so a key group always has
    // 2 U keys in flight instead of U followed by none.
    load(0, k, v, use);
    for (int64_t base = 0; base < count; base += kStride) {
      Pack<T, E> k_next[U], v_next[U];
      bool use_next[U];
      load(base + kStride, k_next, v_next, use_next);
      update(k, v, use);
#pragma unroll
      for (int u = 0; u < U; ++u) k[u] = k_next[u], v[u] = v_next[u], use[u] = use_next[u];
    }
  } else {
    for (int64_t base = 0; base < count; base += kStride) {
      load(base, k, v, use);
      update(k, v, use);
    }
  }

#pragma unroll
  for (int h = 0; h < HEADS; ++h) {
#pragma unroll
    for (int e = 0; e < E; ++e) shared_acc[key_group][h][dim0 + e] = acc[h][e];
    if (lane == 0) {
      shared_max[key_group][h] = running_max[h];
      shared_sum[key_group][h] = running_sum[h];
    }
  }
  __syncthreads();
  for (int i = threadIdx.x; i < heads_here * D; i += kAttentionThreads) {
    const int h = i / D, d = i % D;
    float overall_max = -INFINITY;
    for (int g = 0; g < kGroups; ++g) overall_max = fmaxf(overall_max, shared_max[g][h]);
    float sum = 0.0f, out = 0.0f;
    for (int g = 0; g < kGroups; ++g) {
      if (shared_max[g][h] == -INFINITY) continue;  // this group saw no valid key
      const float weight = exp2f(shared_max[g][h] - overall_max);
      sum += shared_sum[g][h] * weight;
      out += shared_acc[g][h][d] * weight;
    }
    static_cast<T*>(a.out)[(row * a.heads + first_head + h) * D + d] = from_float<T>(sum > 0.0f ? out / sum : 0.0f);
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

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
  const dim3 grid(static_cast<unsigned>(a.batch), static_cast<unsigned>(a.heads + 2 * a.kv_heads));
  rope_cache_write_kernel<T><<<grid, static_cast<unsigned>(a.head_dim), 0, stream>>>(a);
  check_launch("rope_cache_write");
}

// The attention kernel's shapes (elements per lane, keys per step); see set_decode_attention_variant.
template <class T, int D, int HEADS>
void launch_attention_variant(const DecodeAttention& a, int group, int chunks, int variant, cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>(a.batch * a.kv_heads * chunks);
  switch (variant) {
    case 1: decode_attention_kernel<T, D, HEADS, 8, 8, false><<<blocks, kAttentionThreads, 0, stream>>>(a, group, chunks); return;
    case 2:
      if constexpr (D <= 128) {  // 4 elements per lane: a key of 256 would need more lanes than a warp has
        decode_attention_kernel<T, D, HEADS, 4, 8, false><<<blocks, kAttentionThreads, 0, stream>>>(a, group, chunks);
        return;
      }
      break;
    case 3: decode_attention_kernel<T, D, HEADS, 8, 2, true><<<blocks, kAttentionThreads, 0, stream>>>(a, group, chunks); return;
    case 4: decode_attention_kernel<T, D, HEADS, 8, 4, true><<<blocks, kAttentionThreads, 0, stream>>>(a, group, chunks); return;
  }
  decode_attention_kernel<T, D, HEADS, 8, 4, false><<<blocks, kAttentionThreads, 0, stream>>>(a, group, chunks);
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
constexpr int kAttentionVariants = 5;

template <class T>
void launch_decode_attention(const DecodeAttention& a, cudaStream_t stream) {
  switch (a.head_dim) {
    case 64: launch_attention_heads<T, 64>(a, attention_variant, stream); break;
    case 128: launch_attention_heads<T, 128>(a, attention_variant, stream); break;
    case 256: launch_attention_heads<T, 256>(a, attention_variant, stream); break;
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
  if (args.batch == 0) return;
  dispatch(type, [&](auto t) { launch_rope_cache_write<typename decltype(t)::type>(args, static_cast<cudaStream_t>(stream)); });
}

void set_decode_attention_variant(int variant) {
  if (variant < 0 || variant >= kAttentionVariants) throw std::invalid_argument("decode attention variant must be in [0, 4], got " + std::to_string(variant));
  attention_variant = variant;
}

void decode_attention(Element type, const DecodeAttention& args, void* stream) {
  if (args.batch == 0) return;
  dispatch(type, [&](auto t) { launch_decode_attention<typename decltype(t)::type>(args, static_cast<cudaStream_t>(stream)); });
}

}  // namespace soar::kernels
