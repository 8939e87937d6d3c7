#include "tokenizer/gguf_vocab.h"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/error.h"
#include "core/utf8.h"

namespace soar {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr int64_t kControl = 3, kUserDefined = 4;  // llama.cpp's llama_token_type

ordered_json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}

// llama.cpp's pre-tokenizer for `pre` (llama-vocab.cpp, LLAMA_VOCAB_PRE_TYPE_*) as HF components.
ordered_json pre_tokenizer(const std::string& pre, const gguf::File& file) {
  if (pre == "gpt-2") return byte_level(true);
  if (pre == "smollm") {
    // llama.cpp runs "\p{N}" first, then GPT-2's regex on each piece (the SmolLM tokenizer.json's
    // Digits(individual_digits) + ByteLevel).
    ordered_json numbers = {
        {"type", "Split"}, {"pattern", {{"Regex", "\\p{N}"}}}, {"behavior", "Isolated"}, {"invert", false}};
    return {{"type", "Sequence"}, {"pretokenizers", {numbers, byte_level(true)}}};
  }
  fail(file.where("tokenizer.ggml.pre"), ": pre-tokenizer '", pre, "' is not supported (smollm, gpt-2)");
}

std::vector<std::string> strings(const gguf::File& file, const std::string& key) {
  std::vector<std::string> out;
  for (const gguf::Value& value : file.at(key).as_array(file.where(key))) {
    const std::string& text = value.as_string(file.where(key));
    if (auto bad = first_invalid_utf8(text))
      fail(file.where(key), ": entry ", out.size(), " is not valid UTF-8 (byte ", *bad, ")");
    out.push_back(text);
  }
  return out;
}

}  // namespace

GgufTokenizerFiles tokenizer_files_from_gguf(const gguf::File& file) {
  const std::string& model = file.at("tokenizer.ggml.model").as_string(file.where("tokenizer.ggml.model"));
  if (model != "gpt2")
    fail(file.where("tokenizer.ggml.model"), ": tokenizer model '", model, "' is not supported (gpt2: byte-level BPE)");
  const gguf::Value* pre_value = file.find("tokenizer.ggml.pre");
  const std::string pre = pre_value ? pre_value->as_string(file.where("tokenizer.ggml.pre")) : "default";

  const std::vector<std::string> tokens = strings(file, "tokenizer.ggml.tokens");
  std::vector<int64_t> types(tokens.size(), 1);
  if (const gguf::Value* list = file.find("tokenizer.ggml.token_type")) {
    const auto& values = list->as_array(file.where("tokenizer.ggml.token_type"));
    if (values.size() != tokens.size())
      fail(file.where("tokenizer.ggml.token_type"), ": ", values.size(), " types for ", tokens.size(), " tokens");
    for (size_t i = 0; i < values.size(); ++i) types[i] = values[i].as_integer(file.where("tokenizer.ggml.token_type"));
  }
  auto token_of = [&](const char* key) -> json {
    const gguf::Value* id = file.find(key);
    if (id == nullptr) return nullptr;
    const int64_t index = id->as_integer(file.where(key));
    if (index < 0 || index >= int64_t(tokens.size()))
      fail(file.where(key), ": token id ", index, " is outside the vocabulary of ", tokens.size());
    return tokens[index];
  };

  ordered_json vocab = ordered_json::object();
  ordered_json added = ordered_json::array();
  std::unordered_map<std::string, size_t> seen;
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (auto [it, inserted] = seen.emplace(tokens[id], id); !inserted)
      fail(file.where("tokenizer.ggml.tokens"), ": token '", tokens[id], "' appears twice (ids ", it->second, " and ",
           id, ")");
    vocab[tokens[id]] = id;
    if (types[id] == kControl || types[id] == kUserDefined) {
      added.push_back({{"id", id},
                       {"content", tokens[id]},
                       {"single_word", false},
                       {"lstrip", false},
                       {"rstrip", false},
                       {"normalized", false},
                       {"special", types[id] == kControl}});
    }
  }
  ordered_json merges = ordered_json::array();
  for (const std::string& merge : strings(file, "tokenizer.ggml.merges")) {
    const size_t space = merge.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == merge.size() ||
        merge.find(' ', space + 1) != std::string::npos)
      fail(file.where("tokenizer.ggml.merges"), ": merge ", merges.size(), " '", merge,
           "' is not two tokens and one space");
    merges.push_back({merge.substr(0, space), merge.substr(space + 1)});
  }

  auto flag = [&](const char* key) {
    const gguf::Value* value = file.find(key);
    return value != nullptr && value->as_bool(file.where(key));
  };
  const bool add_bos = flag("tokenizer.ggml.add_bos_token"), add_eos = flag("tokenizer.ggml.add_eos_token");
  const json bos = token_of("tokenizer.ggml.bos_token_id"), eos = token_of("tokenizer.ggml.eos_token_id");
  if ((add_bos && bos.is_null()) || (add_eos && eos.is_null()))
    fail(file.path().string(), ": tokenizer.ggml.add_bos_token/add_eos_token is set without the token's id");
  // What llama.cpp adds around a text: BOS/EOS when the file asks for them.
  ordered_json single = ordered_json::array(), special_tokens = ordered_json::object();
  for (const auto& [wanted, token] : {std::pair{add_bos, bos}, std::pair{add_eos, eos}}) {
    if (!wanted) continue;
    const std::string text = token.get<std::string>();
    special_tokens[text] = {{"id", text}, {"ids", {seen[text]}}, {"tokens", {text}}};
  }
  if (add_bos) single.push_back({{"SpecialToken", {{"id", bos}, {"type_id", 0}}}});
  single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  if (add_eos) single.push_back({{"SpecialToken", {{"id", eos}, {"type_id", 0}}}});

  ordered_json tokenizer = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", pre_tokenizer(pre, file)},
      {"post_processor",
       {{"type", "TemplateProcessing"}, {"single", single}, {"pair", single}, {"special_tokens", special_tokens}}},
      {"decoder", byte_level(true)},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}},
  };

  ordered_json config = {
      {"tokenizer_class", "PreTrainedTokenizerFast"},
      {"add_bos_token", add_bos},
      {"add_eos_token", add_eos},
      {"bos_token", bos},
      {"eos_token", eos},
      {"pad_token", token_of("tokenizer.ggml.padding_token_id")},
      {"unk_token", token_of("tokenizer.ggml.unknown_token_id")},
      {"clean_up_tokenization_spaces", false},
  };
  if (const gguf::Value* chat_template = file.find("tokenizer.chat_template"))
    config["chat_template"] = chat_template->as_string(file.where("tokenizer.chat_template"));
  // nlohmann refuses to print invalid UTF-8 (a chat template); the message names the file.
  try {
    return {tokenizer.dump(2, ' ', false, json::error_handler_t::strict) + "\n", config.dump(2) + "\n"};
  } catch (const json::exception& e) {
    fail(file.path().string(), ": the tokenizer metadata cannot be written as JSON: ", e.what());
  }
}

}  // namespace soar
