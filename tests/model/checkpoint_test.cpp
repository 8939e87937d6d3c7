// Save/load round trips, checkpoints for transformers to read back, and clear errors on bad input.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "core/directory.h"
#include "core/error.h"
#include "model/checkpoint.h"
#include "model_test_support.h"

namespace soar {
namespace {

namespace fs = std::filesystem;
using test::model_reference_dir;

fs::path saved_dir() { return fs::path(SOAR_REFERENCE_DIR) / "model_saved"; }

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("soar_checkpoint_test_" + name);
  soar::remove_tree(dir);
  fs::create_directories(dir);
  return dir;
}

void expect_bit_identical(CausalLMImpl& a, CausalLMImpl& b) {
  auto theirs = b.named_parameters();
  ASSERT_EQ(a.named_parameters().size(), theirs.size());
  for (const auto& item : a.named_parameters()) {
    const at::Tensor* other = theirs.find(item.key());
    ASSERT_NE(other, nullptr) << item.key();
    EXPECT_TRUE(at::equal(item.value(), *other)) << item.key();
  }
}

// Expects load_model(dir) to throw soar::Error whose message contains every fragment.
void expect_load_error(const fs::path& dir, const std::vector<std::string>& fragments) {
  try {
    load_model(dir);
    FAIL() << "expected an error loading " << dir;
  } catch (const Error& e) {
    std::string message = e.what();
    for (const auto& fragment : fragments) EXPECT_NE(message.find(fragment), std::string::npos) << "message: " << message;
  }
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

class CheckpointRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(CheckpointRoundTrip, SaveThenLoadIsBitExact) {
  CausalLM original = load_model(model_reference_dir() / GetParam() / "model");
  fs::path dir = saved_dir() / GetParam();  // also read back by transformers in check_saved_model.py
  soar::remove_tree(dir);
  save_model(*original, dir);
  CausalLM reloaded = load_model(dir);
  expect_bit_identical(*original, *reloaded);
  EXPECT_EQ(reloaded->config().to_json_text(), original->config().to_json_text());
}

TEST_P(CheckpointRoundTrip, ShardedSaveThenLoadIsBitExact) {
  CausalLM original = load_model(model_reference_dir() / GetParam() / "model");
  fs::path dir = saved_dir() / (GetParam() + "_sharded");
  soar::remove_tree(dir);
  save_model(*original, dir, {.max_shard_bytes = 40'000});
  ASSERT_TRUE(fs::exists(dir / "model.safetensors.index.json"));
  ASSERT_FALSE(fs::exists(dir / "model.safetensors"));
  CausalLM reloaded = load_model(dir);
  expect_bit_identical(*original, *reloaded);
}

TEST_P(CheckpointRoundTrip, Bfloat16SaveThenLoadIsBitExact) {
  CausalLM original = load_model(model_reference_dir() / GetParam() / "model", {.dtype = at::kBFloat16});
  fs::path dir = saved_dir() / (GetParam() + "_bf16");
  soar::remove_tree(dir);
  save_model(*original, dir);
  EXPECT_NE(ModelConfig::from_file(dir / "config.json").dtype.find("bfloat16"), std::string::npos);
  CausalLM reloaded = load_model(dir, {.dtype = at::kBFloat16});
  expect_bit_identical(*original, *reloaded);
}

TEST_P(CheckpointRoundTrip, CopyOfIsAnEqualIndependentModel) {
  CausalLM original = load_model(model_reference_dir() / GetParam() / "model");
  CausalLM copy = copy_of(*original);
  expect_bit_identical(*original, *copy);
  at::NoGradGuard no_grad;
  copy->named_parameters()["model.norm.weight"].add_(1.0);
  EXPECT_FALSE(at::equal(copy->named_parameters()["model.norm.weight"], original->named_parameters()["model.norm.weight"]));
}

TEST_P(CheckpointRoundTrip, CopyOfKeepsDtype) {
  CausalLM original = load_model(model_reference_dir() / GetParam() / "model", {.dtype = at::kBFloat16});
  CausalLM copy = copy_of(*original);
  EXPECT_EQ(copy->dtype(), at::kBFloat16);
  expect_bit_identical(*original, *copy);
}

// Loading straight into a dtype rounds each stored value as loading in float32 and converting after.
TEST_P(CheckpointRoundTrip, LoadingIntoADtypeEqualsConvertingAfter) {
  const fs::path dir = model_reference_dir() / GetParam() / "model";
  CausalLM converted = load_model(dir, {.dtype = at::kFloat});
  converted->to(at::kBFloat16);
  CausalLM direct = load_model(dir, {.dtype = at::kBFloat16});
  EXPECT_EQ(direct->dtype(), at::kBFloat16);
  expect_bit_identical(*direct, *converted);
}

INSTANTIATE_TEST_SUITE_P(Families, CheckpointRoundTrip, ::testing::Values("llama3", "qwen2", "qwen3"));

int64_t numel_of_parameters(CausalLMImpl& model) {
  int64_t n = 0;
  for (const auto& item : model.named_parameters()) n += item.value().numel();
  return n;
}

TEST(ModelConfig, ParameterCountIsTheBuiltModels) {
  for (const std::string family : {"llama3", "qwen2", "qwen3"}) {
    // transformers' checkpoint holds exactly the parameters (a tied output layer is not saved).
    fs::path dir = model_reference_dir() / family / "model";
    ModelConfig config = ModelConfig::from_file(dir / "config.json");
    int64_t stored = 0;
    safetensors::File file = safetensors::File::open(dir / "model.safetensors");
    for (const auto& view : file.tensors()) stored += c10::multiply_integers(view.shape);
    EXPECT_EQ(config.parameter_count(), stored) << family;
    // Every switch that adds parameters, against the model built from the config.
    for (bool bias : {false, true}) {
      for (bool tie : {false, true}) {
        config.qkv_bias = bias;
        config.o_proj_bias = bias && config.family != ModelFamily::Qwen2;
        config.mlp_bias = bias;
        config.tie_word_embeddings = tie;
        CausalLM model(config);
        EXPECT_EQ(config.parameter_count(), numel_of_parameters(*model)) << family << " bias " << bias << " tie " << tie;
      }
    }
  }
}

TEST(ModelConfig, SizesBeyondAnyModelAreRefused) {
  // 2^62 hidden units: the count overflowed int64 (undefined behaviour) before it was bounded.
  std::string text = R"({"model_type": "llama", "vocab_size": 8, "hidden_size": 4611686018427387904,
                         "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2})";
  try {
    ModelConfig::from_json_text(text, "big.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("big.json: the sizes describe a model of"), std::string::npos) << e.what();
  }
}

// A small valid checkpoint to corrupt, copied from the qwen2 reference.
fs::path copy_of_reference(const std::string& name) {
  fs::path dir = fresh_dir(name);
  fs::copy(model_reference_dir() / "qwen2" / "model", dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  return dir;
}

// Rewrites dir/model.safetensors with `edit` applied to the list of tensors.
void rewrite_weights(const fs::path& dir, const std::function<void(std::vector<at::Tensor>&, std::vector<std::string>&)>& edit) {
  std::vector<at::Tensor> tensors;
  std::vector<std::string> names;
  {
    auto file = safetensors::File::open(dir / "model.safetensors");
    for (const auto& view : file.tensors()) {
      tensors.push_back(tensor_from_view(view));
      names.push_back(view.name);
    }
  }
  edit(tensors, names);
  std::vector<safetensors::TensorToWrite> out;
  for (size_t i = 0; i < tensors.size(); ++i) {
    at::Tensor& t = tensors[i];
    auto dtype = t.scalar_type() == at::kInt ? safetensors::DType::I32 : safetensors::DType::F32;
    out.push_back({names[i], dtype, t.sizes().vec(), std::span<const std::byte>(static_cast<const std::byte*>(t.data_ptr()), t.nbytes())});
  }
  safetensors::write_file(dir / "model.safetensors", out, {{"format", "pt"}});
}

// Values whose stored bytes are not aligned for their dtype (the data section may start anywhere:
// the format does not require the header length to be a multiple of 8) load the same.
TEST(CheckpointLoad, UnalignedStoredValuesLoadTheSame) {
  fs::path dir = copy_of_reference("unaligned");
  const fs::path file = dir / "model.safetensors";
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);  // little-endian, as the format and this machine
  ASSERT_EQ(header_length % 4, 0u);
  bytes.insert(8 + header_length, " ");  // JSON may end in white space: every tensor shifts by one byte
  ++header_length;
  std::memcpy(bytes.data(), &header_length, 8);
  std::ofstream(file, std::ios::binary) << bytes;

  CausalLM original = load_model(model_reference_dir() / "qwen2" / "model");
  CausalLM shifted = load_model(dir);
  expect_bit_identical(*original, *shifted);
}

TEST(CheckpointLoad, ModelLargerThanTheDeviceFailsSayingWhatFits) {
  const ModelConfig config = ModelConfig::from_file(model_reference_dir() / "qwen2" / "model" / "config.json");
  const int64_t parameters = config.parameter_count();
  EXPECT_NO_THROW(check_model_fits(config, at::kFloat, at::kCPU, parameters * 4));
  EXPECT_NO_THROW(check_model_fits(config, at::kBFloat16, at::kCPU, parameters * 2));
  try {
    check_model_fits(config, at::kFloat, at::kCPU, parameters * 4 - 1);
    FAIL() << "expected the float32 model not to fit";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& fragment : std::vector<std::string>{std::to_string(parameters) + " parameters", "float32", "cpu",
                                       "at most " + std::to_string(parameters - 1) + " parameters fit", "would halve"}) {
      EXPECT_NE(message.find(fragment), std::string::npos) << "message: " << message;
    }
  }
  try {
    check_model_fits(config, at::kBFloat16, at::kCPU, parameters);
    FAIL() << "expected the bfloat16 model not to fit";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("at most " + std::to_string(parameters / 2) + " parameters fit"), std::string::npos) << message;
    EXPECT_EQ(message.find("would halve"), std::string::npos) << message;
  }
}

TEST(CheckpointErrors, MissingDirectory) { expect_load_error("/nonexistent/soar_model", {"/nonexistent/soar_model", "does not exist"}); }

TEST(CheckpointErrors, MissingConfig) {
  fs::path dir = copy_of_reference("missing_config");
  fs::remove(dir / "config.json");
  expect_load_error(dir, {"config.json"});
}

TEST(CheckpointErrors, ConfigNotJson) {
  fs::path dir = copy_of_reference("config_not_json");
  write_text(dir / "config.json", "{\"model_type\": \"qwen2\", ");
  expect_load_error(dir, {"config.json", "not valid JSON"});
}

TEST(CheckpointErrors, ConfigNumberOutOfRange) {
  fs::path dir = copy_of_reference("config_out_of_range");
  write_text(dir / "config.json", "{\"model_type\": \"llama\", \"vocab_size\": 1e99999}");
  expect_load_error(dir, {"config.json", "not valid JSON", "1e99999"});
}

TEST(CheckpointErrors, ConfigLargerThanTheWeightsFailsBeforeAllocating) {
  // 3 * 65536 * 2^20 parameters per layer, ~1.6 TB in float32: refused from the tensor sizes alone.
  fs::path dir = copy_of_reference("config_too_large");
  ModelConfig config = ModelConfig::from_file(dir / "config.json");
  config.hidden_size = 65536;
  config.intermediate_size = 1 << 20;
  config.save(dir / "config.json");
  expect_load_error(dir, {dir.string(), "fewer than the", "parameters its config.json describes"});
}

TEST(CheckpointErrors, ConfigNestedTooDeep) {
  // 100,000 levels parse, and then overflowed the stack when the unknown key was copied.
  fs::path dir = copy_of_reference("config_deep");
  write_text(dir / "config.json", "{\"model_type\": \"llama\", \"x\": " + std::string(100'000, '[') +
                                      std::string(100'000, ']') + "}");
  expect_load_error(dir, {"config.json", "nests deeper than 64 levels"});
}

TEST(CheckpointErrors, ConfigMissingField) {
  fs::path dir = copy_of_reference("config_missing_field");
  write_text(dir / "config.json", R"({"model_type": "qwen2", "vocab_size": 320, "hidden_size": 64})");
  expect_load_error(dir, {"config.json", "intermediate_size"});
}

TEST(CheckpointErrors, ConfigWrongType) {
  fs::path dir = copy_of_reference("config_wrong_type");
  std::string text = ModelConfig::from_file(dir / "config.json").to_json_text();
  text.replace(text.find("\"hidden_size\": 64"), 17, "\"hidden_size\": \"64\"");
  write_text(dir / "config.json", text);
  expect_load_error(dir, {"config.json", "hidden_size", "integer"});
}

TEST(CheckpointErrors, ConfigUnsupportedModelType) {
  fs::path dir = copy_of_reference("config_model_type");
  std::string text = ModelConfig::from_file(dir / "config.json").to_json_text();
  text.replace(text.find("\"qwen2\""), 7, "\"gpt2\"");
  write_text(dir / "config.json", text);
  expect_load_error(dir, {"config.json", "model_type", "gpt2"});
}

TEST(CheckpointErrors, ConfigUnsupportedRope) {
  EXPECT_THROW(ModelConfig::from_json_text(
                   R"({"model_type":"llama","vocab_size":8,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,
                       "num_attention_heads":2,"rope_scaling":{"rope_type":"yarn","factor":2.0}})", "cfg.json"),
               Error);
  EXPECT_THROW(ModelConfig::from_json_text(
                   R"({"model_type":"llama","vocab_size":8,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,
                       "num_attention_heads":3,"num_key_value_heads":2})", "cfg.json"),
               Error);
}

TEST(CheckpointErrors, MissingTensor) {
  fs::path dir = copy_of_reference("missing_tensor");
  rewrite_weights(dir, [](auto& tensors, auto& names) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "model.layers.1.mlp.up_proj.weight") {
        tensors.erase(tensors.begin() + i);
        names.erase(names.begin() + i);
        return;
      }
    }
  });
  expect_load_error(dir, {dir.string(), "model.layers.1.mlp.up_proj.weight"});
}

TEST(CheckpointErrors, ExtraTensor) {
  fs::path dir = copy_of_reference("extra_tensor");
  rewrite_weights(dir, [](auto& tensors, auto& names) {
    tensors.push_back(at::zeros({4}));
    names.push_back("model.layers.7.mystery.weight");
  });
  expect_load_error(dir, {dir.string(), "model.layers.7.mystery.weight", "unexpected"});
}

TEST(CheckpointErrors, ShapeMismatch) {
  fs::path dir = copy_of_reference("shape_mismatch");
  rewrite_weights(dir, [](auto& tensors, auto& names) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "model.norm.weight") tensors[i] = at::ones({63});
    }
  });
  expect_load_error(dir, {dir.string(), "model.norm.weight", "[63]", "[64]"});
}

TEST(CheckpointErrors, IntegerWeights) {
  fs::path dir = copy_of_reference("integer_weights");
  rewrite_weights(dir, [](auto& tensors, auto& names) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "model.norm.weight") tensors[i] = at::ones({64}, at::kInt);
    }
  });
  expect_load_error(dir, {"model.norm.weight", "I32"});
}

TEST(CheckpointErrors, TruncatedWeights) {
  fs::path dir = copy_of_reference("truncated");
  fs::resize_file(dir / "model.safetensors", fs::file_size(dir / "model.safetensors") / 2);
  expect_load_error(dir, {"model.safetensors"});
}

}  // namespace
}  // namespace soar
