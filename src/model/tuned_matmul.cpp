#include "model/tuned_matmul.h"

#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cublasLt.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "core/error.h"

namespace soar::tuned_matmul {
namespace {

constexpr int kCandidates = 16;  // cuBLASLt's heuristic list rarely has more for one shape
constexpr int kTimedRuns = 20;

void check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) fail("tuned matmul: ", what, " failed: ", cublasLtGetStatusString(status));
}

// The largest power of two up to 256 that divides the address (cuBLASLt's candidates depend on it).
uint32_t alignment(const void* p) {
  const auto address = reinterpret_cast<uintptr_t>(p);
  uint32_t a = 256;
  while (a > 1 && address % a != 0) a /= 2;
  return a;
}

// One shape's descriptors (row-major y[M,N] = x[M,K] w[N,K]ᵀ is column-major yᵀ = op(w)ᵀ xᵀ:
// A = w as K×N transposed, B = x as K×M, C = D = yᵀ as N×M) and its chosen algorithm.
struct Plan {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulPreference_t preference = nullptr;
  std::vector<cublasLtMatmulHeuristicResult_t> candidates;
  bool timed = false;
  int chosen = 0;
  double first_us = 0, chosen_us = 0;

  Plan(int64_t m, int64_t n, int64_t k, cudaDataType_t type, uint32_t align, size_t workspace) {
    check(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
    const cublasOperation_t transpose = CUBLAS_OP_T, keep = CUBLAS_OP_N;
    check(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof(transpose)), "TRANSA");
    check(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &keep, sizeof(keep)), "TRANSB");
    check(cublasLtMatrixLayoutCreate(&a, type, k, n, k), "layout A");
    check(cublasLtMatrixLayoutCreate(&b, type, k, m, k), "layout B");
    check(cublasLtMatrixLayoutCreate(&c, type, n, m, n), "layout C");
    check(cublasLtMatmulPreferenceCreate(&preference), "preference");
    const uint64_t bytes = workspace;
    check(cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &bytes, sizeof(bytes)),
          "workspace preference");
    for (auto attribute : {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                           CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES}) {
      check(cublasLtMatmulPreferenceSetAttribute(preference, attribute, &align, sizeof(align)), "alignment preference");
    }
    candidates.resize(kCandidates);
    int returned = 0;
    check(cublasLtMatmulAlgoGetHeuristic(at::cuda::getCurrentCUDABlasLtHandle(), op, a, b, c, c, preference, kCandidates,
                                         candidates.data(), &returned),
          "cublasLtMatmulAlgoGetHeuristic");
    candidates.resize(returned);
    if (candidates.empty()) fail("tuned matmul: cuBLASLt has no algorithm for ", m, "x", k, " · ", k, "x", n);
  }
  ~Plan() {
    cublasLtMatmulPreferenceDestroy(preference);
    cublasLtMatrixLayoutDestroy(c);
    cublasLtMatrixLayoutDestroy(b);
    cublasLtMatrixLayoutDestroy(a);
    cublasLtMatmulDescDestroy(op);
  }
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  cublasStatus_t run(int candidate, const at::Tensor& x, const at::Tensor& weight, at::Tensor& y, cudaStream_t stream) const {
    const float one = 1.0f, zero = 0.0f;
    return cublasLtMatmul(at::cuda::getCurrentCUDABlasLtHandle(), op, &one, weight.data_ptr(), a, x.data_ptr(), b, &zero,
                          y.data_ptr(), c, y.data_ptr(), c, &candidates[candidate].algo, at::cuda::getCUDABlasLtWorkspace(),
                          at::cuda::getCUDABlasLtWorkspaceSize(), stream);
  }

  // Times every candidate (kTimedRuns after one untimed run) and keeps the fastest; a candidate
  // the library refuses at run time is skipped.
  void time(const at::Tensor& x, const at::Tensor& weight, at::Tensor& y, cudaStream_t stream) {
    double best = 0;
    for (int i = 0; i < static_cast<int>(candidates.size()); ++i) {
      if (run(i, x, weight, y, stream) != CUBLAS_STATUS_SUCCESS) continue;
      at::cuda::CUDAEvent start(cudaEventDefault), end(cudaEventDefault);
      start.record();
      for (int r = 0; r < kTimedRuns; ++r) check(run(i, x, weight, y, at::cuda::getCurrentCUDAStream().stream()), "cublasLtMatmul");
      end.record();
      end.synchronize();
      const double us = start.elapsed_time(end) * 1e3 / kTimedRuns;
      if (i == 0) first_us = us;
      if (best == 0 || us < best) best = us, chosen = i;
    }
    if (best == 0) fail("tuned matmul: every cuBLASLt candidate failed");
    chosen_us = best;
    timed = true;
  }
};

using Key = std::tuple<int, int, int64_t, int64_t, int64_t, uint32_t>;  // device, dtype, M, N, K, alignment
std::mutex plans_mutex;
std::map<Key, std::unique_ptr<Plan>> plans;

}  // namespace

bool supports(const at::Tensor& x, const at::Tensor& weight) {
  const auto type = x.scalar_type();
  return x.is_cuda() && weight.device() == x.device() && (type == at::kBFloat16 || type == at::kHalf) &&
         weight.scalar_type() == type && x.dim() == 2 && weight.dim() == 2 && x.size(1) == weight.size(1) && x.size(0) > 0 &&
         x.size(0) <= kMaxRows && weight.size(0) > 0 && x.is_contiguous() && weight.is_contiguous() && alignment(x.data_ptr()) >= 16 &&
         alignment(weight.data_ptr()) >= 16;
}

at::Tensor linear(const at::Tensor& x, const at::Tensor& weight) {
  if (!supports(x, weight)) fail("tuned matmul: x and weight must be contiguous 2-D bf16/fp16 CUDA tensors of matching depth");
  c10::cuda::CUDAGuard guard(x.device());
  const int64_t m = x.size(0), n = weight.size(0), k = x.size(1);
  at::Tensor y = at::empty({m, n}, x.options());
  const uint32_t align = std::min({alignment(x.data_ptr()), alignment(weight.data_ptr()), alignment(y.data_ptr())});
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream().stream();
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream, &capture) != cudaSuccess) fail("tuned matmul: cudaStreamIsCapturing failed");
  const Key key{x.device().index(), static_cast<int>(x.scalar_type()), m, n, k, align};
  std::lock_guard lock(plans_mutex);
  auto& plan = plans[key];
  if (!plan) {
    plan = std::make_unique<Plan>(m, n, k, x.scalar_type() == at::kBFloat16 ? CUDA_R_16BF : CUDA_R_16F, align,
                                  at::cuda::getCUDABlasLtWorkspaceSize());
  }
  if (!plan->timed && capture == cudaStreamCaptureStatusNone) plan->time(x, weight, y, stream);
  check(plan->run(plan->timed ? plan->chosen : 0, x, weight, y, stream), "cublasLtMatmul");
  return y;
}

std::vector<TunedShape> tuned_shapes() {
  std::lock_guard lock(plans_mutex);
  std::vector<TunedShape> shapes;
  for (const auto& [key, plan] : plans) {
    if (!plan->timed) continue;
    shapes.push_back({std::get<2>(key), std::get<3>(key), std::get<4>(key), static_cast<int>(plan->candidates.size()), plan->chosen,
                      plan->first_us, plan->chosen_us});
  }
  return shapes;
}

}  // namespace soar::tuned_matmul
