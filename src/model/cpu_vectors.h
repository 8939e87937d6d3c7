// What the model's CPU kernels share: 16-float GCC vector types (one AVX-512 register, two AVX2
// or four SSE ones), so a kernel is written once and compiled per instruction set, and the pick
// of that instruction set at run time. Include only from .cpp files of CPU kernels: the vector
// helpers are always inlined into each instruction set's clone of a kernel, so no 64-byte vector
// crosses a call boundary whose ABI the instruction set would change.
#pragma once

#include <cstdint>

#pragma GCC diagnostic ignored "-Wpsabi"

namespace soar::cpu {

using Floats = float __attribute__((vector_size(64)));
using Ints = int32_t __attribute__((vector_size(64)));
using UnalignedFloats = float __attribute__((vector_size(64), aligned(4)));
constexpr int64_t kLanes = 16;

#define SOAR_INLINE inline __attribute__((always_inline))

SOAR_INLINE Floats load(const float* p) { return *reinterpret_cast<const UnalignedFloats*>(p); }
SOAR_INLINE void store(float* p, Floats v) { *reinterpret_cast<UnalignedFloats*>(p) = v; }
SOAR_INLINE Floats broadcast(float x) { return Floats{} + x; }

// The lanes summed in a fixed order (halves folded), so a result does not depend on which thread
// or which instruction set computed it.
SOAR_INLINE float lane_sum(Floats v) {
  using Eight = float __attribute__((vector_size(32)));
  using Four = float __attribute__((vector_size(16)));
  Eight e = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  Four f = __builtin_shufflevector(e, e, 0, 1, 2, 3) + __builtin_shufflevector(e, e, 4, 5, 6, 7);
  return (f[0] + f[2]) + (f[1] + f[3]);
}

// e^x per lane, within 2 ulp of expf for x in [-87, 88] (Cody-Waite reduction by ln 2, then
// Cephes' expf polynomial on [-ln2 / 2, ln2 / 2]); below -87 it returns e^-87 (≈ 1.6e-38), above 88
// e^88: callers never rely on the extremes. NaN in, NaN out.
SOAR_INLINE Floats exp(Floats x) {
  x = x < -87.0f ? broadcast(-87.0f) : x;
  x = x > 88.0f ? broadcast(88.0f) : x;
  const Floats round_magic = broadcast(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  const Floats n = (x * 1.44269504088896341f + round_magic) - round_magic;
  Floats r = x - n * 0.693359375f;  // ln 2 = 0.693359375 - 2.12194440e-4, the first part exact in n * it
  r = r + n * 2.12194440e-4f;
  Floats p = broadcast(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const Ints scale = (__builtin_convertvector(n, Ints) + 127) << 23;  // 2^n as float bits
  Floats two_to_n;
  __builtin_memcpy(&two_to_n, &scale, sizeof(two_to_n));
  return p * two_to_n;
}

// One instruction set's clone of a kernel: the kernel's body, an always-inline function, wrapped
// once per target by SOAR_CPU_CLONES(name, body, params, args), which defines name_avx512,
// name_avx2 and name_baseline.
#if defined(__x86_64__) && defined(__GNUC__)
#define SOAR_CPU_CLONES(name, body, params, args)                                                          \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))) void name##_avx512 params { body args; } \
  __attribute__((target("avx2,fma"))) void name##_avx2 params { body args; }                                \
  void name##_baseline params { body args; }
#else
#define SOAR_CPU_CLONES(name, body, params, args) \
  void name##_avx512 params { body args; }       \
  void name##_avx2 params { body args; }         \
  void name##_baseline params { body args; }
#endif

// The widest instruction set of the three that this CPU runs (GCC 12's target_clones resolver
// never picked its "arch=x86-64-v4" clone on the development machine's Zen 4, measured with perf).
enum class InstructionSet { avx512, avx2, baseline };
InstructionSet instruction_set();

template <class Function>
Function pick(Function avx512, Function avx2, Function baseline) {
  switch (instruction_set()) {
    case InstructionSet::avx512: return avx512;
    case InstructionSet::avx2: return avx2;
    default: return baseline;
  }
}

}  // namespace soar::cpu
