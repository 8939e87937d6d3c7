// A policy on disk: a Hugging Face model directory (config.json, safetensors) with its
// tokenizer.json, loaded as the model plus the text functions every command needs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "model/causal_lm.h"
#include "model/checkpoint.h"
#include "rl/evaluate.h"
#include "tokenizer/chat_format.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_files.h"

namespace soar {

struct PromptFormat {
  std::string template_text = "{problem}";  // "{problem}" is replaced by the problem text
  std::optional<ChatFormat> chat;           // wrap as one user turn (plus system) when set
  std::string system;
};

// The format `--chat NAME` asks for on the model in `model_dir`: "none" plain text; "auto" the model's
// own chat template (tokenizer/chat_template.h), plain text when it has none; or a format by name
// (chat_format_names()). An unknown name, or an "auto" template soar does not render, is an error.
std::optional<ChatFormat> resolve_chat_format(const std::string& name, const std::filesystem::path& model_dir);

struct Policy {
  std::filesystem::path dir;  // where it was loaded from (its tokenizer files, chat template)
  CausalLM model{nullptr};
  std::shared_ptr<const Tokenizer> tokenizer;

  PromptEncoder prompt_encoder(const PromptFormat& format) const;
  Detokenizer detokenizer() const;
  std::vector<int32_t> eos_token_ids() const;  // from config.json, else the tokenizer's EOS-like special tokens
};

// Loads DIR/config.json, the weights and DIR/tokenizer.json; errors name the missing file.
Policy load_policy(const std::filesystem::path& dir, const LoadOptions& options);


}  // namespace soar
