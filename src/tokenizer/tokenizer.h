// A Hugging Face-compatible byte-level BPE tokenizer read from tokenizer.json. It produces the ids
// HF `tokenizers` produces for the components Llama 3 and Qwen 3 use (NFC, Split + ByteLevel
// pre-tokenization, BPE, added tokens, ByteLevel/TemplateProcessing post-processing, ByteLevel
// decoding) and rejects any other component with a soar::Error naming the file and JSON field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace soar {

class Tokenizer {
 public:
  // Throws soar::Error naming the file and the offending field.
  static Tokenizer from_file(const std::filesystem::path& tokenizer_json);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // `text` must be UTF-8 (else soar::Error). add_special_tokens means what it means in HF: apply
  // the post-processor's template (e.g. prepend BOS); added tokens in the text are always matched.
  // Safe to call concurrently from several threads.
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = false) const;

  // Throws soar::Error for an id that names no token. Invalid UTF-8 in the result decodes to U+FFFD.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  int32_t vocab_size() const;  // max id + 1, added tokens included
  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::string id_to_token(int32_t id) const;  // throws soar::Error for an id that names no token
  bool is_special(int32_t id) const;           // an added token marked "special"

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace soar
