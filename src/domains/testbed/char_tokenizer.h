// The testbed model's vocabulary: one token per printable ASCII character and newline, plus the
// special tokens <|bos|>, <|eos|> and <|pad|>. It is saved as an ordinary Hugging Face
// tokenizer.json (byte-level BPE with no merges, a ByteLevel pre-tokenizer without regex
// splitting, a TemplateProcessing post-processor that prepends <|bos|>, a ByteLevel decoder), so
// HF `tokenizers` and soar::Tokenizer both load it; tests check they agree with `encode_text`.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace soar::testbed {

class CharVocab {
 public:
  CharVocab();

  static constexpr int32_t kCharTokens = 96;  // ' '..'~' (95) and '\n'
  static constexpr int32_t kBos = 96, kEos = 97, kPad = 98;
  static constexpr int32_t kVocabSize = 99;

  // Ids of `text` without special tokens; throws soar::Error naming the character that has no token.
  std::vector<int32_t> encode_text(std::string_view text) const;
  void append_text(std::string_view text, std::vector<int32_t>& out) const;
  std::string decode(const std::vector<int32_t>& ids) const;  // special tokens are skipped

  // The tokenizer.json text, and writing it atomically.
  std::string tokenizer_json() const;
  void save(const std::filesystem::path& tokenizer_json_path) const;

 private:
  std::array<int32_t, 256> id_of_byte_;
  std::array<char, kCharTokens> byte_of_id_;
};

}  // namespace soar::testbed
