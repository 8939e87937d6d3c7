// GGUF files written by gguf-py (tests/python/make_gguf_reference.py) read by soar, against what
// gguf-py and transformers read from them: every dequantised value bit for bit, per tensor type;
// the Llama mapping (names, Q/K un-permutation, tied output) against transformers' GGUF loader,
// weights bit for bit and logits; the tokenizer against transformers' GGUF tokenizer.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/checkpoint.h"
#include "model/gguf.h"
#include "model/gguf_dequantize.h"
#include "model/gguf_llama.h"
#include "model/safetensors.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;
using namespace soar;

const fs::path kDir = fs::path(SOAR_REFERENCE_DIR) / "gguf_reference";
const char* const kTypes[] = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1"};

std::map<std::string, at::Tensor> read_safetensors(const fs::path& path) {
  const safetensors::File file = safetensors::File::open(path);
  std::map<std::string, at::Tensor> out;
  for (const auto& view : file.tensors()) out[view.name] = tensor_from_view(view);
  return out;
}

// Values whose float32 bits differ (NaN payloads included).
int64_t bit_differences(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor x = a.contiguous().view(at::kInt), y = b.contiguous().view(at::kInt);
  return x.ne(y).sum().item<int64_t>();
}

// Dequantises every tensor of `stem`.gguf and compares it with gguf-py's values; returns the count.
int64_t expect_bit_exact(const std::string& stem) {
  const gguf::File file = gguf::File::open(kDir / (stem + ".gguf"));
  const auto expected = read_safetensors(kDir / (stem + ".dequant.safetensors"));
  EXPECT_EQ(expected.size(), file.tensors().size()) << stem;
  int64_t compared = 0;
  for (const gguf::TensorInfo& tensor : file.tensors()) {
    at::Tensor values = at::empty(tensor.shape(), at::kFloat);
    gguf::dequantize(tensor, {values.data_ptr<float>(), size_t(values.numel())}, stem);
    const auto it = expected.find(tensor.name);
    if (it == expected.end()) {
      ADD_FAILURE() << stem << ": gguf-py has no tensor " << tensor.name;
      continue;
    }
    EXPECT_TRUE(values.sizes().equals(it->second.sizes())) << stem << " " << tensor.name;
    EXPECT_EQ(bit_differences(values, it->second), 0) << stem << " " << tensor.name;
    compared += values.numel();
  }
  return compared;
}

TEST(GgufReference, DequantisationIsBitExactForEveryType) {
  for (const char* type : kTypes) {
    const std::string stem = std::string("tiny_") + type;
    const int64_t compared = expect_bit_exact(stem);
    EXPECT_GT(compared, 0);
    std::cout << type << ": " << compared << " values bit-identical to gguf-py\n";
  }
}

TEST(GgufReference, DequantisationIsBitExactOnEveryBitPatternAndSpecialScale) {
  const int64_t compared = expect_bit_exact("patterns");
  EXPECT_GE(compared, 2 * 65536);
  std::cout << "patterns: " << compared << " values bit-identical to gguf-py\n";
}

TEST(GgufReference, LlamaMatchesTransformersGgufLoader) {
  for (const char* type : kTypes) {
    const std::string stem = std::string("tiny_") + type;
    const gguf::File file = gguf::File::open(kDir / (stem + ".gguf"));
    auto expected = read_safetensors(kDir / (stem + ".hf.safetensors"));
    CausalLM model = load_gguf_model(file);
    int64_t parameters = 0;
    for (const auto& item : model->named_parameters()) {
      const auto it = expected.find(item.key());
      ASSERT_NE(it, expected.end()) << stem << ": transformers has no " << item.key();
      ASSERT_TRUE(item.value().sizes().equals(it->second.sizes())) << stem << " " << item.key();
      EXPECT_EQ(bit_differences(item.value().detach(), it->second), 0) << stem << " " << item.key();
      ++parameters;
    }
    EXPECT_EQ(parameters + 2, int64_t(expected.size())) << stem << ": parameters + input_ids + logits";
    EXPECT_EQ(model->config().tie_word_embeddings, file.find_tensor("output.weight") == nullptr);
    at::NoGradGuard no_grad;
    const at::Tensor logits = model->forward(expected.at("input_ids"));
    const double diff = (logits - expected.at("logits")).abs().max().item<double>();
    EXPECT_LE(diff, 1e-5) << stem;
    std::cout << type << ": " << parameters << " parameters bit-identical to transformers; logits max abs diff " << diff
              << "\n";
  }
}

TEST(GgufReference, TokenizerMatchesTransformersGgufTokenizer) {
  const fs::path work = fs::path(SOAR_REFERENCE_DIR) / "gguf_reference_work";
  fs::create_directories(work);
  for (const char* type : {"F32", "Q4_1"}) {
    const std::string stem = std::string("tiny_") + type;
    const GgufTokenizerFiles files = tokenizer_files_from_gguf(gguf::File::open(kDir / (stem + ".gguf")));
    std::ofstream(work / "tokenizer.json") << files.tokenizer_json;
    const Tokenizer tokenizer = Tokenizer::from_file(work / "tokenizer.json");
    std::ifstream in(kDir / (stem + ".tokens.json"));
    const auto cases = nlohmann::json::parse(in);
    ASSERT_GE(cases.size(), 5u);
    for (const auto& c : cases) {
      const auto text = c["text"].get<std::string>();
      EXPECT_EQ(tokenizer.encode(text), c["ids"].get<std::vector<int32_t>>()) << text;
    }
  }
}

}  // namespace
