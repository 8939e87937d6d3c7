// Writes safetensors files and checkpoints for tests/python/check_safetensors_written.py, which loads
// them with the Python `safetensors` library and compares them with values it computes itself from
// the same formula (element_value below), and with what that library and huggingface_hub would write.
// manifest.json lists what was written (names, dtypes, shapes, metadata, shard limits), not values.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/directory.h"
#include "core/error.h"
#include "model/safetensors.h"

namespace {

namespace fs = std::filesystem;
namespace st = soar::safetensors;
using nlohmann::json;

const fs::path kDir = fs::path(SOAR_REFERENCE_DIR) / "safetensors_written";

// Float value of element i for the float dtypes: multiples of 1/8 in [-15.625, 15.625], exact in F16/BF16.
double float_value(std::uint64_t i) { return double(std::int64_t((i * 37 + 11) % 251) - 125) / 8.0; }

std::uint16_t to_f16(float value) {  // exact for the values above (normal or zero); checked
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  std::uint16_t sign = std::uint16_t((bits >> 16) & 0x8000);
  if ((bits & 0x7FFFFFFF) == 0) return sign;
  int exponent = int((bits >> 23) & 0xFF) - 127 + 15;
  if (exponent <= 0 || exponent >= 31 || (bits & 0x1FFF) != 0) soar::fail("not exact in F16: ", value);
  return std::uint16_t(sign | (exponent << 10) | ((bits >> 13) & 0x3FF));
}

std::uint16_t to_bf16(float value) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0xFFFF) != 0) soar::fail("not exact in BF16: ", value);
  return std::uint16_t(bits >> 16);
}

