#include "model/decode_kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace soar::kernels {
namespace {

constexpr unsigned kFullWarp = 0xffffffffu;

// Conversions between an element type and the float32 it is computed in.
template <class T>
struct Convert;
template <>
struct Convert<float> {
  static __device__ __forceinline__ float load(float x) { return x; }
  static __device__ __forceinline__ float store(float x) { return x; }
};
template <>
struct Convert<__nv_bfloat16> {
  static __device__ __forceinline__ float load(__nv_bfloat16 x) { return __bfloat162float(x); }
  static __device__ __forceinline__ __nv_bfloat16 store(float x) { return __float2bfloat16_rn(x); }
};
template <>
struct Convert<__half> {
  static __device__ __forceinline__ float load(__half x) { return __half2float(x); }
  static __device__ __forceinline__ __half store(float x) { return __float2half_rn(x); }
};

template <class T>
__device__ __forceinline__ float to_float(T x) { return Convert<T>::load(x); }
template <class T>
__device__ __forceinline__ T from_float(float x) { return Convert<T>::store(x); }
// x rounded to T and back: the value a PyTorch op producing a T tensor would leave.
template <class T>
__device__ __forceinline__ float rounded(float x) { return to_float(from_float<T>(x)); }

// Eight consecutive elements loaded with 16-byte accesses (the caller guarantees the alignment),
// unpacked by constant index (after unrolling) so that they stay in registers.
template <class T>
struct Eight {
  static_assert(sizeof(T) == 2, "16-bit types");
  uint4 raw;
  __device__ __forceinline__ void load(const T* p) { raw = *reinterpret_cast<const uint4*>(p); }
  __device__ __forceinline__ void zero() { raw = make_uint4(0, 0, 0, 0); }
  __device__ __forceinline__ float operator[](int i) const {
    const unsigned word = i < 2 ? raw.x : i < 4 ? raw.y : i < 6 ? raw.z : raw.w;
    const unsigned short bits = static_cast<unsigned short>((i & 1) ? word >> 16 : word & 0xffffu);
    if constexpr (std::is_same_v<T, __nv_bfloat16>) {
      return __uint_as_float(static_cast<unsigned>(bits) << 16);  // bf16 is float32's upper half
    } else {
      return __half2float(__ushort_as_half(bits));
    }
  }
};
template <>
struct Eight<float> {
  float4 lo, hi;
  __device__ __forceinline__ void load(const float* p) {
    lo = reinterpret_cast<const float4*>(p)[0];
    hi = reinterpret_cast<const float4*>(p)[1];
  }
  __device__ __forceinline__ void zero() { lo = hi = make_float4(0, 0, 0, 0); }
  __device__ __forceinline__ float operator[](int i) const {
    const float4& f = i < 4 ? lo : hi;
    switch (i & 3) {
      case 0: return f.x;
      case 1: return f.y;
      case 2: return f.z;
      default: return f.w;
    }
  }
};

// Sum over the block, returned to every thread (blockDim.x a multiple of 32, at most 1024).
__device__ float block_sum(float value) {
  __shared__ float partial[32];
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_xor_sync(kFullWarp, value, offset);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) partial[warp] = value;
  __syncthreads();
  const int warps = blockDim.x / 32;
  value = lane < warps ? partial[lane] : 0.0f;
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_xor_sync(kFullWarp, value, offset);
  return value;
}

void check_launch(const char* kernel) {
  const cudaError_t error = cudaGetLastError();
  if (error != cudaSuccess) throw std::runtime_error(std::string(kernel) + " launch failed: " + cudaGetErrorString(error));
}

// ---- residual add + RMSNorm: one block per row --------------------------------------------------

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

// ---- SiLU(gate) * up -----------------------------------------------------------------------------

