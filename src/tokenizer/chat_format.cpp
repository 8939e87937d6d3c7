#include "tokenizer/chat_format.h"

#include <string_view>
#include <utility>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace soar {

namespace {

// Python's str.isspace() characters: Jinja's `trim` filter is Python's str.strip().
bool python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string_view python_strip(std::string_view s) {
  size_t begin = 0, end = s.size();
  while (begin < end) {
    const size_t n = utf8_sequence_length(s, begin);
    if (n == 0 || !python_space(tok::decode_utf8(s, begin, n))) break;
    begin += n;
  }
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    const size_t n = utf8_sequence_length(s, start);
    if (n != end - start || !python_space(tok::decode_utf8(s, start, n))) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

std::string_view strip_newlines_left(std::string_view s) {
  while (!s.empty() && s.front() == '\n') s.remove_prefix(1);
  return s;
}

std::string_view strip_newlines_right(std::string_view s) {
  while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}

void check_roles(const std::vector<ChatMessage>& messages) {
  if (messages.empty()) fail("format_chat: the conversation has no messages");
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& r = messages[i].role;
    if (r != "system" && r != "user" && r != "assistant") {
      fail("format_chat: message ", i, " has role '", r, "' (supported: system, user, assistant)");
    }
  }
}

std::string llama3(const std::vector<ChatMessage>& messages) {
  std::string out = "<|begin_of_text|>";
  for (const ChatMessage& m : messages) {
    out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n";
    out += python_strip(m.content);
    out += "<|eot_id|>";
  }
  return out + "<|start_header_id|>assistant<|end_header_id|>\n\n";
}

std::string chatml(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::string out;
  for (const ChatMessage& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

// SmolLM2's template: ChatML, its default system message first unless the first message is one.
std::string smollm2(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  const std::string chat = chatml(messages, add_generation_prompt);
  if (messages[0].role == "system") return chat;
  return "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n" + chat;
}

// Qwen 3's template: a leading system message, then user/system turns verbatim; assistant turns
// after the last user turn keep their <think> reasoning, earlier ones lose it.
std::string qwen3(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::string out;
  if (messages[0].role == "system") out += "<|im_start|>system\n" + messages[0].content + "<|im_end|>\n";
  size_t last_query = messages.size() - 1;
  for (size_t i = messages.size(); i-- > 0;) {
    const std::string_view c = messages[i].content;
    if (messages[i].role == "user" && !(c.starts_with("<tool_response>") && c.ends_with("</tool_response>"))) {
      last_query = i;
      break;
    }
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "user" || (m.role == "system" && i != 0)) {
      out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      continue;
    }
    if (m.role != "assistant") continue;
    std::string_view content = m.content;
    std::string_view reasoning;
    if (const size_t close = content.rfind("</think>"); close != std::string_view::npos) {
      // content.split('</think>')[-1].lstrip('\n') and
      // content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n')
      std::string_view before = strip_newlines_right(content.substr(0, content.find("</think>")));
      if (const size_t open = before.rfind("<think>"); open != std::string_view::npos) before.remove_prefix(open + 7);
      reasoning = strip_newlines_left(before);
      content = strip_newlines_left(content.substr(close + 8));
    }
    out += "<|im_start|>assistant\n";
    if (i > last_query && (i + 1 == messages.size() || !reasoning.empty())) {
      out += "<think>\n";
      out += strip_newlines_right(strip_newlines_left(reasoning));
      out += "\n</think>\n\n";
      out += strip_newlines_left(content);
    } else {
      out += content;
    }
    out += "<|im_end|>\n";
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

}  // namespace

std::string format_chat(ChatFormat format, const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  check_roles(messages);
  switch (format) {
    case ChatFormat::Llama3: return llama3(messages);
    case ChatFormat::ChatML: return chatml(messages, add_generation_prompt);
    case ChatFormat::Qwen3: return qwen3(messages, add_generation_prompt);
    case ChatFormat::SmolLM2: return smollm2(messages, add_generation_prompt);
  }
  fail("format_chat: unknown chat format");
}

namespace {
constexpr std::pair<ChatFormat, const char*> kNames[] = {{ChatFormat::Llama3, "llama3"},
                                                         {ChatFormat::ChatML, "chatml"},
                                                         {ChatFormat::Qwen3, "qwen3"},
                                                         {ChatFormat::SmolLM2, "smollm2"}};
}  // namespace

std::optional<ChatFormat> chat_format_by_name(const std::string& name) {
  for (const auto& [f, n] : kNames) {
    if (n == name) return f;
  }
  return std::nullopt;
}

std::string chat_format_names() {
  std::string names;
  for (const auto& [f, name] : kNames) names += cat(names.empty() ? "" : ", ", name);
  return names;
}

}  // namespace soar
