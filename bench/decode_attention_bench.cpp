// The CPU decoding step's attention: fused::decode_attention (src/model/cpu_fused_kernels.h)
// against ATen's scaled_dot_product_attention with the validity mask, as the model's unfused path
// calls it (query heads grouped per kv head), in the same run. Per shape: time per call and the
// rate at which it reads the cache's filled slots (keys and values, GB/s), the bound of an
// attention this narrow; several layers' caches are cycled so that none stays in cache.
//
//   decode_attention_bench [--threads N]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "model/fused_ops.h"
#include "timing.h"

namespace {

struct Shape {
  const char* name;
  int64_t batch, heads, kv_heads, head_dim, capacity, filled;
};

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--threads") threads = std::stoi(argv[i + 1]);
  }
  at::set_num_threads(threads);
  at::InferenceMode inference;
  const Shape shapes[] = {
      {"testbed, batch 64", 64, 4, 4, 32, 96, 64},
      {"SmolLM2-135M, batch 64", 64, 9, 3, 64, 228, 164},
      {"SmolLM2-135M, batch 8", 8, 9, 3, 64, 228, 164},
      {"SmolLM2-135M, batch 1", 1, 9, 3, 64, 228, 164},
  };
  std::printf("decode_attention_bench: %d thread(s); GB/s = the filled slots' keys and values read per call\n\n", threads);
  std::printf("| shape | fused | GB/s | ATen SDPA | GB/s | ratio |\n|---|---|---|---|---|---|\n");
  for (const Shape& s : shapes) {
    const int64_t group = s.heads / s.kv_heads;
    const int64_t cache_bytes = 2 * s.batch * s.kv_heads * s.capacity * s.head_dim * 4;
    const int64_t layers = std::max<int64_t>(2, (256 << 20) / cache_bytes);  // > 256 MB in all: out of every cache
    std::vector<at::Tensor> keys, values;
    for (int64_t l = 0; l < layers; ++l) {
      keys.push_back(at::randn({s.batch, s.kv_heads, s.capacity, s.head_dim}));
      values.push_back(at::randn({s.batch, s.kv_heads, s.capacity, s.head_dim}));
    }
    at::Tensor q = at::randn({s.batch, s.heads, s.head_dim});
    at::Tensor valid = at::zeros({s.batch, s.capacity}, at::kBool);
    valid.narrow(1, 0, s.filled).fill_(true);
    at::Tensor slot = at::full({1}, s.filled - 1, at::kLong);
    at::Tensor bias = at::zeros({s.batch, 1, 1, s.filled}).masked_fill_(valid.narrow(1, 0, s.filled).logical_not().view({s.batch, 1, 1, s.filled}),
                                                                        -INFINITY);
    int64_t layer = 0;
    const double fused = soar::bench::seconds_per_call(
        [&] {
          soar::fused::decode_attention(q, keys[layer], values[layer], valid, slot, 0);
          layer = (layer + 1) % layers;
        },
        1.0);
    const at::Tensor grouped = q.view({s.batch, s.kv_heads, group, s.head_dim});
    const double aten = soar::bench::seconds_per_call(
        [&] {
          at::scaled_dot_product_attention(grouped, keys[layer].narrow(2, 0, s.filled), values[layer].narrow(2, 0, s.filled), bias);
          layer = (layer + 1) % layers;
        },
        1.0);
    const double bytes = 2.0 * s.batch * s.kv_heads * s.filled * s.head_dim * 4;
    std::printf("| %s (%lld/%lld heads, head_dim %lld, %lld slots) | %.1f us | %.1f | %.1f us | %.1f | %.2fx |\n", s.name,
                static_cast<long long>(s.heads), static_cast<long long>(s.kv_heads), static_cast<long long>(s.head_dim),
                static_cast<long long>(s.filled), fused * 1e6, bytes / fused / 1e9, aten * 1e6, bytes / aten / 1e9, aten / fused);
  }
  return 0;
}
