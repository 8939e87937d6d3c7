#include "domains/testbed/char_tokenizer.h"

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "tokenizer/byte_level.h"

namespace soar::testbed {

CharVocab::CharVocab() {
  id_of_byte_.fill(-1);
  int32_t id = 0;
  for (int byte = ' '; byte <= '~'; ++byte) {
    id_of_byte_[byte] = id;
    byte_of_id_[id++] = static_cast<char>(byte);
  }
  id_of_byte_['\n'] = id;
  byte_of_id_[id] = '\n';
}

void CharVocab::append_text(std::string_view text, std::vector<int32_t>& out) const {
  for (size_t i = 0; i < text.size(); ++i) {
    const int32_t id = id_of_byte_[static_cast<unsigned char>(text[i])];
    if (id < 0) fail("testbed vocabulary has no token for byte ", static_cast<int>(static_cast<unsigned char>(text[i])), " at offset ", i);
    out.push_back(id);
  }
}

std::vector<int32_t> CharVocab::encode_text(std::string_view text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  append_text(text, ids);
  return ids;
}

std::string CharVocab::decode(const std::vector<int32_t>& ids) const {
  std::string text;
  for (int32_t id : ids) {
    if (id >= 0 && id < kCharTokens) text.push_back(byte_of_id_[id]);
    else if (id < 0 || id >= kVocabSize) fail("testbed vocabulary has no token id ", id);
  }
  return text;
}

std::string CharVocab::tokenizer_json() const {
  using Json = nlohmann::ordered_json;
  Json vocab = Json::object();
  for (int32_t id = 0; id < kCharTokens; ++id) {
    std::string token;
    tok::bytes_to_byte_level(std::string_view(&byte_of_id_[id], 1), token);
    vocab[token] = id;
  }
  const std::pair<const char*, int32_t> specials[] = {{"<|bos|>", kBos}, {"<|eos|>", kEos}, {"<|pad|>", kPad}};
  Json added = Json::array();
  for (const auto& [content, id] : specials) {
    vocab[content] = id;
    added.push_back({{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                     {"normalized", false}, {"special", true}});
  }
  Json bos_piece = {{"SpecialToken", {{"id", "<|bos|>"}, {"type_id", 0}}}};
  Json tokenizer = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      // No regex split: every character is its own token anyway, and the ids stay position-independent.
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", Json::array({bos_piece, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
        {"pair", Json::array({bos_piece, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                              {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}})},
        {"special_tokens", {{"<|bos|>", {{"id", "<|bos|>"}, {"ids", {kBos}}, {"tokens", {"<|bos|>"}}}}}}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", Json::array()}}},
  };
  return tokenizer.dump(1) + "\n";
}

void CharVocab::save(const std::filesystem::path& path) const { write_text_atomically(path, tokenizer_json()); }

}  // namespace soar::testbed
