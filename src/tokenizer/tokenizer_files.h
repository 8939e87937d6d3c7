// The files that make a directory's tokenizer (what transformers reads next to a model).
#pragma once

#include <filesystem>
#include <optional>

#include "tokenizer/chat_template.h"

namespace soar {

// Copies tokenizer.json, tokenizer_config.json, special_tokens_map.json and chat_template.jinja
// (those that exist) from `from_dir` to `to_dir`, so that a saved model directory stays a complete
// policy that transformers loads with its chat template.
void copy_tokenizer_files(const std::filesystem::path& from_dir, const std::filesystem::path& to_dir);

// The directory's chat template as transformers finds it: chat_template.jinja, else the
// "chat_template" of tokenizer_config.json (a string, or a list of {"name", "template"} of which
// "default" is used); nullopt when it has neither. A malformed tokenizer_config.json is a soar::Error
// naming the file and the field.
std::optional<ChatTemplate> read_chat_template(const std::filesystem::path& dir);

}  // namespace soar
