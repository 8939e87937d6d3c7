// The parameter-holding leaves of the decoder: linear projection, token embedding, RMSNorm.
// Each allocates its parameters in the dtype and on the device it is given and leaves their
// values unset, as PyTorch's meta-device construction does for loading: the caller initialises
// them (CausalLMImpl::initialize_weights) or loads them (load_model), so a checkpoint is read
// straight into its final dtype and device without first building a random model.
// Parameter names are PyTorch's ("weight", "bias"), which gives Hugging Face's full names.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "model/streaming_linear.h"

namespace soar {

class LinearImpl : public torch::nn::Module {
 public:
  LinearImpl(int64_t in, int64_t out, bool bias, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x) { return soar::linear(x, weight, bias); }
  at::Tensor weight;  // [out, in]
  at::Tensor bias;    // [out], or undefined
};
TORCH_MODULE(Linear);

class EmbeddingImpl : public torch::nn::Module {
 public:
  EmbeddingImpl(int64_t count, int64_t size, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& ids) { return at::embedding(weight, ids); }
  at::Tensor weight;  // [count, size]
};
TORCH_MODULE(Embedding);

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t size, double eps, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);
  double eps() const { return eps_; }
  at::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RMSNorm);

}  // namespace soar
