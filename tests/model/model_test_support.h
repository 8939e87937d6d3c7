// Shared helpers for the model tests: the transformers reference data written by
// tests/python/make_model_reference.py, and the logits of a cached decode as the sampler runs it.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "model/causal_lm.h"
#include "model/checkpoint.h"
#include "model/kv_cache.h"

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

// Logits of a left-padded prefill and then of decoding steps on forced tokens (so that every variant
// sees the same sequence), through the cache and decode_static exactly as the sampler runs them on
// `device`, with the model's fused kernels on or off: [1 + steps, batch, vocab] float32 on the CPU.
inline at::Tensor cached_decode_logits(CausalLMImpl& model, bool fused, const std::vector<std::vector<int64_t>>& prompts,
                                       const at::Tensor& forced, at::Device device) {
  model.set_fused_kernels(fused);
  model.stack_projections();
  at::InferenceMode inference;
  const int64_t batch = static_cast<int64_t>(prompts.size()), steps = forced.size(1);
  int64_t longest = 0;
  for (const auto& p : prompts) longest = std::max<int64_t>(longest, static_cast<int64_t>(p.size()));
  at::Tensor ids = at::zeros({batch, longest}, at::kLong), mask = at::zeros({batch, longest}, at::kLong);
  for (int64_t row = 0; row < batch; ++row) {
    const int64_t offset = longest - static_cast<int64_t>(prompts[row].size());
    for (size_t j = 0; j < prompts[row].size(); ++j) {
      const int64_t at_column = offset + static_cast<int64_t>(j);
      ids[row][at_column] = prompts[row][j];
      mask[row][at_column] = 1;
    }
  }
  KVCache cache(model.config(), batch, longest + steps + 5, model.dtype(), device);
  std::vector<at::Tensor> logits = {model.logits(model.hidden_states_cached(ids.to(device), cache, mask.to(device)).select(1, -1))};
  cache.sync_slot_tensor();
  for (int64_t t = 0; t < steps; ++t) {
    cache.claim_slots(1);
    logits.push_back(model.logits(model.decode_static(forced.select(1, t).unsqueeze(1).to(device), cache).select(1, -1)));
  }
  return at::stack(logits).to(at::kFloat).cpu();
}

}  // namespace soar::test
