// The files that make a directory's tokenizer (what transformers reads next to a model).
#pragma once

#include <filesystem>

namespace soar {

// Copies tokenizer.json, tokenizer_config.json and special_tokens_map.json (those that exist) from
// `from_dir` to `to_dir`, so that a saved model directory stays a complete policy.
void copy_tokenizer_files(const std::filesystem::path& from_dir, const std::filesystem::path& to_dir);

}  // namespace soar
