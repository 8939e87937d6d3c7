// Which of soar's chat formats (chat_format.h) renders a model's own chat template, the Jinja text in
// its chat_template.jinja or tokenizer_config.json (read by tokenizer_files.h).
//
// How: a template is recognised only when it is one of the templates soar implements (their
// fingerprints are in chat_template.cpp: hash and length), compared in a canonical form: newlines made
// "\n" and one trailing newline dropped; text and {# comments #} kept byte for byte; inside each tag
// ({{ }}, {% %}), after its whitespace-control mark, every run of whitespace outside string literals
// made one space, and exactly one space after the opening and before the closing delimiter. Why that
// is safe: Jinja does exactly the first two to every template (transformers leaves
// keep_trailing_newline off), and its lexer treats a whitespace run inside a tag as one separator,
// so two templates with the same canonical form render the same text for every conversation;
// {% raw %} blocks, where that does not hold, are never recognised. Anything else (an
// edited template, another model's, Llama 3.1's with its date block) is refused, not approximated:
// tests/tokenizer/chat_template_reference_test.cpp checks each family against transformers.
#pragma once

#include <optional>
#include <string>

#include "tokenizer/chat_format.h"

namespace soar {

struct ChatTemplate {
  std::string text;                      // the Jinja source
  std::string where;                     // the file (and field) it was read from, for messages
  std::optional<std::string> bos_token;  // tokenizer_config.json's, which Llama 3's template prints
};

// The format that renders `chat_template` exactly, or soar::Error naming where it was read and the
// --chat flag that overrides it.
ChatFormat recognise_chat_template(const ChatTemplate& chat_template);

// The canonical form described above, or nullopt for a template it cannot vouch for ({% raw %}, an
// unterminated tag or string).
std::optional<std::string> canonical_chat_template(const std::string& text);

}  // namespace soar
