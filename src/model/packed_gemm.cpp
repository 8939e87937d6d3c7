#include "model/packed_gemm.h"

#include <dlfcn.h>

#include "core/error.h"

namespace soar {
namespace {

// MKL's CBLAS constants (mkl_cblas.h) and LP64 entry points.
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112, kPacked = 151, kBMatrix = 162;
using PackGetSize = size_t (*)(int identifier, int m, int n, int k);
using Pack = void (*)(int layout, int identifier, int trans, int m, int n, int k, float alpha, const float* src, int ld,
                      float* dest);
using Compute = void (*)(int layout, int transa, int transb, int m, int n, int k, const float* a, int lda, const float* b,
                         int ldb, float beta, float* c, int ldc);

struct Mkl {
  PackGetSize pack_get_size = nullptr;
  Pack pack = nullptr;
  Compute compute = nullptr;
};

const Mkl& mkl() {
  static const Mkl found = [] {
    Mkl m;
    m.pack_get_size = reinterpret_cast<PackGetSize>(dlsym(RTLD_DEFAULT, "cblas_sgemm_pack_get_size"));
    m.pack = reinterpret_cast<Pack>(dlsym(RTLD_DEFAULT, "cblas_sgemm_pack"));
    m.compute = reinterpret_cast<Compute>(dlsym(RTLD_DEFAULT, "cblas_sgemm_compute"));
    if (m.pack_get_size == nullptr || m.pack == nullptr || m.compute == nullptr) m = {};
    return m;
  }();
  return found;
}

thread_local WeightPacks* active = nullptr;

}  // namespace

bool packed_gemm_available() { return mkl().compute != nullptr; }

at::Tensor WeightPacks::linear(const float* x, int64_t ldx, int64_t m, const at::Tensor& weight, const at::Tensor& bias) {
  const int64_t n = weight.size(0), k = weight.size(1);
  constexpr int64_t kMaxInt = 2147483647;
  if (m > kMaxInt || n > kMaxInt || k > kMaxInt || ldx > kMaxInt) fail("packed GEMM: a dimension exceeds MKL's 32-bit integers");
  const Mkl& f = mkl();
  Packed& packed = packs_[{weight.data_ptr(), n, k}];
  if (!packed.bytes.defined() || packed.m != m) {
    const auto size = static_cast<int64_t>(f.pack_get_size(kBMatrix, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k)));
    if (!packed.bytes.defined() || packed.bytes.numel() < size) {
      packed.bytes = at::empty({size}, at::TensorOptions().dtype(at::kByte));  // 64-byte aligned (ATen's CPU allocator)
    }
    // B = weightᵀ: weight [n, k] row-major, read transposed.
    f.pack(kRowMajor, kBMatrix, kTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f,
           weight.data_ptr<float>(), static_cast<int>(k), reinterpret_cast<float*>(packed.bytes.data_ptr()));
    packed.m = m;
  }
  at::Tensor y = bias.defined() ? bias.unsqueeze(0).expand({m, n}).contiguous() : at::empty({m, n}, weight.options());
  f.compute(kRowMajor, kNoTrans, kPacked, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), x, static_cast<int>(ldx),
            reinterpret_cast<const float*>(packed.bytes.data_ptr()), static_cast<int>(k), bias.defined() ? 1.0f : 0.0f,
            y.data_ptr<float>(), static_cast<int>(n));
  return y;
}

int64_t WeightPacks::bytes() const {
  int64_t total = 0;
  for (const auto& [key, packed] : packs_) total += packed.bytes.numel();
  return total;
}

WeightPacks* active_weight_packs() { return active; }

PackedDecodingScope::PackedDecodingScope() : previous_(active) {
  if (packed_gemm_available()) active = &packs_;
}

PackedDecodingScope::~PackedDecodingScope() { active = previous_; }

}  // namespace soar
