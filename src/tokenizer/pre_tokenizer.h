// Pre-tokenizers split normalized text into "words" that BPE encodes independently. Each stage maps
// the current list of pieces to a new list, as HF's PreTokenizedString does, so stages compose.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/config.h"

namespace soar::tok {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by its split (and possibly transformed) pieces; empty pieces are dropped.
  virtual void apply(std::vector<std::string>& pieces) const = 0;
};

// Builds the pre-tokenizer described by the "pre_tokenizer" field (null -> nullptr: the whole
// piece is one word). Supported: Sequence, Split (Isolated, not inverted), ByteLevel.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const std::optional<Field>& config);

}  // namespace soar::tok
