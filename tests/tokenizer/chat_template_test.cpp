// Reading a model directory's chat template (tokenizer_files.h) and recognising it (chat_template.h):
// the real templates are recognised, edited ones refused with the --chat flag named, malformed
// tokenizer_config.json files are errors naming the file and the field. Rendering is compared with
// transformers in chat_template_reference_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/directory.h"
#include "core/error.h"
#include "core/text.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer_files.h"

namespace {

namespace fs = std::filesystem;
using soar::ChatFormat;
using soar::ChatTemplate;

const fs::path kShared = fs::path(SOAR_SHARED_DIR) / "data" / "tokenizers";

class ChatTemplateDir : public ::testing::Test {
 protected:
  fs::path dir_ = fs::temp_directory_path() /
                  ("soar_chat_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  void SetUp() override {
    soar::remove_tree(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { soar::remove_tree(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name, std::ios::binary) << text; }
  // The message of the soar::Error that reading and recognising the directory's template throws.
  std::string error() {
    try {
      if (const auto t = soar::read_chat_template(dir_)) soar::recognise_chat_template(*t);
    } catch (const soar::Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  }
};

// The real model's template, as read from shared/data/tokenizers/NAME.
ChatTemplate real(const std::string& name) {
  std::optional<ChatTemplate> t = soar::read_chat_template(kShared / name);
  if (!t) throw soar::Error(name + ": no chat template");
  return *t;
}

#define SKIP_WITHOUT_DATA() \
  if (!fs::exists(kShared / "llama3" / "tokenizer_config.json")) GTEST_SKIP() << "no " << kShared.string()

TEST(ChatTemplate, RecognisesTheRealTemplates) {
  SKIP_WITHOUT_DATA();
  const ChatTemplate llama = real("llama3");
  EXPECT_EQ(llama.where, (kShared / "llama3" / "tokenizer_config.json").string() + ": chat_template");
  EXPECT_EQ(llama.bos_token, "<|begin_of_text|>");
  EXPECT_EQ(soar::recognise_chat_template(llama), ChatFormat::Llama3);
  EXPECT_EQ(soar::recognise_chat_template(real("qwen3")), ChatFormat::Qwen3);
}

TEST(ChatTemplate, WhitespaceInsideTagsAndTheTrailingNewlineDoNotMatter) {
  SKIP_WITHOUT_DATA();
  ChatTemplate qwen = real("qwen3");
  // Jinja reads these the same: spaces inside tags, \r\n newlines, one trailing newline.
  soar::replace_all(qwen.text, "{%- if tools %}", "{%-  if\ttools\n%}");
  soar::replace_all(qwen.text, "{{- '<|im_start|>assistant\\n' }}", "{{-'<|im_start|>assistant\\n'}}");
  soar::replace_all(qwen.text, "\n", "\r\n");
  qwen.text += "\r\n";
  EXPECT_EQ(soar::recognise_chat_template(qwen), ChatFormat::Qwen3);
}

TEST(ChatTemplate, RefusesEditedTemplatesNamingTheFileAndTheFlag) {
  SKIP_WITHOUT_DATA();
  const ChatTemplate llama = real("llama3"), qwen = real("qwen3");
  const auto refused = [](ChatTemplate t, const std::string& from, const std::string& to) {
    ASSERT_NE(t.text.find(from), std::string::npos) << from;
    soar::replace_all(t.text, from, to);
    try {
      soar::recognise_chat_template(t);
      ADD_FAILURE() << "recognised after replacing " << from << " by " << to;
    } catch (const soar::Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(t.where + ": chat template not recognised"), std::string::npos) << message;
      EXPECT_NE(message.find("--chat NAME (llama3, chatml, qwen3, smollm2)"), std::string::npos) << message;
      EXPECT_NE(message.find("--chat none"), std::string::npos) << message;
    }
  };
  refused(llama, "| trim", "");                                                // a filter dropped
  refused(llama, "'<|eot_id|>'", "'<|eot_id|>\\n'");                           // a string literal changed
  refused(qwen, "'<|im_start|>assistant\\n'", "'<|im_start|>assistant\\n '");  // whitespace inside a string
  refused(llama, "<|end_header_id|>\n\n'", "<|end_header_id|>\n'");            // newlines inside a string
  refused(qwen, "{%- if tools %}\n", "{%- if tools %}\n\n");                   // text between tags
  refused(qwen, "{%- if tools %}", "{% if tools %}");                          // whitespace control
  refused(qwen, "{{- message.content }}", "{{ -message.content }}");           // a unary minus, not the marker
  refused(llama, "{% set loop_messages", "{% raw %}{%  set loop_messages");    // raw text is not lexed
  refused(llama, "{% set loop_messages", "{# {{ #}{% set loop_messages");      // a comment holding "{{"
  EXPECT_THROW(soar::recognise_chat_template({"", "empty", std::nullopt}), soar::Error);
}

TEST(ChatTemplate, Llama3NeedsItsBosToken) {
  SKIP_WITHOUT_DATA();
  ChatTemplate llama = real("llama3");
  llama.bos_token = "<s>";
  try {
    soar::recognise_chat_template(llama);
    ADD_FAILURE() << "recognised with another bos_token";
  } catch (const soar::Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs bos_token \"<|begin_of_text|>\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--chat none"), std::string::npos) << e.what();
  }
}

TEST(ChatTemplate, CanonicalForm) {
  EXPECT_EQ(soar::canonical_chat_template("a {{x}} b{%-if  y-%}\n"), "a {{ x }} b{%- if y -%}");
  EXPECT_EQ(soar::canonical_chat_template("{{ {'a': {'b': '}}'}} }}"), "{{ {'a': {'b': '}}'}} }}");
  EXPECT_EQ(soar::canonical_chat_template("{{ 'it\\'s' }}"), "{{ 'it\\'s' }}");
  EXPECT_EQ(soar::canonical_chat_template("{{ 'a  b' }}\r\n{{x}}\r\n"), "{{ 'a  b' }}\n{{ x }}");
  EXPECT_EQ(soar::canonical_chat_template("{{ -x }}{{-x}}"), "{{ -x }}{{- x }}");
  EXPECT_EQ(soar::canonical_chat_template("{{ 'open"), std::nullopt);
  EXPECT_EQ(soar::canonical_chat_template("{% if x"), std::nullopt);
  EXPECT_EQ(soar::canonical_chat_template("{# open"), std::nullopt);
}

TEST_F(ChatTemplateDir, NoTemplate) {
  EXPECT_EQ(soar::read_chat_template(dir_), std::nullopt);
  write("tokenizer_config.json", R"({"bos_token": null, "chat_template": null})");
  EXPECT_EQ(soar::read_chat_template(dir_), std::nullopt);
}

TEST_F(ChatTemplateDir, JinjaFileComesFirst) {
  write("tokenizer_config.json", R"({"bos_token": {"content": "<s>", "special": true}, "chat_template": "config"})");
  EXPECT_EQ(soar::read_chat_template(dir_)->text, "config");
  write("chat_template.jinja", "file");
  const auto t = soar::read_chat_template(dir_);
  EXPECT_EQ(t->text, "file");
  EXPECT_EQ(t->where, (dir_ / "chat_template.jinja").string());
  EXPECT_EQ(t->bos_token, "<s>");
  EXPECT_NE(error().find((dir_ / "chat_template.jinja").string() + ": chat template not recognised"),
            std::string::npos);
}

TEST_F(ChatTemplateDir, ListOfTemplatesUsesDefault) {
  write("tokenizer_config.json",
        R"({"chat_template": [{"name": "tool_use", "template": "t"}, {"name": "default", "template": "d"}]})");
  EXPECT_EQ(soar::read_chat_template(dir_)->text, "d");
  write("tokenizer_config.json", R"({"chat_template": [{"name": "tool_use", "template": "t"}]})");
  EXPECT_NE(error().find("tokenizer_config.json: chat_template is a list of templates with none named \"default\""),
            std::string::npos);
}

TEST_F(ChatTemplateDir, MalformedConfigNamesFileAndField) {
  const std::string file = (dir_ / "tokenizer_config.json").string();
  const auto expect = [&](const std::string& config, const std::string& expected) {
    write("tokenizer_config.json", config);
    const std::string message = error();
    EXPECT_NE(message.find(file + ": " + expected), std::string::npos) << config << " gave: " << message;
  };
  expect(R"({"chat_template": 42})",
         "chat_template must be a string or a list of {\"name\", \"template\"}, not number");
  expect(R"({"chat_template": {"default": "x"}})", "chat_template must be a string or a list");
  expect(R"({"chat_template": ["x"]})", "chat_template[0] must be an object with string \"name\" and \"template\"");
  expect(R"({"chat_template": [{"name": "default", "template": 1}]})", "chat_template[0] must be an object");
  expect(R"({"bos_token": 1, "chat_template": "x"})", "bos_token must be a string or an object");
  expect(R"({"chat_template": "x",)", "not valid JSON");
  expect(R"(["chat_template"])", "not a JSON object");
}

TEST_F(ChatTemplateDir, CopiedWithTheTokenizerFiles) {
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"})
    write(name, name);
  const fs::path to = dir_ / "copy";
  fs::create_directories(to);
  soar::copy_tokenizer_files(dir_, to);
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"})
    EXPECT_TRUE(fs::exists(to / name)) << name;
}

}  // namespace
