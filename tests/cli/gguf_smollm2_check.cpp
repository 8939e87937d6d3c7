// gguf_smollm2_check MODEL_DIR REFERENCE_DIR SAMPLES_JSONL: soar on the model directory `soar convert`
// made from the real SmolLM2 GGUF, against transformers' own GGUF loader on the same file
// (tests/python/make_gguf_smollm2_reference.py). Prints every measured number; exits 1 on any miss:
//   logits (float32, every position of 24 prompts): max abs diff <= 1e-4;
//   tokenizer: ids identical to llama.cpp's pre-tokenization on every string, and counted against
//   transformers' GGUF tokenizer as loaded (which lacks llama.cpp's "smollm" digit split);
//   chat: the converted directory's chat template is recognised as SmolLM2's, soar's prompt text and
//   ids (its default system message included) are the template's, and `soar sample --temperature 0`
//   with --chat auto (SAMPLES_JSONL) continues each exactly as transformers' greedy generate does.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "reference_jsonl.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "tokenizer/chat_format.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_files.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int failures = 0;
void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::cout << "FAIL: " << what << "\n";
  }
}

void check_logits(const fs::path& model_dir, const fs::path& reference) {
  soar::CausalLM model = soar::load_model(model_dir, {.dtype = at::kFloat});
  const soar::safetensors::File file = soar::safetensors::File::open(reference / "logits.safetensors");
  double worst = 0;
  int prompts = 0;
  int64_t positions = 0;
  at::NoGradGuard no_grad;
  for (int i = 0;; ++i) {
    const auto* ids = file.find("ids_" + std::to_string(i));
    if (ids == nullptr) break;
    const at::Tensor input = soar::tensor_from_view(*ids).unsqueeze(0);
    const at::Tensor expected = soar::tensor_from_view(*file.find("logits_" + std::to_string(i)));
    const at::Tensor logits = model->forward(input)[0];
    worst = std::max(worst, (logits - expected).abs().max().item<double>());
    ++prompts;
    positions += input.size(1);
  }
  std::cout << "logits: " << prompts << " prompts, " << positions << " positions, max abs diff " << worst << "\n";
  check(prompts >= 20, "at least 20 logits prompts");
  check(worst <= 1e-4, "logits max abs diff <= 1e-4");
}

void check_tokenizer(const soar::Tokenizer& tokenizer, const fs::path& reference) {
  int64_t strings = 0, same_as_llama_cpp = 0, same_as_transformers = 0;
  for (const json& c : read_reference_jsonl(reference / "tokens.jsonl")) {
    const std::vector<int32_t> ids = tokenizer.encode(c["text"].get<std::string>());
    const bool ok = ids == c["llama_cpp_ids"].get<std::vector<int32_t>>();
    if (!ok && strings - same_as_llama_cpp < 5) std::cout << "  differs: " << c["text"].dump() << "\n";
    same_as_llama_cpp += ok;
    same_as_transformers += ids == c["ids"].get<std::vector<int32_t>>();
    ++strings;
  }
  std::cout << "tokenizer: " << strings << " strings; ids identical to llama.cpp's pre-tokenization on "
            << same_as_llama_cpp << ", to transformers' GGUF tokenizer as loaded on " << same_as_transformers << "\n";
  check(strings >= 10000, "at least 10,000 strings");
  check(same_as_llama_cpp == strings, "tokenizer ids identical on every string");
}

void check_chat(const fs::path& model_dir, const soar::Tokenizer& tokenizer, const fs::path& reference,
                const fs::path& samples) {
  const std::optional<soar::ChatTemplate> own = soar::read_chat_template(model_dir);
  check(own && soar::recognise_chat_template(*own) == soar::ChatFormat::SmolLM2, "the chat template is SmolLM2's");
  std::map<std::string, json> sampled;
  for (const json& s : read_reference_jsonl(samples)) sampled[s["id"].get<std::string>()] = s;
  int prompts = 0, identical = 0, full_length = 0;
  for (const json& c : read_reference_jsonl(reference / "chat.jsonl")) {
    const std::string id = c["id"].get<std::string>();
    const std::string text =
        soar::format_chat(soar::ChatFormat::SmolLM2, {{"user", c["question"].get<std::string>()}}, true);
    check(text == c["prompt"].get<std::string>(), id + ": soar's smollm2 prompt is the chat template's");
    check(tokenizer.encode(text) == c["prompt_ids"].get<std::vector<int32_t>>(), id + ": prompt ids");
    const auto it = sampled.find(id);
    check(it != sampled.end(), id + ": in soar sample's output");
    if (it == sampled.end()) continue;
    const auto expected_ids = c["completion_ids"].get<std::vector<int32_t>>();
    const bool same = it->second["completion"] == c["completion"] && it->second["tokens"] == expected_ids.size();
    if (!same)
      std::cout << "  " << id << ": soar " << it->second["completion"].dump() << " (" << it->second["tokens"]
                << " tokens)\n  " << id << ": transformers " << c["completion"].dump() << " (" << expected_ids.size()
                << ")\n";
    check(same, id + ": greedy continuation identical");
    ++prompts;
    identical += same;
    full_length += expected_ids.size() == 64;
  }
  std::cout << "greedy: " << identical << " of " << prompts << " chat continuations identical (64 new tokens at most; "
            << full_length << " ran the full 64 without an end token)\n";
  check(prompts >= 20, "at least 20 chat prompts");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: gguf_smollm2_check MODEL_DIR REFERENCE_DIR SAMPLES_JSONL\n";
    return 2;
  }
  const fs::path model_dir = argv[1], reference = argv[2], samples = argv[3];
  try {
    const soar::Tokenizer tokenizer = soar::Tokenizer::from_file(model_dir / "tokenizer.json");
    check_tokenizer(tokenizer, reference);
    check_chat(model_dir, tokenizer, reference, samples);
    check_logits(model_dir, reference);
  } catch (const std::exception& e) {
    std::cout << "FAIL: " << e.what() << "\n";
    return 1;
  }
  std::cout << (failures == 0 ? "all checks passed\n" : std::to_string(failures) + " check(s) failed\n");
  return failures == 0 ? 0 : 1;
}
