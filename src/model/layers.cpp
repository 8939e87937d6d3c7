#include "model/layers.h"

namespace soar {

LinearImpl::LinearImpl(int64_t in, int64_t out, bool with_bias, const at::TensorOptions& options) {
  weight = register_parameter("weight", at::empty({out, in}, options));
  if (with_bias) bias = register_parameter("bias", at::empty({out}, options));
}

EmbeddingImpl::EmbeddingImpl(int64_t count, int64_t size, const at::TensorOptions& options) {
  weight = register_parameter("weight", at::empty({count, size}, options));
}

RMSNormImpl::RMSNormImpl(int64_t size, double eps, const at::TensorOptions& options) : eps_(eps) {
  weight = register_parameter("weight", at::empty({size}, options));
}

at::Tensor RMSNormImpl::forward(const at::Tensor& x) {
  // On a GPU, ATen's fused kernel (one launch instead of eight; it scales in float32 before the
  // single cast, which is within bf16 rounding of transformers' order). Elsewhere as transformers:
  // normalise in float32, cast back, then scale.
  if (x.is_cuda()) return at::rms_norm(x, {weight.size(0)}, weight, eps_);
  at::Tensor x32 = x.to(at::kFloat);
  at::Tensor normed = x32 * at::rsqrt(x32.pow(2).mean(-1, true) + eps_);
  return weight * normed.to(x.scalar_type());
}

}  // namespace soar
