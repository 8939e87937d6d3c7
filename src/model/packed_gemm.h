// MKL's packed GEMM for the decoding step's projections of more than a few rows: the weight is
// copied once into MKL's internal layout (packed) and every later product reuses it, where
// at::linear (MKL's sgemm underneath) packs the whole weight again on every call (13 % of a
// batch-64 decoding run of SmolLM2-135M, 10 % of the testbed's; docs/benchmarks.md). The packed
// copies live in a WeightPacks for as long as the weights do not change: the sampler opens one
// per generate() (PackedDecodingScope), and linear() (streaming_linear.h) uses it while it is open.
//
// The functions are MKL's (cblas_sgemm_pack_get_size, cblas_sgemm_pack, cblas_sgemm_compute), found
// at run time in the process (PyTorch's x86 wheels link MKL statically into libtorch_cpu and
// export them); where they are missing (another BLAS), packed_gemm_available() is false and
// nothing is packed.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <tuple>

namespace soar {

// Whether MKL's packed GEMM was found in the process.
bool packed_gemm_available();

// Packed copies of weights [n, k] (float32, contiguous), each for the row count m of x it was last
// used with (MKL requires the m, n, k of the packing at compute time): a new m (the sampler
// dropped finished rows) repacks, so that at most one copy of each weight is held.
class WeightPacks {
 public:
  // y [m, n] = x [m, k] (rows ldx apart) times weightᵀ, plus bias [n] when defined, through the
  // packed copy of `weight` for m rows (made on first use). The caller has checked the operands
  // (float32, CPU, contiguous weight and bias) and that packed_gemm_available().
  at::Tensor linear(const float* x, int64_t ldx, int64_t m, const at::Tensor& weight, const at::Tensor& bias);

  // Bytes held by the packed copies.
  int64_t bytes() const;

 private:
  struct Packed {
    int64_t m = 0;
    at::Tensor bytes;
  };
  std::map<std::tuple<const void*, int64_t, int64_t>, Packed> packs_;  // (weight data, n, k) -> its packed copy
};

// The WeightPacks linear() uses on this thread, or null (the default: nothing is packed).
WeightPacks* active_weight_packs();

// While alive, linear() on this thread packs the weights of decoding steps of more than
// kSwappedRows rows (streaming_linear.h) into one WeightPacks, freed at the end of the scope. The
// weights must not change while it is open (generate() does not train). Scopes nest: the
// innermost one is used. Without packed GEMM it does nothing.
class PackedDecodingScope {
 public:
  PackedDecodingScope();
  ~PackedDecodingScope();
  PackedDecodingScope(const PackedDecodingScope&) = delete;
  PackedDecodingScope& operator=(const PackedDecodingScope&) = delete;

 private:
  WeightPacks packs_;
  WeightPacks* previous_;
};

}  // namespace soar
