#include "model/attention_ops.h"

namespace soar {

// Always a real copy: with one kv head the reshape of the expanded view would be a view with head
// stride 0, and CUDA's fused attention returned wrong results on such keys at key lengths 64k + 1
// (seen on an H200 with torch 2.11: tests/gpu/gpu_test.cpp, qwen2 reference model).
at::Tensor repeat_kv(const at::Tensor& x, int64_t repeats) {
  if (repeats == 1) return x;
  auto sizes = x.sizes();
  return x.unsqueeze(2).expand({sizes[0], sizes[1], repeats, sizes[2], sizes[3]})
      .reshape({sizes[0], sizes[1] * repeats, sizes[2], sizes[3]})
      .contiguous();
}

at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const int64_t repeats = q.size(1) / k.size(1);
  // On a GPU in bf16/fp16 the flash kernel reads grouped kv heads itself (enable_gqa); other
  // backends need the copies.
  const bool flash_gqa = q.is_cuda() && (q.scalar_type() == at::kBFloat16 || q.scalar_type() == at::kHalf) &&
                         q.size(-1) <= 256 && repeats > 1;
  return flash_gqa ? at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true, std::nullopt, /*enable_gqa=*/true)
                   : at::scaled_dot_product_attention(q, repeat_kv(k, repeats), repeat_kv(v, repeats), {}, 0.0, /*is_causal=*/true);
}

}  // namespace soar
