// libFuzzer target for the tokenizer on text and ids a model or a user might produce, with the real
// Llama 3 and Qwen 3 tokenizer.json files (../shared/data/tokenizers, or $SOAR_SHARED_DIR/...).
// The first input byte picks the tokenizer (bit 1) and what is fuzzed (bit 0):
// - text: invalid UTF-8 must be refused with soar::Error; valid text must encode to ids in the
//   vocabulary that decode back to the text (when it is NFC: Qwen 3 normalizes to NFC first);
// - ids (3 bytes each, spread a little past both ends of the vocabulary): decoding must give valid
//   UTF-8, and must fail with soar::Error exactly when some id names no token.
// Any other exception, crash, sanitizer report or hang is a finding.
#include <utf8proc.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "tokenizer/tokenizer.h"
#include "core/utf8.h"

namespace {

std::vector<soar::Tokenizer>& tokenizers() {
  static std::vector<soar::Tokenizer> loaded = [] {
    const char* shared = std::getenv("SOAR_SHARED_DIR");
    std::filesystem::path dir = std::filesystem::path(shared ? shared : "../shared") / "data" / "tokenizers";
    std::vector<soar::Tokenizer> t;
    for (const char* name : {"llama3", "qwen3"}) {
      std::filesystem::path file = dir / name / "tokenizer.json";
      if (!std::filesystem::exists(file)) {
        std::fprintf(stderr, "tokenizer_fuzz: %s not found (set SOAR_SHARED_DIR)\n", file.c_str());
        std::exit(1);
      }
      t.push_back(soar::Tokenizer::from_file(file));
    }
    return t;
  }();
  return loaded;
}

bool is_nfc(const std::string& text) {
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> nfc(
      utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(text.c_str())), &std::free);
  return nfc && text == reinterpret_cast<const char*>(nfc.get());
}

void fuzz_text(const soar::Tokenizer& tokenizer, const std::string& text) {
  if (soar::first_invalid_utf8(text)) {
    try {
      tokenizer.encode(text);
    } catch (const soar::Error&) {
      return;
    }
    std::abort();  // invalid UTF-8 accepted
  }
  std::vector<int32_t> ids = tokenizer.encode(text);
  for (int32_t id : ids)
    if (id < 0 || id >= tokenizer.vocab_size()) std::abort();
  // NUL ends utf8proc's C string: such text is only checked for a clean encode.
  if (text.find('\0') == std::string::npos && is_nfc(text) && tokenizer.decode(ids) != text) std::abort();
}

void fuzz_ids(const soar::Tokenizer& tokenizer, const std::uint8_t* data, std::size_t size) {
  const int64_t span = int64_t(tokenizer.vocab_size()) + 8;
  std::vector<int32_t> ids;
  bool all_name_tokens = true;
  for (std::size_t i = 0; i + 3 <= size; i += 3) {
    int64_t raw = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16);
    ids.push_back(int32_t(raw % span - 4));
    try {
      tokenizer.id_to_token(ids.back());
    } catch (const soar::Error&) {
      all_name_tokens = false;
    }
  }
  for (bool skip_special : {false, true}) {
    std::string text;
    try {
      text = tokenizer.decode(ids, skip_special);
    } catch (const soar::Error&) {
      if (all_name_tokens) std::abort();
      continue;
    }
    if (!all_name_tokens || soar::first_invalid_utf8(text)) std::abort();
  }
}

}  // namespace

// Loading the two files takes seconds: before the first input, so as not to count as a hang.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tokenizers();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const soar::Tokenizer& tokenizer = tokenizers()[(data[0] >> 1) & 1];
  if (data[0] & 1) {
    fuzz_ids(tokenizer, data + 1, size - 1);
  } else {
    fuzz_text(tokenizer, std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  }
  return 0;
}
