// soar's chat formats against transformers' own rendering of the real templates: the fixture
// (tests/python/make_chat_template_reference.py) renders 14 conversations (with and without a system
// message, multi-turn, unicode, empty content), each with and without the generation prompt, through
// apply_chat_template and encodes them with HF `tokenizers`. Each template must be recognised as its
// family from the file a model directory carries, and render the same text and ids.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference_jsonl.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "model/gguf.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_files.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kShared = fs::path(SOAR_SHARED_DIR) / "data" / "tokenizers";
const fs::path kReference = fs::path(SOAR_REFERENCE_DIR) / "chat_template_reference";

// `template_dir` holds the template as a model directory does; `tokenizer` encodes the rendering.
void check_family(const fs::path& template_dir, const fs::path& tokenizer_file, soar::ChatFormat expected,
                  const std::string& name) {
  const std::optional<soar::ChatTemplate> own = soar::read_chat_template(template_dir);
  ASSERT_TRUE(own) << template_dir << " has no chat template";
  ASSERT_EQ(soar::recognise_chat_template(*own), expected) << own->where;
  const soar::Tokenizer tokenizer = soar::Tokenizer::from_file(tokenizer_file);
  size_t compared = 0;
  for (const json& c : read_reference_jsonl(kReference / (name + ".jsonl"))) {
    std::vector<soar::ChatMessage> messages;
    for (const json& m : c["messages"]) messages.push_back({m["role"], m["content"]});
    const std::string text = soar::format_chat(expected, messages, c["add_generation_prompt"]);
    EXPECT_EQ(text, c["text"].get<std::string>())
        << name << " " << c["messages"].dump() << " add_generation_prompt=" << c["add_generation_prompt"];
    EXPECT_EQ(tokenizer.encode(text, /*add_special_tokens=*/false), c["ids"].get<std::vector<int32_t>>())
        << name << " " << c["messages"].dump();
    ++compared;
  }
  std::cout << name << ": " << compared << " renderings identical in text and ids\n";
  EXPECT_GE(compared, 20u);
}

#define SKIP_WITHOUT_DATA() \
  if (!fs::exists(kShared / "llama3" / "tokenizer.json")) GTEST_SKIP() << "no " << kShared.string()

TEST(ChatTemplateReference, Llama3) {
  SKIP_WITHOUT_DATA();
  check_family(kShared / "llama3", kShared / "llama3" / "tokenizer.json", soar::ChatFormat::Llama3, "llama3");
}

TEST(ChatTemplateReference, Qwen3) {
  SKIP_WITHOUT_DATA();
  check_family(kShared / "qwen3", kShared / "qwen3" / "tokenizer.json", soar::ChatFormat::Qwen3, "qwen3");
}

TEST(ChatTemplateReference, ChatML) {
  SKIP_WITHOUT_DATA();
  check_family(kReference / "chatml", kShared / "qwen3" / "tokenizer.json", soar::ChatFormat::ChatML, "chatml");
}

// SmolLM2's template as `soar convert --gguf` writes it (tokenizer_config.json's chat_template).
TEST(ChatTemplateReference, SmolLM2) {
  if (fs::exists(kReference / "smollm2_skip.txt")) {
    std::ifstream reason(kReference / "smollm2_skip.txt");
    GTEST_SKIP() << std::string(std::istreambuf_iterator<char>(reason), {});
  }
  const std::string gguf_path = json::parse(std::ifstream(kReference / "source.json"))["gguf"];
  const soar::GgufTokenizerFiles files = soar::tokenizer_files_from_gguf(soar::gguf::File::open(gguf_path));
  const fs::path dir = kReference / "smollm2_converted";
  fs::create_directories(dir);
  soar::write_text_atomically(dir / "tokenizer.json", files.tokenizer_json);
  soar::write_text_atomically(dir / "tokenizer_config.json", files.tokenizer_config_json);
  check_family(dir, dir / "tokenizer.json", soar::ChatFormat::SmolLM2, "smollm2");
}

}  // namespace
