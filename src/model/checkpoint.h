// Loading and saving models as Hugging Face checkpoint directories: config.json plus
// model.safetensors (or shards with model.safetensors.index.json). What we save loads in
// transformers unchanged; what transformers saves loads here.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <optional>

#include "model/causal_lm.h"
#include "model/safetensors.h"

namespace soar {

struct LoadOptions {
  std::optional<at::ScalarType> dtype;  // default: default_dtype(device)
  at::Device device = at::kCPU;
  at::ScalarType resolved_dtype() const;
};

// float32 on the CPU (its bf16 matmuls are a slow fallback), bfloat16 on CUDA.
at::ScalarType default_dtype(at::Device device);

// Bytes the parameters of a model of `config` take in `dtype`.
int64_t parameter_bytes(const ModelConfig& config, at::ScalarType dtype);

// Throws soar::Error, before anything is allocated, when a model of `config` in `dtype` needs more
// than `available_bytes` on `device`, saying how many parameters would fit.
void check_model_fits(const ModelConfig& config, at::ScalarType dtype, at::Device device, int64_t available_bytes);

// Reads config.json and every parameter into a model allocated in its final dtype on its device
// (after check_model_fits against the device's free memory); throws soar::Error naming the file
// and the tensor for a missing or unexpected tensor, a shape mismatch, an unsupported dtype or a
// corrupt file.
CausalLM load_model(const std::filesystem::path& dir, const LoadOptions& options = {});

struct SaveOptions {
  std::optional<at::ScalarType> dtype;       // default: the model's dtype
  std::size_t max_shard_bytes = 5'000'000'000;
};

// Writes config.json, generation_config.json and the weights, each file atomically.
void save_model(CausalLMImpl& model, const std::filesystem::path& dir, const SaveOptions& options = {});

std::string dtype_config_name(at::ScalarType dtype);  // "float32", "bfloat16", "float16"

// Copies a safetensors view into a new CPU tensor of the stored dtype (views may be unaligned).
at::Tensor tensor_from_view(const safetensors::TensorView& view);

}  // namespace soar
