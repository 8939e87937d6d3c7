// The decoding step's projections at few rows: soar::linear (the streaming kernel) against ATen's
// at::linear on SmolLM2-135M's weight shapes, in the same run. Prints per shape and row count the
// time and the weight-read rate (GB/s), which is the bound of a projection this narrow
// (docs/benchmarks.md, "CPU, a real model"; src/model/streaming_linear.h).
//
//   streaming_linear_bench [--threads N] [--rows 1,2,4,8,12,16,24,32]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "model/streaming_linear.h"
#include "timing.h"

int main(int argc, char** argv) {
  int threads = 2;
  std::vector<int64_t> row_counts = {1, 2, 4, 8, 12, 16, 24, 32};
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--rows") && i + 1 < argc) {
      row_counts.clear();
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) row_counts.push_back(std::stoll(item));
    } else {
      std::fprintf(stderr, "usage: streaming_linear_bench [--threads N] [--rows 1,2,4,...]\n");
      return 2;
    }
  }
  at::set_num_threads(threads);
  at::InferenceMode inference;
  // SmolLM2-135M: stacked q/k/v, o_proj, stacked gate/up, down_proj (each x 30 layers, distinct
  // weights so that nothing stays in cache between calls), and the tied output projection.
  struct Shape { const char* name; int64_t n, k, copies; };
  const std::vector<Shape> shapes = {{"qkv", 960, 576, 30}, {"o_proj", 576, 576, 30}, {"gate_up", 3072, 576, 30},
                                     {"down", 576, 1536, 30}, {"lm_head", 49152, 576, 1}};
  std::printf("threads %d; GB/s = weight bytes read per second\n", threads);
  std::printf("%-8s %5s %12s %12s %10s %10s %7s\n", "shape", "rows", "aten ms", "soar ms", "aten GB/s", "soar GB/s", "ratio");
  for (const Shape& s : shapes) {
    std::vector<at::Tensor> weights;
    for (int64_t c = 0; c < s.copies; ++c) weights.push_back(at::randn({s.n, s.k}));
    const double bytes = static_cast<double>(s.n * s.k * 4 * s.copies);
    for (int64_t rows : row_counts) {
      const at::Tensor x = at::randn({rows, s.k});
      const double aten = soar::bench::seconds_per_call([&] { for (const auto& w : weights) at::linear(x, w); }, 1.0);
      const double soar = soar::bench::seconds_per_call([&] { for (const auto& w : weights) soar::linear(x, w); }, 1.0);
      std::printf("%-8s %5lld %12.3f %12.3f %10.1f %10.1f %6.2fx\n", s.name, static_cast<long long>(rows), aten * 1e3, soar * 1e3,
                  bytes / aten / 1e9, bytes / soar / 1e9, aten / soar);
    }
  }
  return 0;
}