template <class T>
__global__ void silu_mul_kernel(const T* __restrict__ gate_up, T* __restrict__ out, int64_t rows, int64_t cols) {
  const int64_t total = rows * cols;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = i / cols, col = i - row * cols;
    const float gate = to_float(gate_up[row * 2 * cols + col]);
    const float up = to_float(gate_up[row * 2 * cols + cols + col]);
    const float silu = rounded<T>(gate / (1.0f + expf(-gate)));  // PyTorch's silu in float32, then its output dtype
    out[i] = from_float<T>(__fmul_rn(silu, up));
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
// Block = 128 threads for one (row, kv head, chunk of up to kHeadsPerBlock query heads). The block
// splits into key groups of D / 8 lanes; each lane holds 8 elements of a key, so a group reads one
// key (and its value) per step with 16-byte loads, its partial dot products summed by shuffles.
// Each group keeps an online softmax over the keys it visits; the groups merge at the end through
// shared memory. Scores are kept in log2 units (q pre-scaled by scale * log2 e) for exp2f.

constexpr int kAttentionThreads = 128;
constexpr int kHeadsPerBlock = 4;
constexpr int kKeysPerGroupStep = 4;  // loads in flight per group before the arithmetic

template <class T, int D>
__global__ void __launch_bounds__(kAttentionThreads) decode_attention_kernel(DecodeAttention a, int group, int chunks) {
  constexpr int kLanesPerKey = D / 8;
  constexpr int kGroups = kAttentionThreads / kLanesPerKey;
  __shared__ float shared_max[kGroups][kHeadsPerBlock];
  __shared__ float shared_sum[kGroups][kHeadsPerBlock];
  __shared__ float shared_acc[kGroups][kHeadsPerBlock][D];

  const int64_t chunk = blockIdx.x % chunks;
  const int64_t row_head = blockIdx.x / chunks;
  const int64_t row = row_head / a.kv_heads, kv_head = row_head % a.kv_heads;
  const int64_t first_head = kv_head * group + chunk * kHeadsPerBlock;
  const int heads_here = min(kHeadsPerBlock, group - static_cast<int>(chunk) * kHeadsPerBlock);
  const int key_group = threadIdx.x / kLanesPerKey, lane = threadIdx.x % kLanesPerKey;
  const int dim0 = lane * 8;

  constexpr float kLog2e = 1.4426950408889634f;
  float q[kHeadsPerBlock][8];
#pragma unroll
  for (int h = 0; h < kHeadsPerBlock; ++h) {
    Eight<T> loaded;
    if (h < heads_here) {
      loaded.load(static_cast<const T*>(a.q) + ((row * a.heads + first_head + h) * D + dim0));
    } else {
      loaded.zero();
    }
#pragma unroll
    for (int e = 0; e < 8; ++e) q[h][e] = loaded[e] * a.scale * kLog2e;
  }

  const int64_t newest = *a.slot + 1;
  const int64_t count = newest < a.max_slots ? newest : a.max_slots;
  const int64_t head_offset = (row * a.kv_heads + kv_head) * a.capacity * D + dim0;
  const T* keys = static_cast<const T*>(a.key_cache) + head_offset;
  const T* values = static_cast<const T*>(a.value_cache) + head_offset;
  const bool* valid = a.valid + row * a.capacity;

  float running_max[kHeadsPerBlock], running_sum[kHeadsPerBlock], acc[kHeadsPerBlock][8];
#pragma unroll
  for (int h = 0; h < kHeadsPerBlock; ++h) {
    running_max[h] = -INFINITY;
    running_sum[h] = 0.0f;
#pragma unroll
    for (int e = 0; e < 8; ++e) acc[h][e] = 0.0f;
  }

  // Every thread runs the same number of iterations (shuffles need the whole warp); keys past the
  // end or not valid are loaded as zeros and skipped in the update.
  for (int64_t base = 0; base < count; base += static_cast<int64_t>(kGroups) * kKeysPerGroupStep) {
    Eight<T> k[kKeysPerGroupStep], v[kKeysPerGroupStep];
    bool use[kKeysPerGroupStep];
#pragma unroll
    for (int u = 0; u < kKeysPerGroupStep; ++u) {
      const int64_t slot = base + u * kGroups + key_group;
      use[u] = slot < count && valid[slot];
      if (use[u]) {
        k[u].load(keys + slot * D);
        v[u].load(values + slot * D);
      } else {
        k[u].zero();
        v[u].zero();
      }
    }
#pragma unroll
    for (int u = 0; u < kKeysPerGroupStep; ++u) {
      float score[kHeadsPerBlock];
#pragma unroll
      for (int h = 0; h < kHeadsPerBlock; ++h) {
        float partial = 0.0f;
#pragma unroll
        for (int e = 0; e < 8; ++e) partial += q[h][e] * k[u][e];
        score[h] = partial;
      }
#pragma unroll
      for (int offset = kLanesPerKey / 2; offset > 0; offset /= 2) {
#pragma unroll
        for (int h = 0; h < kHeadsPerBlock; ++h) score[h] += __shfl_xor_sync(kFullWarp, score[h], offset);
      }
      if (!use[u]) continue;
#pragma unroll
      for (int h = 0; h < kHeadsPerBlock; ++h) {
        const float new_max = fmaxf(running_max[h], score[h]);
        const float correction = exp2f(running_max[h] - new_max);
        const float p = exp2f(score[h] - new_max);
        running_sum[h] = running_sum[h] * correction + p;
#pragma unroll
        for (int e = 0; e < 8; ++e) acc[h][e] = acc[h][e] * correction + p * v[u][e];
        running_max[h] = new_max;
      }
    }
  }

#pragma unroll
  for (int h = 0; h < kHeadsPerBlock; ++h) {
#pragma unroll
    for (int e = 0; e < 8; ++e) shared_acc[key_group][h][dim0 + e] = acc[h][e];
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

template <class T>
void launch_add_rms_norm(void* residual, const void* delta, const void* weight, void* normed, int64_t rows, int64_t cols,
                         float eps, cudaStream_t stream) {
  add_rms_norm_kernel<T><<<static_cast<unsigned>(rows), 256, 0, stream>>>(
      static_cast<T*>(residual), static_cast<const T*>(delta), static_cast<const T*>(weight), static_cast<T*>(normed), cols, eps);
  check_launch("add_rms_norm");
}

template <class T>
void launch_silu_mul(const void* gate_up, void* out, int64_t rows, int64_t cols, cudaStream_t stream) {
  const int64_t total = rows * cols;
  const int threads = 256;
  const int64_t blocks = std::min<int64_t>((total + threads - 1) / threads, 65536);
  silu_mul_kernel<T><<<static_cast<unsigned>(blocks), threads, 0, stream>>>(static_cast<const T*>(gate_up), static_cast<T*>(out), rows, cols);
  check_launch("silu_mul");
}

template <class T>
void launch_rope_cache_write(const RopeCacheWrite& a, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(a.batch), static_cast<unsigned>(a.heads + 2 * a.kv_heads));
  rope_cache_write_kernel<T><<<grid, static_cast<unsigned>(a.head_dim), 0, stream>>>(a);
  check_launch("rope_cache_write");
}

template <class T>
void launch_decode_attention(const DecodeAttention& a, cudaStream_t stream) {
  const int group = static_cast<int>(a.heads / a.kv_heads);
  const int chunks = (group + kHeadsPerBlock - 1) / kHeadsPerBlock;
  const unsigned blocks = static_cast<unsigned>(a.batch * a.kv_heads * chunks);
  switch (a.head_dim) {
    case 64: decode_attention_kernel<T, 64><<<blocks, kAttentionThreads, 0, stream>>>(a, group, chunks); break;
    case 128: decode_attention_kernel<T, 128><<<blocks, kAttentionThreads, 0, stream>>>(a, group, chunks); break;
    case 256: decode_attention_kernel<T, 256><<<blocks, kAttentionThreads, 0, stream>>>(a, group, chunks); break;
    default: throw std::invalid_argument("decode_attention: head_dim must be 64, 128 or 256, got " + std::to_string(a.head_dim));
  }
  check_launch("decode_attention");
}

template <template <class> class Launch, class... Args>
void dispatch(Element type, Args&&... args) {
  switch (type) {
    case Element::Float: return Launch<float>::run(args...);
    case Element::BFloat16: return Launch<__nv_bfloat16>::run(args...);
    case Element::Half: return Launch<__half>::run(args...);
  }
}

template <class T>
struct AddRmsNorm {
  static void run(void* r, const void* d, const void* w, void* n, int64_t rows, int64_t cols, float eps, cudaStream_t s) {
    launch_add_rms_norm<T>(r, d, w, n, rows, cols, eps, s);
  }
};
template <class T>
struct SiluMul {
  static void run(const void* in, void* out, int64_t rows, int64_t cols, cudaStream_t s) { launch_silu_mul<T>(in, out, rows, cols, s); }
};
template <class T>
struct RopeWrite {
  static void run(const RopeCacheWrite& a, cudaStream_t s) { launch_rope_cache_write<T>(a, s); }
};
template <class T>
struct Attention {
  static void run(const DecodeAttention& a, cudaStream_t s) { launch_decode_attention<T>(a, s); }
};

}  // namespace

void add_rms_norm(Element type, void* residual, const void* delta, const void* weight, void* normed, int64_t rows,
                  int64_t cols, float eps, void* stream) {
  if (rows == 0) return;
  dispatch<AddRmsNorm>(type, residual, delta, weight, normed, rows, cols, eps, static_cast<cudaStream_t>(stream));
}

void silu_mul(Element type, const void* gate_up, void* out, int64_t rows, int64_t cols, void* stream) {
  if (rows * cols == 0) return;
  dispatch<SiluMul>(type, gate_up, out, rows, cols, static_cast<cudaStream_t>(stream));
}

void rope_cache_write(Element type, const RopeCacheWrite& args, void* stream) {
  if (args.batch == 0) return;
  dispatch<RopeWrite>(type, args, static_cast<cudaStream_t>(stream));
}

void decode_attention(Element type, const DecodeAttention& args, void* stream) {
  if (args.batch == 0) return;
  dispatch<Attention>(type, args, static_cast<cudaStream_t>(stream));
}

}  // namespace soar::kernels
