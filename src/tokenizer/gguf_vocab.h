// The tokenizer a GGUF file describes (its tokenizer.ggml.* keys and tokenizer.chat_template),
// written as Hugging Face files: tokenizer.json, which this layer's Tokenizer and transformers both
// read, and tokenizer_config.json with the special tokens and the chat template.
//
// Supported: tokenizer.ggml.model "gpt2" (byte-level BPE) with the pre-tokenizers llama.cpp names
// "smollm" (every number character alone, then GPT-2's split) and "gpt-2". Tokens of type CONTROL
// (3) become special added tokens and USER_DEFINED (4) plain added tokens, as in llama.cpp, which
// matches both whole in the text. Anything else is refused with a soar::Error naming the file and key.
#pragma once

#include <string>

#include "model/gguf.h"

namespace soar {

struct GgufTokenizerFiles {
  std::string tokenizer_json;
  std::string tokenizer_config_json;
};

GgufTokenizerFiles tokenizer_files_from_gguf(const gguf::File& file);

}  // namespace soar