template <typename T>
void put(std::vector<std::byte>& out, T value) {  // little-endian host (x86-64, aarch64)
  static_assert(std::endian::native == std::endian::little);
  std::byte bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

// Element i of a tensor of `dtype`, encoded. The Python checker computes the same with numpy.
void element_value(std::vector<std::byte>& out, st::DType dtype, std::uint64_t i) {
  using D = st::DType;
  std::uint64_t u64 = i * 0x9E3779B97F4A7C15ull + 3;  // wraps mod 2^64
  std::uint32_t u32 = std::uint32_t(i * 2654435761ull + 1);
  switch (dtype) {
    case D::BOOL: return put<std::uint8_t>(out, i % 3 == 0);
    case D::U8: return put<std::uint8_t>(out, std::uint8_t((i * 37 + 11) % 256));
    case D::I8: return put<std::int8_t>(out, std::int8_t(int((i * 37 + 11) % 256) - 128));
    case D::U16: return put<std::uint16_t>(out, std::uint16_t((i * 4099 + 7) % 65536));
    case D::I16: return put<std::int16_t>(out, std::int16_t(int((i * 4099 + 7) % 65536) - 32768));
    case D::U32: return put<std::uint32_t>(out, u32);
    case D::I32: return put<std::int32_t>(out, std::bit_cast<std::int32_t>(u32));
    case D::U64: return put<std::uint64_t>(out, u64);
    case D::I64: return put<std::int64_t>(out, std::bit_cast<std::int64_t>(u64));
    case D::F16: return put<std::uint16_t>(out, to_f16(float(float_value(i))));
    case D::BF16: return put<std::uint16_t>(out, to_bf16(float(float_value(i))));
    case D::F32: return put<float>(out, float(float_value(i)) / 3.0f);
    case D::F64: return put<double>(out, float_value(i) / 3.0);
  }
}

struct Owned {
  std::string name;
  st::DType dtype;
  std::vector<int64_t> shape;
  std::vector<std::byte> data;
};

Owned make(std::string name, st::DType dtype, std::vector<int64_t> shape) {
  Owned t{std::move(name), dtype, std::move(shape), {}};
  std::uint64_t count = 1;
  for (int64_t d : t.shape) count *= std::uint64_t(d);
  for (std::uint64_t i = 0; i < count; ++i) element_value(t.data, dtype, i);
  return t;
}

std::vector<st::TensorToWrite> views(const std::vector<Owned>& tensors) {
  std::vector<st::TensorToWrite> out;
  for (const auto& t : tensors) out.push_back({t.name, t.dtype, t.shape, t.data});
  return out;
}

json describe(const std::vector<Owned>& tensors) {  // in input order: sharding depends on it
  json out = json::array();
  for (const auto& t : tensors) out.push_back({{"name", t.name}, {"dtype", st::dtype_name(t.dtype)}, {"shape", t.shape}});
  return out;
}

TEST(SafetensorsWritten, WritesFilesForThePythonChecker) {
  soar::remove_tree(kDir);
  fs::create_directories(kDir);
  json manifest = {{"files", json::object()}, {"checkpoints", json::object()}};

  std::vector<Owned> every_dtype;
  const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {7}, {3, 5}, {2, 0, 4}, {2, 3, 1, 4}};
  for (st::DType dtype : st::kAllDTypes)
    for (std::size_t s = 0; s < shapes.size(); ++s)
      every_dtype.push_back(make(soar::cat("t", s, ".", st::dtype_name(dtype)), dtype, shapes[s]));
  st::write_file(kDir / "dtypes.safetensors", views(every_dtype));
  manifest["files"]["dtypes.safetensors"] = {{"metadata", {{"format", "pt"}}}, {"tensors", describe(every_dtype)}};

  std::vector<Owned> named = {make("model.embed_tokens.weight", st::DType::BF16, {16, 8}),
                              make("caf\xC3\xA9.\xE2\x98\x83", st::DType::I64, {3}),
                              make("model.norm.weight", st::DType::F32, {8})};
  std::map<std::string, std::string> metadata = {{"author", "soar"}, {"note", "h\xC3\xA9llo \xE2\x98\x83 \"quoted\"\n"}};
  st::write_file(kDir / "metadata.safetensors", views(named), metadata);
  metadata["format"] = "pt";
  manifest["files"]["metadata.safetensors"] = {{"metadata", metadata}, {"tensors", describe(named)}};

  // The last layer's weight is over the shard limit, so it gets a shard of its own.
  std::vector<Owned> model;
  for (int layer = 0; layer < 3; ++layer) {
    model.push_back(make(soar::cat("model.layers.", layer, ".self_attn.q_proj.weight"), st::DType::BF16, {16, 16}));
    model.push_back(make(soar::cat("model.layers.", layer, ".mlp.up_proj.weight"), st::DType::F32, {8, 16}));
    model.push_back(make(soar::cat("model.layers.", layer, ".input_layernorm.weight"), st::DType::F16, {16}));
  }
  model.push_back(make("lm_head.weight", st::DType::F32, {32, 16}));
  model.push_back(make("model.norm.weight", st::DType::F32, {16}));
  st::write_checkpoint(kDir / "sharded", views(model), 1200);
  manifest["checkpoints"]["sharded"] = {{"max_shard_bytes", 1200}, {"tensors", describe(model)}};
  st::write_checkpoint(kDir / "single", views(model));
  manifest["checkpoints"]["single"] = {{"max_shard_bytes", 5'000'000'000ull}, {"tensors", describe(model)}};

  std::ofstream(kDir / "manifest.json") << manifest.dump(1) << "\n";

  // Our reader agrees with what was written (the checker covers the Python side).
  st::Checkpoint sharded = st::Checkpoint::open(kDir / "sharded");
  EXPECT_GT(sharded.files().size(), 2u);
  for (const auto& t : model) {
    const auto& view = sharded.at(t.name);
    ASSERT_EQ(view.nbytes, t.data.size());
    EXPECT_EQ(std::memcmp(view.data, t.data.data(), t.data.size()), 0) << t.name;
  }
}

}  // namespace
