// Chat prompt formatting for the model families we serve, written out in C++ instead of running the
// Jinja chat template. Each function reproduces its family's template (chat_template.h recognises
// those templates by fingerprint) for plain system/user/assistant messages with no tools.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace soar {

enum class ChatFormat {
  Llama3,   // <|start_header_id|>role<|end_header_id|>\n\n content <|eot_id|>, with BOS text first
  ChatML,   // <|im_start|>role\n content <|im_end|>\n, each message verbatim
  Qwen3,    // ChatML, plus Qwen 3's handling of <think>…</think> in assistant turns
  SmolLM2,  // ChatML with SmolLM2's default system message when the conversation has none
};

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

// The prompt text (special tokens as text; encode it with add_special_tokens = false). Throws
// soar::Error for an empty conversation or another role. Note Llama 3's template always ends with
// the assistant header, whatever add_generation_prompt says; we reproduce that.
std::string format_chat(ChatFormat format, const std::vector<ChatMessage>& messages, bool add_generation_prompt);

// The names of --chat: "llama3", "chatml", "qwen3", "smollm2".
std::optional<ChatFormat> chat_format_by_name(const std::string& name);  // nullopt for another name
// "llama3, chatml, qwen3, smollm2", for messages.
std::string chat_format_names();

}  // namespace soar
