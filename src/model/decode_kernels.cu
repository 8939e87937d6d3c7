// Launches of the fused decoding kernels (step_kernels.cuh, decode_attention.cuh): which kernel and
// shape each call takes, and the public entry points of decode_kernels.h.
#include "model/decode_kernels.h"

#include <algorithm>
#include <cmath>

#include "model/cuda_elements.cuh"
#include "model/decode_attention.cuh"
#include "model/step_kernels.cuh"

namespace soar::kernels {
namespace {

using namespace cuda;
using namespace attention;
using namespace step;

// Whether the tensor-core kernels for T and D were compiled for sm_80 or later (mma.sync with bf16).
template <class T, int D>
bool mma_attention_compiled() {
  static const bool compiled = [] {
    auto sm80 = [](auto kernel) {
      cudaFuncAttributes attributes{};
      return cudaFuncGetAttributes(&attributes, kernel) == cudaSuccess && attributes.binaryVersion >= 80;
    };
    constexpr MmaShape v2 = mma_shape<D>(2), v3 = mma_shape<D>(3), v4 = mma_shape<D>(4);
    return sm80(decode_attention_mma_kernel<T, D, v2.warps, v2.min_blocks>) &&
           sm80(decode_attention_mma_kernel<T, D, v3.warps, v3.min_blocks>) &&
           sm80(decode_attention_mma_kernel<T, D, v4.warps, v4.min_blocks>);
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

int attention_variant = kDefaultDecodeAttentionVariant;
constexpr int kAttentionVariants = 5;

template <class T, int D, int VARIANT>
void launch_mma_variant(const DecodeAttention& a, int group, cudaStream_t stream) {
  constexpr MmaShape shape = mma_shape<D>(VARIANT);
  decode_attention_mma_kernel<T, D, shape.warps, shape.min_blocks>
      <<<static_cast<unsigned>(a.batch * a.kv_heads), shape.warps * 32, 0, stream>>>(a, group);
}

// Variant 2, 3 or 4 where it applies (16-bit elements, head size 64 or 128, at most 8 query heads per
// kv head, kernels built for sm_80+); true when it ran.
template <class T, int D>
bool launch_mma_attention(const DecodeAttention& a, int variant, cudaStream_t stream) {
  if constexpr (std::is_same_v<T, float>) {
    return false;
  } else {
    const int group = static_cast<int>(a.heads / a.kv_heads);
    if (group > kMmaMaxHeads || !mma_attention_compiled<T, D>()) return false;
    switch (variant) {
      case 3: launch_mma_variant<T, D, 3>(a, group, stream); break;
      case 4: launch_mma_variant<T, D, 4>(a, group, stream); break;
      default: launch_mma_variant<T, D, 2>(a, group, stream); break;
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
  const int variant = attention_variant == 1 ? 1 : 0;  // variants 2-4 fall back to variant 0
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
    throw std::invalid_argument("decode attention variant must be 0-4, got " + std::to_string(variant));
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
