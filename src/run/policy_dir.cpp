#include "run/policy_dir.h"

#include <algorithm>

#include "core/error.h"
#include "core/text.h"

namespace soar {

std::optional<ChatFormat> resolve_chat_format(const std::string& name, const std::filesystem::path& model_dir) {
  if (name == "none") return std::nullopt;
  if (name == "auto") {
    const std::optional<ChatTemplate> own = read_chat_template(model_dir);
    return own ? std::optional(recognise_chat_template(*own)) : std::nullopt;
  }
  if (const std::optional<ChatFormat> format = chat_format_by_name(name)) return format;
  fail("unknown chat format '", name, "' (auto, none, ", chat_format_names(), ")");
}

Policy load_policy(const std::filesystem::path& dir, const LoadOptions& options) {
  if (!std::filesystem::is_directory(dir)) fail("model directory ", dir, " does not exist");
  std::filesystem::path tokenizer = dir / "tokenizer.json";
  if (!std::filesystem::exists(tokenizer)) fail("model directory ", dir, " has no tokenizer.json (needed to turn problems into tokens)");
  Policy policy;
  policy.dir = dir;
  policy.tokenizer = std::make_shared<const Tokenizer>(Tokenizer::from_file(tokenizer));
  policy.model = load_model(dir, options);
  const int64_t tokens = policy.tokenizer->vocab_size(), rows = policy.model->config().vocab_size;
  if (tokens > rows) fail(tokenizer, " has ", tokens, " tokens but the model's vocab_size is ", rows);
  // Embeddings are padded past the tokenizer (Qwen2.5: 271 rows, DeepSeek-V3: 465), never by much: a
  // far smaller vocabulary is another model's tokenizer, whose ids would decode to garbage.
  if (rows - tokens > std::max<int64_t>(1024, rows / 16)) {
    fail(tokenizer, " has ", tokens, " tokens but the model's embedding has ", rows,
         " rows: the tokenizer does not belong to this model");
  }
  return policy;
}

PromptEncoder Policy::prompt_encoder(const PromptFormat& format) const {
  auto tok = tokenizer;
  return [tok, format](const Problem& problem) {
    std::string text = format.template_text;
    replace_all(text, "{problem}", problem.problem);
    if (format.chat) {
      std::vector<ChatMessage> messages;
      if (!format.system.empty()) messages.push_back({"system", format.system});
      messages.push_back({"user", text});
      text = format_chat(*format.chat, messages, true);
    }
    std::vector<int32_t> ids = tok->encode(text, /*add_special_tokens=*/!format.chat.has_value());
    if (ids.empty()) fail("problem '", problem.id, "' encodes to no tokens");
    return ids;
  };
}

Detokenizer Policy::detokenizer() const {
  auto tok = tokenizer;
  const int32_t known = tok->vocab_size();
  return [tok, known](std::span<const int32_t> ids) {
    // Models often pad their vocabulary past the tokenizer's (for matmul shapes); a sampled padding
    // id has no text, so it is dropped, as Hugging Face's decode does.
    std::vector<int32_t> text_ids;
    text_ids.reserve(ids.size());
    for (int32_t id : ids) {
      if (id < known) text_ids.push_back(id);
    }
    return tok->decode(text_ids, /*skip_special_tokens=*/true);
  };
}

std::vector<int32_t> Policy::eos_token_ids() const {
  std::vector<int32_t> ids;
  for (int64_t id : model->config().eos_token_ids) ids.push_back(static_cast<int32_t>(id));
  for (const char* name : {"<|eot_id|>", "<|im_end|>", "<|endoftext|>", "<|end_of_text|>"}) {
    if (auto id = tokenizer->token_to_id(name)) {
      if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
    }
  }
  return ids;
}

}  // namespace soar
