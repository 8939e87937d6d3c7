#include "model/checkpoint.h"

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_file.h"
#include "core/device.h"
#include "core/error.h"
#include "model/safetensors.h"

namespace soar {
namespace {

std::optional<at::ScalarType> to_scalar_type(safetensors::DType dtype) {
  using safetensors::DType;
  switch (dtype) {
    case DType::F32: return at::kFloat;
    case DType::BF16: return at::kBFloat16;
    case DType::F16: return at::kHalf;
    case DType::F64: return at::kDouble;
    case DType::I64: return at::kLong;
    case DType::I32: return at::kInt;
    case DType::I16: return at::kShort;
    case DType::I8: return at::kChar;
    case DType::U8: return at::kByte;
    case DType::BOOL: return at::kBool;
    default: return std::nullopt;
  }
}

safetensors::DType to_safetensors(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return safetensors::DType::F32;
    case at::kBFloat16: return safetensors::DType::BF16;
    case at::kHalf: return safetensors::DType::F16;
    default: fail("cannot save tensors of dtype ", c10::toString(dtype), " (float32, bfloat16, float16 only)");
  }
}

// Tensors that transformers may store but that are not parameters of the model.
bool is_ignorable_extra(const std::string& name, const ModelConfig& config) {
  return name.ends_with("rotary_emb.inv_freq") || (config.tie_word_embeddings && name == "lm_head.weight");
}

}  // namespace

std::string dtype_config_name(at::ScalarType dtype) {
  switch (dtype) {
    case at::kBFloat16: return "bfloat16";
    case at::kHalf: return "float16";
    default: return "float32";
  }
}

at::Tensor tensor_from_view(const safetensors::TensorView& view) {
  std::optional<at::ScalarType> stored = to_scalar_type(view.dtype);
  if (!stored) fail("tensor '", view.name, "': dtype ", safetensors::dtype_name(view.dtype), " is not supported");
  at::Tensor tensor = at::empty(view.shape, at::TensorOptions().dtype(*stored));
  if (view.nbytes != tensor.nbytes()) fail("tensor '", view.name, "': ", view.nbytes, " bytes for shape ", tensor.sizes());
  std::memcpy(tensor.data_ptr(), view.data, view.nbytes);
  return tensor;
}

// Up to this size, a config needing more values than the checkpoint holds is diagnosed tensor by
// tensor (building the model allocates at most ~1 GiB); above it, from the counts alone.
constexpr int64_t kPreciseDiagnosisParameters = int64_t(1) << 28;

at::ScalarType default_dtype(at::Device device) { return device.is_cuda() ? at::kBFloat16 : at::kFloat; }

at::ScalarType LoadOptions::resolved_dtype() const { return dtype.value_or(default_dtype(device)); }

int64_t parameter_bytes(const ModelConfig& config, at::ScalarType dtype) {
  return config.parameter_count() * static_cast<int64_t>(c10::elementSize(dtype));
}

void check_model_fits(const ModelConfig& config, at::ScalarType dtype, at::Device device, int64_t available_bytes) {
  const int64_t parameters = config.parameter_count();
  const int64_t element = static_cast<int64_t>(c10::elementSize(dtype));
  if (parameters > available_bytes / element) {
    fail("a ", config.model_type(), " model of ", parameters, " parameters needs ", format_bytes(parameter_bytes(config, dtype)),
         " as ", dtype_config_name(dtype), " on ", device.str(), ", which has ", format_bytes(available_bytes),
         " free: at most ", available_bytes / element, " parameters fit",
         element > 2 ? " (bfloat16 or float16 would halve the need)" : "");
  }
}

namespace {

// The stored values of `view` as a CPU tensor, read in place when the mapped data is aligned for
// its dtype (copy_ only reads it), else copied out first.
at::Tensor stored_values(const safetensors::TensorView& view) {
  const std::optional<at::ScalarType> dtype = to_scalar_type(view.dtype);
  if (dtype && reinterpret_cast<std::uintptr_t>(view.data) % c10::elementSize(*dtype) == 0) {
    at::Tensor in_place = at::from_blob(const_cast<std::byte*>(view.data), view.shape, at::TensorOptions().dtype(*dtype));
    if (static_cast<int64_t>(in_place.nbytes()) == static_cast<int64_t>(view.nbytes)) return in_place;
  }
  return tensor_from_view(view);
}

}  // namespace

