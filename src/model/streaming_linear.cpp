#include "model/streaming_linear.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <vector>

#include "model/cpu_vectors.h"

namespace soar {
namespace {

using cpu::Floats;
using cpu::kLanes;
using cpu::load;

struct Operands {
  const float* x;  // [rows, k], rows x_stride apart
  int64_t x_stride;
  const float* weight;  // [n, k], contiguous
  const float* bias;    // [n], or null
  float* y;             // [rows, n], contiguous
  int64_t rows, n, k;
};

// y[0 .. R, j0]: weight row j0 streamed once (in order: one stream, which the hardware prefetcher
// follows; four interleaved weight rows ran at half the rate), each 16-float slice multiplied into
// the R rows of x (which stay in L1). The k % 16 tail is summed after the lanes.
template <int R>
SOAR_INLINE void tile(const Operands& a, int64_t j0) {
  Floats acc[R] = {};
  const float* w = a.weight + j0 * a.k;
  const float* x = a.x;
  const int64_t body = a.k / kLanes * kLanes;
  for (int64_t i = 0; i < body; i += kLanes) {
    const Floats wv = load(w + i);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r] += load(x + r * a.x_stride + i) * wv;
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    float s = cpu::lane_sum(acc[r]);
    for (int64_t i = body; i < a.k; ++i) s += x[r * a.x_stride + i] * w[i];
    if (a.bias != nullptr) s += a.bias[j0];
    a.y[r * a.n + j0] = s;
  }
}

// Outputs [begin, end) for every row of x (at most kStreamingRows = 4: one pass over each weight row).
static_assert(kStreamingRows <= 4, "one tile holds every row of x");
SOAR_INLINE void project_outputs(const Operands& a, int64_t begin, int64_t end) {
  for (int64_t j = begin; j < end; ++j) {
    switch (a.rows) {
      case 4: tile<4>(a, j); break;
      case 3: tile<3>(a, j); break;
      case 2: tile<2>(a, j); break;
      default: tile<1>(a, j); break;
    }
  }
}

SOAR_CPU_CLONES(project_task, project_outputs, (const Operands& a, int64_t begin, int64_t end), (a, begin, end))

// How linear() computes a projection: ATen's at::linear, the streaming kernel, or ATen's GEMM
// with the operands swapped (the conditions are streams()' and swaps()' in the header).
enum class Path { aten, stream, swap };

Path choose_path(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!x.device().is_cpu() || x.scalar_type() != at::kFloat || weight.scalar_type() != at::kFloat) return Path::aten;
  if (weight.dim() != 2 || !weight.is_contiguous() || x.dim() < 1 || x.size(-1) != weight.size(1) || weight.size(1) == 0) {
    return Path::aten;
  }
  if (bias.defined() && (bias.scalar_type() != at::kFloat || !bias.is_contiguous() || bias.numel() != weight.size(0))) {
    return Path::aten;
  }
  if (at::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()))) {
    return Path::aten;
  }
  const int64_t rows = x.numel() / x.size(-1), k = weight.size(1);
  if (rows >= 1 && rows <= kStreamingRows && rows * k <= kStreamingFloats) return Path::stream;
  const bool one_position = x.dim() == 2 || (x.dim() >= 3 && x.size(-2) == 1);
  if (rows > kStreamingRows && rows <= kSwappedRows && k <= kSwappedMaxK && one_position) return Path::swap;
  return Path::aten;
}

}  // namespace

bool streams(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  return choose_path(x, weight, bias) == Path::stream;
}

bool swaps(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  return choose_path(x, weight, bias) == Path::swap;
}

at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  const Path path = choose_path(x, weight, bias);
  if (path == Path::aten) return at::linear(x, weight, bias);
  const int64_t k = weight.size(1), n = weight.size(0);
  const at::Tensor rows = x.reshape({-1, k}).contiguous();
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = n;
  if (path == Path::swap) {
    at::Tensor y_t = bias.defined() ? at::addmm(bias.unsqueeze(1), weight, rows.t()) : at::mm(weight, rows.t());
    return y_t.t().contiguous().view(shape);
  }
  at::Tensor y = at::empty({rows.size(0), n}, x.options());
  const Operands a{rows.data_ptr<float>(), k, weight.data_ptr<float>(), bias.defined() ? bias.data_ptr<float>() : nullptr,
                   y.data_ptr<float>(), rows.size(0), n, k};
  // Chunks of at least ~256 KB of weights, so that small projections do not pay for a thread hand-off.
  const int64_t grain = std::max<int64_t>(1, (int64_t{64} << 10) / k);
  static const auto project = cpu::pick(project_task_avx512, project_task_avx2, project_task_baseline);
  at::parallel_for(0, n, grain, [&](int64_t first, int64_t last) {
    project(a, first, last);
  });
  return y.view(shape);
}

}  // namespace soar
