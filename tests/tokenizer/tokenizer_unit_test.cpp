// Self-contained tokenizer tests: error reporting for malformed tokenizer.json (each error must name
// the file and the JSON field), UTF-8 handling, and BPE behaviour on a tiny hand-made vocabulary.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/chat_format.h"
#include "tokenizer/regex.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A minimal valid byte-level BPE tokenizer: "Ġ" is the byte-level form of a space.
json tiny_tokenizer() {
  return json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [{"id": 7, "content": "<|end|>", "single_word": false, "lstrip": false,
                      "rstrip": false, "normalized": false, "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": " ?\\p{L}+|\\s+"}, "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
    "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
              "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
              "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3, "Ġab": 4, "bb": 5, "abb": 6},
              "merges": ["a b", "Ġ ab", "b b", "ab b"]}
  })");
}

class TokenizerFile : public ::testing::Test {
 protected:
  fs::path path_ = fs::temp_directory_path() /
                   ("soar_tok_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".json");
  void TearDown() override { fs::remove(path_); }

  void write(const std::string& text) {
    std::ofstream(path_, std::ios::binary) << text;
  }
  soar::Tokenizer load(const json& j) {
    write(j.dump());
    return soar::Tokenizer::from_file(path_);
  }
  // Loading must fail with a soar::Error whose message names the file and contains `field`.
  void expect_error(const json& j, const std::string& field, const std::string& detail) {
    write(j.dump());
    try {
      soar::Tokenizer::from_file(path_);
      ADD_FAILURE() << "expected soar::Error mentioning " << field;
    } catch (const soar::Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path_.string()), std::string::npos) << msg;
      EXPECT_NE(msg.find("'" + field + "'"), std::string::npos) << msg;
      EXPECT_NE(msg.find(detail), std::string::npos) << msg;
    }
  }
};

TEST_F(TokenizerFile, NumberOutOfRangeOrNestedTooDeep) {
  for (const std::string& text : {std::string("{\"model\": 1e99999}"),
                                  "{\"x\": " + std::string(100'000, '[') + std::string(100'000, ']') + "}"}) {
    write(text);
    try {
      soar::Tokenizer::from_file(path_);
      ADD_FAILURE() << "expected soar::Error";
    } catch (const soar::Error& e) {
      EXPECT_NE(std::string(e.what()).find(path_.string()), std::string::npos) << e.what();
    }
  }
}

TEST_F(TokenizerFile, NotJson) {
  write("{\"model\": ");
  try {
    soar::Tokenizer::from_file(path_);
    ADD_FAILURE() << "expected soar::Error";
  } catch (const soar::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path_.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
}

TEST_F(TokenizerFile, MissingFile) {
  EXPECT_THROW(soar::Tokenizer::from_file(path_.string() + ".absent"), soar::Error);
}

TEST_F(TokenizerFile, MissingModel) {
  json j = tiny_tokenizer();
  j.erase("model");
  expect_error(j, "model", "is missing");
}

TEST_F(TokenizerFile, UnknownModelType) {
  json j = tiny_tokenizer();
  j["model"]["type"] = "WordPiece";
  expect_error(j, "model.type", "unsupported model type 'WordPiece'");
}

TEST_F(TokenizerFile, UnknownPreTokenizerType) {
  json j = tiny_tokenizer();
  j["pre_tokenizer"]["pretokenizers"][1] = {{"type", "Metaspace"}, {"replacement", "_"}};
  expect_error(j, "pre_tokenizer.pretokenizers[1].type", "unsupported pre-tokenizer type 'Metaspace'");
}

TEST_F(TokenizerFile, MergeWithUnknownToken) {
  json j = tiny_tokenizer();
  j["model"]["merges"][2] = "b zz";
  expect_error(j, "model.merges[2]", "'zz' which is not in model.vocab");
}

TEST_F(TokenizerFile, MergeResultNotInVocab) {
  json j = tiny_tokenizer();
  j["model"]["merges"].push_back("b a");
  expect_error(j, "model.merges[4]", "'ba' which is not in model.vocab");
}

TEST_F(TokenizerFile, BadRegex) {
  json j = tiny_tokenizer();
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(\\p{L}+";
  expect_error(j, "pre_tokenizer.pretokenizers[0].pattern.Regex", "invalid regex");
}

TEST_F(TokenizerFile, UnknownNormalizer) {
  json j = tiny_tokenizer();
  j["normalizer"] = {{"type", "Lowercase"}};
  expect_error(j, "normalizer.type", "unsupported normalizer type 'Lowercase'");
}

TEST_F(TokenizerFile, UnknownDecoder) {
  json j = tiny_tokenizer();
  j["decoder"] = {{"type", "WordPiece"}};
  expect_error(j, "decoder.type", "unsupported decoder type 'WordPiece'");
}

TEST_F(TokenizerFile, UnsupportedSplitBehavior) {
  json j = tiny_tokenizer();
  j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed";
  expect_error(j, "pre_tokenizer.pretokenizers[0].behavior", "unsupported Split behavior 'Removed'");
}

TEST_F(TokenizerFile, WrongFieldType) {
  json j = tiny_tokenizer();
  j["model"]["vocab"]["a"] = "zero";
  expect_error(j, "model.vocab.a", "expected an integer token id");
}

TEST_F(TokenizerFile, TemplateWithUnknownSpecialToken) {
  json j = tiny_tokenizer();
  j["post_processor"] = json::parse(R"({"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "pair": [], "special_tokens": {}})");
  expect_error(j, "post_processor.single[0].SpecialToken.id", "'<s>' is not listed in special_tokens");
}

TEST_F(TokenizerFile, EncodesByMergeRank) {
  const soar::Tokenizer tok = load(tiny_tokenizer());
  using V = std::vector<int32_t>;
  EXPECT_EQ(tok.encode("ab"), (V{3}));
  EXPECT_EQ(tok.encode("abb"), (V{6}));        // "a b" (rank 0) first, then "ab b"
  EXPECT_EQ(tok.encode("bbab ab"), (V{5, 3, 4}));
  EXPECT_EQ(tok.encode("ba"), (V{1, 0}));
  EXPECT_EQ(tok.encode("a<|end|>b"), (V{0, 7, 1}));
  EXPECT_EQ(tok.encode("c"), (V{}));           // not in the vocab, no unk token: dropped, like HF
  EXPECT_EQ(tok.vocab_size(), 8);
  EXPECT_EQ(tok.token_to_id("<|end|>"), 7);
  EXPECT_EQ(tok.token_to_id("zz"), std::nullopt);
  EXPECT_TRUE(tok.is_special(7));
  EXPECT_FALSE(tok.is_special(3));
  const std::array<int32_t, 3> ids{4, 7, 6};
  EXPECT_EQ(tok.decode(ids), " ab<|end|>abb");
  EXPECT_EQ(tok.decode(ids, /*skip_special_tokens=*/true), " ababb");
}

TEST_F(TokenizerFile, TemplateProcessingAddsTokensOnlyWhenAsked) {
  json j = tiny_tokenizer();
  j["post_processor"] = json::parse(R"({"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<|end|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
               {"SpecialToken": {"id": "<|end|>", "type_id": 0}}],
    "pair": [], "special_tokens": {"<|end|>": {"id": "<|end|>", "ids": [7], "tokens": ["<|end|>"]}}})");
  const soar::Tokenizer tok = load(j);
  EXPECT_EQ(tok.encode("ab", true), (std::vector<int32_t>{7, 3, 7}));
  EXPECT_EQ(tok.encode("ab", false), (std::vector<int32_t>{3}));
}