CausalLM load_model(const std::filesystem::path& dir, const LoadOptions& options) {
  if (!std::filesystem::is_directory(dir)) fail("model directory ", dir, " does not exist");
  ModelConfig config = ModelConfig::from_file(dir / "config.json");
  safetensors::Checkpoint weights = safetensors::Checkpoint::open(dir);
  // Before the model is built, which allocates every parameter the config describes: too few
  // stored values means a config.json that does not belong to these weights (or a corrupt one).
  // Small models go on to the checks below, which name the missing tensor.
  if (const int64_t needed = config.parameter_count(); needed > kPreciseDiagnosisParameters) {
    int64_t stored = 0;
    for (const auto& file : weights.files())
      for (const auto& view : file.tensors()) stored += c10::multiply_integers(view.shape);
    if (stored < needed) {
      fail("checkpoint ", dir, " holds ", stored, " values, fewer than the ", needed,
           " parameters its config.json describes (does config.json belong to these weights?)");
    }
  }
  const at::ScalarType dtype = options.resolved_dtype();
  check_model_fits(config, dtype, options.device, available_memory_bytes(options.device));

  // Parameters are allocated where they will live and filled straight from the mapped files: no
  // random initialisation, no float32 copy of the whole model on the way to bf16 or to a GPU.
  CausalLM model(config, at::TensorOptions().dtype(dtype).device(options.device));
  std::set<std::string> expected;
  {
    at::NoGradGuard no_grad;
    for (auto& item : model->named_parameters()) {
      const std::string& name = item.key();
      expected.insert(name);
      const safetensors::TensorView* view = weights.find(name);
      if (view == nullptr) fail("checkpoint ", dir, " has no tensor '", name, "' (needed by a ", config.model_type(), " model)");
      std::optional<at::ScalarType> stored = to_scalar_type(view->dtype);
      if (!stored || !at::isFloatingType(*stored)) {
        fail("checkpoint ", dir, ": tensor '", name, "' has dtype ", safetensors::dtype_name(view->dtype), ", expected a floating type");
      }
      if (!item.value().sizes().equals(view->shape)) {
        fail("checkpoint ", dir, ": tensor '", name, "' has shape ", c10::IntArrayRef(view->shape), ", the config needs ", item.value().sizes());
      }
      item.value().copy_(stored_values(*view));
      // A diverged run's weights would sample empty or garbage text without any error.
      if (!at::isfinite(item.value()).all().item<bool>()) {
        fail("checkpoint ", dir, ": tensor '", name, "' holds NaN or infinite values (written by a run that diverged?)");
      }
    }
  }
  for (const std::string& name : weights.names()) {
    if (!expected.contains(name) && !is_ignorable_extra(name, config)) {
      fail("checkpoint ", dir, " has an unexpected tensor '", name, "' (not a parameter of a ", config.model_type(),
           " model with this config.json)");
    }
  }
  return model;
}

void save_model(CausalLMImpl& model, const std::filesystem::path& dir, const SaveOptions& options) {
  std::filesystem::create_directories(dir);
  at::ScalarType dtype = options.dtype.value_or(model.dtype());
  std::vector<at::Tensor> keep_alive;
  std::vector<safetensors::TensorToWrite> tensors;
  for (const auto& item : model.named_parameters()) {
    if (!at::isfinite(item.value()).all().item<bool>()) {
      fail("not writing ", dir, ": parameter '", item.key(), "' holds NaN or infinite values (the training diverged)");
    }
    at::Tensor data = item.value().detach().to(at::kCPU, dtype).contiguous();
    keep_alive.push_back(data);
    tensors.push_back({item.key(), to_safetensors(dtype), data.sizes().vec(),
                       std::span<const std::byte>(static_cast<const std::byte*>(data.data_ptr()), data.nbytes())});
  }
  safetensors::write_checkpoint(dir, tensors, options.max_shard_bytes);

  ModelConfig config = model.config();
  config.dtype = dtype_config_name(dtype);
  config.save(dir / "config.json");
  nlohmann::json generation = nlohmann::json::object();
  if (config.bos_token_id) generation["bos_token_id"] = *config.bos_token_id;
  if (!config.eos_token_ids.empty()) generation["eos_token_id"] = config.eos_token_ids;
  if (config.pad_token_id) generation["pad_token_id"] = *config.pad_token_id;
  write_text_atomically(dir / "generation_config.json", generation.dump(2) + "\n");
}

}  // namespace soar
