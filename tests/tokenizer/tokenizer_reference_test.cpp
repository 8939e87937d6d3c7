// Parity with Hugging Face: the fixture (tests/python/make_tokenizer_reference.py) encodes >= 10,000
// generated strings per tokenizer with HF `tokenizers` and renders chat templates with
// `transformers`; every id sequence and decoded string here must be identical.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <set>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference_jsonl.h"
#include "core/error.h"
#include "tokenizer/chat_format.h"
#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"
#include "tokenizer/tokenizer.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kShared = fs::path(SOAR_SHARED_DIR) / "data" / "tokenizers";
const fs::path kReference = fs::path(SOAR_REFERENCE_DIR) / "tokenizer_reference";

std::string show(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s + "]";
}

#define SKIP_WITHOUT_DATA()                                                                           \
  do {                                                                                                \
    if (!fs::is_directory(kShared)) GTEST_SKIP() << "no real tokenizers at " << kShared << " (shared/ absent)"; \
    if (!fs::exists(kReference / "llama3.jsonl"))                                                     \
      GTEST_SKIP() << "no reference data at " << kReference << "; run ctest so fixture.tokenizer_reference runs"; \
  } while (0)

// Encodes and decodes every case of `cases_file` with the tokenizer in `tokenizer_file` and counts
// differences from HF, printing the first few in full.
void check_parity(const fs::path& tokenizer_file, const fs::path& cases_file) {
  const soar::Tokenizer tok = soar::Tokenizer::from_file(tokenizer_file);
  const std::vector<json> cases = read_reference_jsonl(cases_file);
  size_t strings = 0, decodes = 0, failures = 0, tokens = 0;
  double encode_seconds = 0;
  const auto report = [&](const std::string& what) {
    if (++failures <= 10) ADD_FAILURE() << cases_file.filename() << ": " << what;
  };
  for (const json& c : cases) {
    if (c.contains("decode_ids")) {
      ++decodes;
      const auto ids = c["decode_ids"].get<std::vector<int32_t>>();
      if (tok.decode(ids) != c["decoded"]) report("decode " + show(ids) + " = " + json(tok.decode(ids)).dump() + ", HF " + c["decoded"].dump());
      if (tok.decode(ids, true) != c["decoded_skip"]) report("decode (skip special) " + show(ids));
      continue;
    }
    ++strings;
    const std::string text = c["text"];
    const auto start = std::chrono::steady_clock::now();
    const std::vector<int32_t> ids = tok.encode(text, false);
    encode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    tokens += ids.size();
    const auto ids_special = tok.encode(text, true);
    const auto expected = c["ids"].get<std::vector<int32_t>>();
    if (ids != expected) {
      report("encode " + json(text).dump() + "\n  soar " + show(ids) + "\n  HF   " + show(expected));
      continue;
    }
    if (ids_special != c["ids_special"].get<std::vector<int32_t>>()) report("encode with special tokens " + json(text).dump());
    if (tok.decode(ids) != c["decoded"]) report("decode of " + json(text).dump() + " = " + json(tok.decode(ids)).dump());
    if (tok.decode(ids_special, true) != c["decoded_skip"]) report("decode (skip special) of " + json(text).dump());
  }
  std::cout << cases_file.filename().string() << ": " << strings << " strings and " << decodes
            << " id sequences compared, " << failures << " differences; encode " << tokens << " tokens in "
            << encode_seconds << " s (" << static_cast<int64_t>(tokens / encode_seconds) << " tokens/s, cache warming up)\n";
  EXPECT_GE(strings, 2000u);
  EXPECT_EQ(failures, 0u);
}

TEST(TokenizerParity, Llama3) {
  SKIP_WITHOUT_DATA();
  check_parity(kShared / "llama3" / "tokenizer.json", kReference / "llama3.jsonl");
}

TEST(TokenizerParity, Qwen3) {
  SKIP_WITHOUT_DATA();
  check_parity(kShared / "qwen3" / "tokenizer.json", kReference / "qwen3.jsonl");
}

TEST(TokenizerParity, Llama3WithTemplateProcessing) {
  SKIP_WITHOUT_DATA();
  check_parity(kReference / "llama3_template.json", kReference / "llama3_template.jsonl");
}

TEST(TokenizerParity, Qwen3VariantWithStrippedAddedTokensAndGpt2Regex) {
  SKIP_WITHOUT_DATA();
  check_parity(kReference / "qwen3_variant.json", kReference / "qwen3_variant.jsonl");
}

