// The testbed tokenizer.json must load in soar::Tokenizer and in HF `tokenizers`, and both must
// produce CharVocab's ids on corpus text (the model is trained on CharVocab ids directly).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/directory.h"
#include "domains/testbed/char_tokenizer.h"
#include "domains/testbed/corpus.h"
#include "tokenizer/tokenizer.h"

namespace soar::testbed {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> corpus_texts() {
  CorpusConfig config;
  config.teacher_set_fraction = 0.3;
  SplitMix64 rng(1);
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back(sample_document(config, rng));
  std::string ascii;
  for (int c = ' '; c <= '~'; ++c) ascii.push_back(static_cast<char>(c));
  texts.push_back(ascii + "\n" + ascii);
  texts.push_back("  leading and trailing spaces  \n\n");
  return texts;
}

fs::path scratch_dir() {
  fs::path dir = fs::temp_directory_path() / ("soar_testbed_tok_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

TEST(CharTokenizer, SoarTokenizerAgreesWithCharVocab) {
  const CharVocab vocab;
  const fs::path dir = scratch_dir();
  vocab.save(dir / "tokenizer.json");
  const Tokenizer tokenizer = Tokenizer::from_file(dir / "tokenizer.json");
  EXPECT_EQ(tokenizer.vocab_size(), CharVocab::kVocabSize);
  EXPECT_EQ(tokenizer.token_to_id("<|bos|>"), CharVocab::kBos);
  EXPECT_EQ(tokenizer.token_to_id("<|eos|>"), CharVocab::kEos);
  EXPECT_TRUE(tokenizer.is_special(CharVocab::kPad));
  for (const std::string& text : corpus_texts()) {
    const std::vector<int32_t> ids = vocab.encode_text(text);
    ASSERT_EQ(tokenizer.encode(text, false), ids) << text;
    std::vector<int32_t> with_bos = {CharVocab::kBos};
    with_bos.insert(with_bos.end(), ids.begin(), ids.end());
    ASSERT_EQ(tokenizer.encode(text, true), with_bos) << text;
    ASSERT_EQ(tokenizer.decode(with_bos, true), text);
    ASSERT_EQ(vocab.decode(with_bos), text);
  }
  EXPECT_THROW(vocab.encode_text("caf\xc3\xa9"), std::exception);
  soar::remove_tree(dir);
}

TEST(CharTokenizer, HuggingFaceTokenizersAgree) {
  const fs::path dir = scratch_dir();
  const CharVocab vocab;
  vocab.save(dir / "tokenizer.json");
  const std::vector<std::string> texts = corpus_texts();
  std::ofstream(dir / "texts.json") << nlohmann::json(texts).dump();
  const char* python = std::getenv("SOAR_PYTHON");
  ASSERT_NE(python, nullptr) << "SOAR_PYTHON is not set: run this test through ctest";
  const std::string command = std::string("\"") + python + "\" \"" + SOAR_SOURCE_DIR + "/tests/domains/testbed/hf_tokenize.py\" \"" +
                              (dir / "tokenizer.json").string() + "\" \"" + (dir / "texts.json").string() + "\" \"" +
                              (dir / "hf.json").string() + "\"";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(dir / "hf.json");
  const nlohmann::json hf = nlohmann::json::parse(in);
  ASSERT_EQ(hf.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::vector<int32_t> ids = vocab.encode_text(texts[i]);
    ASSERT_EQ(hf[i]["ids"].get<std::vector<int32_t>>(), ids) << texts[i];
    std::vector<int32_t> with_bos = {CharVocab::kBos};
    with_bos.insert(with_bos.end(), ids.begin(), ids.end());
    ASSERT_EQ(hf[i]["ids_special"].get<std::vector<int32_t>>(), with_bos) << texts[i];
    ASSERT_EQ(hf[i]["decoded"].get<std::string>(), texts[i]);
  }
  soar::remove_tree(dir);
}

}  // namespace
}  // namespace soar::testbed
