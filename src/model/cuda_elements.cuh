// Device helpers shared by the fused kernels (decode_kernels.cu, token_sampling.cu): conversions
// between element types and float32, packed vector loads, block reductions, launch checks and the
// dispatch from Element to the CUDA element type. Included only by .cu files.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "model/decode_kernels.h"

namespace soar::kernels::cuda {

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

// E consecutive elements held as raw 32-bit words (8, 16 or 32 bytes, loaded and stored with
// vector accesses whose alignment the caller guarantees) and read by constant index after
// unrolling, so that they stay in registers.
template <class T, int E>
struct Pack {
  static constexpr int kBytes = E * static_cast<int>(sizeof(T));
  static_assert(kBytes == 8 || kBytes == 16 || kBytes == 32, "8, 16 or 32 bytes");
  unsigned w[kBytes / 4];

  __device__ __forceinline__ void load(const T* p) {
    if constexpr (kBytes == 8) {
      const uint2 r = *reinterpret_cast<const uint2*>(p);
      w[0] = r.x, w[1] = r.y;
    } else {
#pragma unroll
      for (int i = 0; i < kBytes / 16; ++i) {
        const uint4 r = reinterpret_cast<const uint4*>(p)[i];
        w[4 * i] = r.x, w[4 * i + 1] = r.y, w[4 * i + 2] = r.z, w[4 * i + 3] = r.w;
      }
    }
  }
  __device__ __forceinline__ void zero() {
#pragma unroll
    for (int i = 0; i < kBytes / 4; ++i) w[i] = 0;
  }
  __device__ __forceinline__ float operator[](int i) const {
    if constexpr (sizeof(T) == 4) {
      return __uint_as_float(w[i]);
    } else {
      const unsigned short bits = static_cast<unsigned short>((i & 1) ? w[i / 2] >> 16 : w[i / 2] & 0xffffu);
      if constexpr (std::is_same_v<T, __nv_bfloat16>) {
        return __uint_as_float(static_cast<unsigned>(bits) << 16);  // bf16 is float32's upper half
      } else {
        return __half2float(__ushort_as_half(bits));
      }
    }
  }
  // Element i becomes `value` rounded to T.
  __device__ __forceinline__ void set(int i, float value) {
    if constexpr (sizeof(T) == 4) {
      w[i] = __float_as_uint(value);
    } else {
      unsigned bits;
      if constexpr (std::is_same_v<T, __nv_bfloat16>) {
        bits = __bfloat16_as_ushort(from_float<T>(value));
      } else {
        bits = __half_as_ushort(from_float<T>(value));
      }
      w[i / 2] = (i & 1) ? (w[i / 2] & 0xffffu) | (bits << 16) : (w[i / 2] & 0xffff0000u) | bits;
    }
  }
  __device__ __forceinline__ void store(T* p) const {
    if constexpr (kBytes == 8) {
      *reinterpret_cast<uint2*>(p) = make_uint2(w[0], w[1]);
    } else {
#pragma unroll
      for (int i = 0; i < kBytes / 16; ++i) reinterpret_cast<uint4*>(p)[i] = make_uint4(w[4 * i], w[4 * i + 1], w[4 * i + 2], w[4 * i + 3]);
    }
  }
};

// Sum over the block, returned to every thread (blockDim.x a multiple of 32, at most 1024).
__device__ inline float block_sum(float value) {
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

// Whether p suits 16-byte vector loads and stores.
inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

inline void check_launch(const char* kernel) {
  const cudaError_t error = cudaGetLastError();
  if (error != cudaSuccess) throw std::runtime_error(std::string(kernel) + " launch failed: " + cudaGetErrorString(error));
}

template <class T>
struct Type {
  using type = T;
};

// Calls launch(Type<T>{}) with T the element type's CUDA type.
template <class Launch>
inline void dispatch(Element element, Launch&& launch) {
  switch (element) {
    case Element::Float: return launch(Type<float>{});
    case Element::BFloat16: return launch(Type<__nv_bfloat16>{});
    case Element::Half: return launch(Type<__half>{});
  }
}

}  // namespace soar::kernels::cuda