TEST(TokenizerParity, ChatTemplates) {
  SKIP_WITHOUT_DATA();
  size_t compared = 0;
  for (const json& c : read_reference_jsonl(kReference / "chat.jsonl")) {
    std::vector<soar::ChatMessage> messages;
    for (const json& m : c["messages"]) messages.push_back({m["role"], m["content"]});
    const auto format = soar::chat_format_by_name(c["format"]);
    ASSERT_TRUE(format) << c["format"];
    EXPECT_EQ(soar::format_chat(*format, messages, c["add_generation_prompt"]), c["text"].get<std::string>())
        << c["format"] << " " << c["messages"].dump() << " add_generation_prompt=" << c["add_generation_prompt"];
    ++compared;
  }
  std::cout << compared << " chat template renderings compared\n";
  EXPECT_GE(compared, 40u);
}

// The character classes the pre-tokenizer regexes use, over every code point: \s must be exactly
// HF's; \p{L}/\p{N} may only lack characters newer than PCRE2's Unicode tables (never over-match).
TEST(TokenizerParity, RegexCharacterClasses) {
  SKIP_WITHOUT_DATA();
  std::ifstream in(kReference / "regex_classes.json");
  ASSERT_TRUE(in) << "missing regex_classes.json";
  const json hf = json::parse(in);
  std::string text;
  std::vector<size_t> starts;
  std::vector<char32_t> cps;
  for (char32_t c = 1; c < 0x110000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    starts.push_back(text.size());
    cps.push_back(c);
    soar::tok::append_utf8(text, c);
  }
  for (const auto& [name, pattern] : {std::pair{"s", R"(\s)"}, {"L", R"(\p{L})"}, {"N", R"(\p{N})"}}) {
    const soar::tok::Regex re(pattern, false);
    std::vector<std::pair<size_t, size_t>> matches;
    re.find_all(text, matches);
    std::set<uint32_t> ours;
    size_t k = 0;
    for (const auto& [begin, end] : matches) {
      while (starts[k] < begin) ++k;
      ours.insert(cps[k]);
    }
    const auto list = hf[name].get<std::vector<uint32_t>>();
    const std::set<uint32_t> theirs(list.begin(), list.end());
    std::vector<uint32_t> only_ours, only_theirs;
    std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(), std::back_inserter(only_ours));
    std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(), std::back_inserter(only_theirs));
    std::cout << name << ": soar " << ours.size() << " code points, HF " << theirs.size() << "; only HF's: "
              << only_theirs.size() << " (Unicode 15/16 additions unknown to PCRE2's tables)\n";
    EXPECT_TRUE(only_ours.empty()) << name << ": first extra U+" << std::hex << (only_ours.empty() ? 0 : only_ours[0]);
    if (std::string(name) == "s") {
      EXPECT_TRUE(only_theirs.empty()) << "\\s lacks U+" << std::hex << (only_theirs.empty() ? 0 : only_theirs[0]);
    }
  }
}

// Concurrent encodes (sharing the word cache) give the single-threaded results.
TEST(TokenizerParity, ConcurrentEncodeIsConsistent) {
  SKIP_WITHOUT_DATA();
  const soar::Tokenizer tok = soar::Tokenizer::from_file(kShared / "qwen3" / "tokenizer.json");
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> expected;
  for (const json& c : read_reference_jsonl(kReference / "qwen3.jsonl")) {
    if (!c.contains("text")) continue;
    texts.push_back(c["text"]);
    expected.push_back(c["ids"].get<std::vector<int32_t>>());
    if (texts.size() == 3000) break;
  }
  std::vector<size_t> wrong(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < wrong.size(); ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < texts.size(); ++i) {
        const size_t k = (i * 7 + t * 1013) % texts.size();  // different orders per thread
        if (tok.encode(texts[k]) != expected[k]) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < wrong.size(); ++t) EXPECT_EQ(wrong[t], 0u) << "thread " << t;
}

// Encode speed on the mixed corpus with a warm cache (reported in docs/tokenizer.md).
TEST(TokenizerParity, EncodeSpeed) {
  SKIP_WITHOUT_DATA();
  for (const char* name : {"llama3", "qwen3"}) {
    const soar::Tokenizer tok = soar::Tokenizer::from_file(kShared / name / "tokenizer.json");
    std::vector<std::string> texts;
    for (const json& c : read_reference_jsonl(kReference / (std::string(name) + ".jsonl"))) {
      if (c.contains("text")) texts.push_back(c["text"]);
    }
    size_t tokens = 0, bytes = 0;
    for (const auto& t : texts) tokens += tok.encode(t).size();  // warm the cache
    const auto start = std::chrono::steady_clock::now();
    for (const auto& t : texts) {
      bytes += t.size();
      tok.encode(t);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << name << ": " << texts.size() << " strings, " << bytes << " bytes, " << tokens << " tokens in " << s
              << " s: " << static_cast<int64_t>(tokens / s) << " tokens/s (one thread, warm cache)\n";
    EXPECT_GT(tokens, 0u);
  }
}

}  // namespace
