// The post-processor decides what encode(..., add_special_tokens=true) adds around the ids:
// ByteLevel adds nothing (it only adjusts offsets, which we do not return); TemplateProcessing's
// "single" template adds its special tokens (e.g. Llama 3's BOS). Sequence applies both in order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "tokenizer/config.h"

namespace soar::tok {

class PostProcessor {
 public:
  PostProcessor() = default;  // none: adds nothing
  explicit PostProcessor(const std::optional<Field>& config);

  std::vector<int32_t> apply(std::vector<int32_t> ids) const;

  // Fails if a template names an id >= vocab_size.
  void check_ids(int32_t vocab_size, const std::filesystem::path& file) const;

 private:
  void add(const Field& config);

  // A single-sequence template: runs of special ids around the place of the input ("$A").
  struct Template {
    std::vector<int32_t> before, after;
  };
  std::vector<Template> templates_;  // applied in order
};

}  // namespace soar::tok
