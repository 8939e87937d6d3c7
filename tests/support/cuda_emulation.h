// Runs CUDA kernel source on the CPU: a kernel compiled by the host compiler, each of its threads a
// std::thread, one block at a time. Warp collectives (shuffles, mma.m16n8k16) meet at a barrier of
// the warp's 32 threads, __syncthreads at one of the block's; __shared__ variables become statics,
// which is the block's shared memory because blocks do not overlap. This checks what a kernel
// computes (indexing, masking, which lane holds what, every load in bounds under AddressSanitizer),
// not how fast: a GPU-less session can run a kernel before any GPU does. What it cannot show: the
// memory model, timing, register or shared-memory limits.
//
// Include this before the kernel's header: it defines SOAR_CUDA_EMULATION, which routes the
// kernels' inline-PTX mma to mma_m16n8k16 below.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <barrier>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <type_traits>
#include <vector>

#include "mma_reference.h"

// The CUDA headers give the host compiler these as attributes it ignores; here they mean "a plain
// function" and "one per block".
#undef __device__
#undef __host__
#undef __global__
#undef __shared__
#undef __forceinline__
#define __device__
#define __host__
#define __global__
#define __shared__ static
#define __forceinline__ inline
#define __launch_bounds__(...)
#define SOAR_CUDA_EMULATION 1

namespace soar::emulation {

struct Warp {
  std::barrier<> meet{32};
  // Each collective writes its inputs to one of two buffers (alternating), meets, and reads: a lane
  // can only write a buffer again after every lane has passed the next collective's meeting, by
  // which time all have read it.
  uint64_t words[2][32];
  uint32_t a[2][32][4], b[2][32][2];
};

struct Block {
  explicit Block(int threads) : meet(threads), warps(static_cast<size_t>((threads + 31) / 32)) {}
  std::barrier<> meet;
  std::vector<Warp> warps;
};

inline thread_local Block* block = nullptr;
inline thread_local int lane = 0, warp = 0, parity = 0;

inline Warp& my_warp() { return block->warps[static_cast<size_t>(warp)]; }

template <class V>
V shuffle(V value, int source) {
  static_assert(sizeof(V) <= 8 && std::is_trivially_copyable_v<V>);
  Warp& w = my_warp();
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(V));
  w.words[parity][lane] = bits;
  w.meet.arrive_and_wait();
  bits = w.words[parity][source & 31];
  parity ^= 1;
  V result;
  std::memcpy(&result, &bits, sizeof(V));
  return result;
}

// The 16-bit element type's value of its bits.
template <class T>
double element_value(uint16_t bits) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
  } else {
    return __half2float(__ushort_as_half(bits));
  }
}

// mma.sync.m16n8k16 with float accumulators: every lane hands in its fragments and takes its four
// sums of C + A B (test::emulated_mma, the PTX layout; float32 sums of exact products).
template <class T>
void mma_m16n8k16(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  Warp& w = my_warp();
  std::copy(a, a + 4, w.a[parity][lane]);
  std::copy(b, b + 2, w.b[parity][lane]);
  w.meet.arrive_and_wait();
  test::WarpC sums = {};
  test::emulated_mma(w.a[parity], w.b[parity], sums, element_value<T>);
  parity ^= 1;
  for (int i = 0; i < 4; ++i) c[i] = static_cast<float>(c[i] + sums[lane][i]);
}

// Runs kernel() as a grid of `blocks` blocks (x fastest, then y) of `threads` threads, one block at a
// time (the same threads run every block). Warp collectives need whole warps of 32.
template <class Kernel>
void launch(dim3 blocks, unsigned threads, Kernel&& kernel);

}  // namespace soar::emulation

inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

inline void __syncthreads() { soar::emulation::block->meet.arrive_and_wait(); }
template <class V>
V __shfl_sync(unsigned, V value, int source) { return soar::emulation::shuffle(value, source); }
template <class V>
V __shfl_xor_sync(unsigned, V value, int mask) { return soar::emulation::shuffle(value, soar::emulation::lane ^ mask); }
template <class V>
V __shfl_down_sync(unsigned, V value, unsigned offset) {  // lanes past the warp's end read their own value
  const int source = soar::emulation::lane + static_cast<int>(offset);
  return soar::emulation::shuffle(value, source < 32 ? source : soar::emulation::lane);
}
// The GPU's fast approximations, computed exactly here (a kernel's arithmetic is not what this checks).
inline float __logf(float x) { return logf(x); }
inline float __expf(float x) { return expf(x); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
// Round-to-nearest float32 operations that the GPU must not contract (neither does the host: ISO C++
// mode compiles without floating-point contraction).
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __uint_as_float(unsigned x) { return std::bit_cast<float>(x); }
inline unsigned __float_as_uint(float x) { return std::bit_cast<unsigned>(x); }
[[noreturn]] inline void __trap() { std::abort(); }
using std::max;
using std::min;

template <class Kernel>
void soar::emulation::launch(dim3 blocks, unsigned threads, Kernel&& kernel) {
  Block state(static_cast<int>(threads));
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      threadIdx = dim3(t), blockDim = dim3(threads), gridDim = blocks;
      block = &state, lane = static_cast<int>(t % 32), warp = static_cast<int>(t / 32), parity = 0;
      for (unsigned y = 0; y < blocks.y; ++y) {
        for (unsigned x = 0; x < blocks.x; ++x) {
          blockIdx = dim3(x, y);
          kernel();
          state.meet.arrive_and_wait();  // the block's shared memory is the next block's only after all are done
        }
      }
    });
  }
  for (std::thread& thread : pool) thread.join();
}