TEST_F(TokenizerFile, OutOfRangeIdsAreErrors) {
  const soar::Tokenizer tok = load(tiny_tokenizer());
  const std::array<int32_t, 2> past_end{0, 8};
  EXPECT_THROW(tok.decode(past_end), soar::Error);
  const std::array<int32_t, 1> negative{-1};
  EXPECT_THROW(tok.decode(negative), soar::Error);
  EXPECT_THROW(tok.id_to_token(8), soar::Error);
  EXPECT_EQ(tok.id_to_token(4), "Ġab");
}

TEST_F(TokenizerFile, InvalidUtf8InputIsAnError) {
  const soar::Tokenizer tok = load(tiny_tokenizer());
  EXPECT_THROW(tok.encode("a\xC3"), soar::Error);
  EXPECT_THROW(tok.encode("\xED\xA0\x80"), soar::Error);  // an encoded surrogate
}

TEST(Utf8, LossyDecodingReplacesMaximalSubparts) {
  // The example of Unicode 15 section 3.9 (U+FFFD substitution of maximal subparts).
  EXPECT_EQ(soar::tok::utf8_lossy("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd");
  EXPECT_EQ(soar::tok::utf8_lossy("\xC0\xAF"), "\uFFFD\uFFFD");  // overlong
  EXPECT_EQ(soar::tok::utf8_lossy("\xF4\x90\x80\x80"), "\uFFFD\uFFFD\uFFFD\uFFFD");  // > U+10FFFF
  EXPECT_EQ(soar::tok::utf8_lossy("h\xC3\xA9\xF0\x9F\x98\x80"), "h\u00E9\U0001F600");
}

// Oniguruma's \s is Unicode White_Space: U+0085 (NEL) is in, U+180E (a format character) is out.
TEST(Regex, WhitespaceMeansWhatOnigurumaMeans) {
  const std::string ws = R"(\t\n\x{0B}\f\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";
  EXPECT_EQ(soar::tok::onig_compatible_pattern(R"(\s+(?!\S)|[^\s\p{L}]|\\s)"),
            "[" + ws + "]+(?![^" + ws + "])|[^" + ws + R"(\p{L}]|\\s)");
  EXPECT_THROW(soar::tok::onig_compatible_pattern(R"([\S])"), soar::Error);

  const soar::tok::Regex re(R"(\s+(?!\S)|\s+)", false);
  std::vector<std::pair<size_t, size_t>> m;
  re.find_all("a \xC2\x85 b", m);  // space, NEL, space: the first two precede a space, then " b"
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], (std::pair<size_t, size_t>{1, 4}));
  EXPECT_EQ(m[1], (std::pair<size_t, size_t>{4, 5}));
  m.clear();
  re.find_all("a\xE1\xA0\x8E", m);  // U+180E is not whitespace
  EXPECT_TRUE(m.empty());
}

TEST(ChatFormat, RejectsUnsupportedConversations) {
  EXPECT_THROW(soar::format_chat(soar::ChatFormat::ChatML, {}, true), soar::Error);
  EXPECT_THROW(soar::format_chat(soar::ChatFormat::Llama3, {{"tool", "x"}}, true), soar::Error);
}

TEST(ChatFormat, ChatMLLayout) {
  EXPECT_EQ(soar::format_chat(soar::ChatFormat::ChatML, {{"system", "S"}, {"user", "U"}}, true),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
}

}  // namespace
