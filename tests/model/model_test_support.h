// Shared helpers for the model tests: the transformers reference data written by
// tests/python/make_model_reference.py.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "model/checkpoint.h"

namespace soar::test {

inline std::filesystem::path model_reference_dir() { return std::filesystem::path(SOAR_REFERENCE_DIR) / "model_reference"; }

inline const std::vector<std::string>& families() {
  static const std::vector<std::string> names = {"llama3", "qwen2", "qwen3"};
  return names;
}

// All tensors of <family>/reference.safetensors, copied out of the mapping.
inline std::map<std::string, at::Tensor> load_reference(const std::string& family) {
  auto file = safetensors::File::open(model_reference_dir() / family / "reference.safetensors");
  std::map<std::string, at::Tensor> tensors;
  for (const auto& view : file.tensors()) tensors[view.name] = tensor_from_view(view);
  return tensors;
}

inline double max_abs_diff_where(const at::Tensor& a, const at::Tensor& b, const at::Tensor& mask) {
  at::Tensor diff = (a.to(at::kFloat) - b.to(at::kFloat)).abs();
  return diff.index({mask.to(at::kBool)}).max().item<double>();
}

}  // namespace soar::test
