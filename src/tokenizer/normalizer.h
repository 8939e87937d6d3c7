// Text normalizers applied to each piece of input between added tokens, before pre-tokenization.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tokenizer/config.h"

namespace soar::tok {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string normalize(std::string_view text) const = 0;
};

// Builds the normalizer described by the "normalizer" field (null -> nullptr, meaning identity).
// Supported: NFC, and Sequence of supported normalizers.
std::unique_ptr<Normalizer> make_normalizer(const std::optional<Field>& config);

}  // namespace soar::tok
