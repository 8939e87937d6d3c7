// The GGUF reader on files built byte by byte here: a valid one is read as written, and each
// malformed one is refused with a soar::Error naming the file and the field at fault.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "core/error.h"
#include "model/gguf.h"
#include "model/gguf_dequantize.h"
#include "model/gguf_llama.h"

namespace {

using namespace soar;

// A GGUF image: header, key/values and tensor infos as given, then the data section at the alignment.
struct Image {
  std::uint32_t version = 3;
  std::string kvs;  // encoded key/values
  std::uint64_t kv_count = 0;
  std::string infos;  // encoded tensor infos
  std::uint64_t tensor_count = 0;
  std::string data;
  std::uint32_t alignment = 32;
  std::optional<std::uint64_t> tensor_count_override, kv_count_override;

  template <class T>
  static std::string raw(T value) {
    std::string out(sizeof(T), '\0');
    std::memcpy(out.data(), &value, sizeof(T));
    return out;
  }
  static std::string text(std::string_view s) { return raw<std::uint64_t>(s.size()) + std::string(s); }

  Image& kv(std::string_view key, std::uint32_t type, const std::string& value) {
    kvs += text(key) + raw(type) + value;
    ++kv_count;
    return *this;
  }
  Image& tensor(std::string_view name, std::vector<std::uint64_t> dims, gguf::TensorType type, std::uint64_t offset) {
    infos += text(name) + raw<std::uint32_t>(dims.size());
    for (auto d : dims) infos += raw(d);
    infos += raw(static_cast<std::uint32_t>(type)) + raw(offset);
    ++tensor_count;
    return *this;
  }
  std::string bytes() const {
    std::string out = "GGUF" + raw(version) + raw(tensor_count_override.value_or(tensor_count)) +
                      raw(kv_count_override.value_or(kv_count)) + kvs + infos;
    out.append((alignment - out.size() % alignment) % alignment, '\0');
    return out + data;
  }
};

gguf::File read(const std::string& bytes) {
  return gguf::File::from_memory(std::as_bytes(std::span(bytes.data(), bytes.size())), "test.gguf");
}

// Two tensors: "a" F32 [4] at 0, "b" Q8_0 [2, 32] at 32, and an architecture key.
Image valid() {
  Image image;
  image.kv("general.architecture", 8, Image::text("llama"));
  image.tensor("a", {4}, gguf::TensorType::F32, 0).tensor("b", {32, 2}, gguf::TensorType::Q8_0, 32);
  std::string a;
  for (float v : {1.0f, -2.5f, 3.25f, 0.0f}) a += Image::raw(v);
  std::string block = Image::raw<std::uint16_t>(0x3800);  // d = 0.5
  for (int j = 0; j < 32; ++j) block += char(j - 16);
  image.data = a + std::string(16, '\0') + block + block;
  return image;
}

// Expects the bytes to be refused with a message naming the file and containing each of `parts`.
void expect_refused(const std::string& bytes, std::initializer_list<std::string_view> parts) {
  try {
    read(bytes);
    ADD_FAILURE() << "accepted; expected an error containing '" << *parts.begin() << "'";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("test.gguf"), std::string::npos) << message;
    for (std::string_view part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

TEST(Gguf, ReadsAValidFile) {
  const std::string bytes = valid().bytes();  // the File points into it: it must outlive the File
  const gguf::File file = read(bytes);
  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.alignment(), 32u);
  EXPECT_EQ(file.at("general.architecture").as_string("x"), "llama");
  ASSERT_EQ(file.tensors().size(), 2u);
  const gguf::TensorInfo& b = *file.find_tensor("b");
  EXPECT_EQ(b.shape(), (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(b.nbytes, 68u);
  std::vector<float> values(64);
  gguf::dequantize(b, values, "test.gguf");
  EXPECT_EQ(values[0], -8.0f);
  EXPECT_EQ(values[31], 7.5f);
  std::vector<float> a(4);
  gguf::dequantize(*file.find_tensor("a"), a, "test.gguf");
  EXPECT_EQ(a, (std::vector<float>{1.0f, -2.5f, 3.25f, 0.0f}));
}

TEST(Gguf, ReadsEveryValueType) {
  Image image;
  image.kv("u8", 0, Image::raw<std::uint8_t>(200)).kv("i8", 1, Image::raw<std::int8_t>(-5));
  image.kv("u64", 10, Image::raw<std::uint64_t>(1ull << 40)).kv("f32", 6, Image::raw(0.5f)).kv("b", 7, "\1");
  image.kv("list", 9,
           Image::raw<std::uint32_t>(8) + Image::raw<std::uint64_t>(2) + Image::text("x") + Image::text("yz"));
  image.kv("nested", 9,
           Image::raw<std::uint32_t>(9) + Image::raw<std::uint64_t>(1) + Image::raw<std::uint32_t>(5) +
               Image::raw<std::uint64_t>(1) + Image::raw<std::int32_t>(-7));
  const std::string bytes = image.bytes();  // the File points into it: it must outlive the File
  const gguf::File file = read(bytes);
  EXPECT_EQ(file.at("u8").as_integer("x"), 200);
  EXPECT_EQ(file.at("i8").as_integer("x"), -5);
  EXPECT_EQ(file.at("u64").as_integer("x"), 1ll << 40);
  EXPECT_EQ(file.at("f32").as_number("x"), 0.5);
  EXPECT_TRUE(file.at("b").as_bool("x"));
  EXPECT_EQ(file.at("list").as_array("x").at(1).as_string("x"), "yz");
  EXPECT_EQ(file.at("nested").as_array("x").at(0).as_array("x").at(0).as_integer("x"), -7);
  EXPECT_THROW(file.at("list").as_integer("test.gguf: key"), Error);
  EXPECT_THROW(file.at("missing"), Error);
}

TEST(Gguf, RefusesMalformedHeaders) {
  expect_refused("", {"not a GGUF file"});
  expect_refused("GGUF" + Image::raw<std::uint32_t>(3), {"truncated", "tensor count"});
  Image v1 = valid();
  v1.version = 1;
  expect_refused(v1.bytes(), {"version 1"});
  Image big_endian = valid();
  big_endian.version = 0x03000000;  // version 3 written big-endian, read little-endian
  expect_refused(big_endian.bytes(), {"big-endian"});
  Image many_tensors = valid();
  many_tensors.tensor_count_override = 1ull << 60;
  expect_refused(many_tensors.bytes(), {"tensor count", "cannot fit"});
  Image many_kvs = valid();
  many_kvs.kv_count_override = std::numeric_limits<std::uint64_t>::max();
  expect_refused(many_kvs.bytes(), {"key/value count", "cannot fit"});
  expect_refused(valid().bytes().substr(0, 40), {"tensor count: count 2", "cannot fit"});
  expect_refused(Image().kv("general.architecture", 8, Image::text("llama")).bytes().substr(0, 40),
                 {"key/value 0 key", "string length 20"});
  expect_refused(Image().tensor("a", {1, 1, 1, 4}, gguf::TensorType::F32, 0).bytes().substr(0, 64),
                 {"truncated", "tensor 'a' dims"});
}

TEST(Gguf, RefusesMalformedKeyValues) {
  Image long_key;
  long_key.kvs = Image::raw<std::uint64_t>(1ull << 50) + "abc";
  long_key.kv_count = 1;
  expect_refused(long_key.bytes(), {"key/value 0 key", "string length"});
  Image long_array;
  long_array.kv("list", 9, Image::raw<std::uint32_t>(8) + Image::raw<std::uint64_t>(1ull << 40));
  expect_refused(long_array.bytes(), {"metadata key 'list'", "array length", "cannot fit"});
  expect_refused(Image().kv("k", 13, "xxxx").bytes(), {"metadata key 'k'", "unknown value type 13"});
  expect_refused(Image().kv("k", 9, Image::raw<std::uint32_t>(77) + Image::raw<std::uint64_t>(0)).bytes(),
                 {"metadata key 'k'", "unknown array element type 77"});
  expect_refused(Image().kv("k", 7, "\2").bytes(), {"metadata key 'k'", "bool"});
  expect_refused(Image().kv("k", 4, Image::raw<std::uint32_t>(1)).kv("k", 4, Image::raw<std::uint32_t>(2)).bytes(),
                 {"metadata key 'k'", "twice"});
  expect_refused(Image().kv("bad\xff", 4, Image::raw<std::uint32_t>(1)).bytes(), {"key/value 0", "UTF-8"});
  std::string deep;
  for (int i = 0; i < 12; ++i) deep += Image::raw<std::uint32_t>(9) + Image::raw<std::uint64_t>(1);
  expect_refused(Image().kv("deep", 9, deep.substr(0, deep.size()) + Image::raw<std::uint32_t>(4)).bytes(),
                 {"metadata key 'deep'", "nested deeper"});
  expect_refused(Image().kv("general.alignment", 4, Image::raw<std::uint32_t>(48)).bytes(),
                 {"general.alignment", "power of two"});
  expect_refused(Image().kv("general.alignment", 10, Image::raw<std::uint64_t>(32)).bytes(),
                 {"general.alignment", "UINT32"});
}

TEST(Gguf, RefusesMalformedTensors) {
  auto with = [](auto change) {
    Image image = valid();
    image.infos.clear();
    image.tensor_count = 0;
    change(image);
    return image.bytes();
  };
  using T = gguf::TensorType;
  expect_refused(with([](Image& i) { i.tensor("a", {1, 1, 1, 1, 1}, T::F32, 0); }), {"tensor 'a'", "5 dims"});
  expect_refused(with([](Image& i) { i.tensor("a", {1ull << 62, 4}, T::F32, 0); }), {"tensor 'a'", "overflow"});
  expect_refused(with([](Image& i) { i.tensor("a", {4}, static_cast<T>(99), 0); }),
                 {"tensor 'a'", "unknown tensor type 99"});
  expect_refused(with([](Image& i) { i.tensor("a", {33}, T::Q8_0, 0); }), {"tensor 'a'", "Q8_0 blocks"});
  expect_refused(with([](Image& i) { i.tensor("a", {4}, T::F32, 8); }), {"tensor 'a'", "multiple of the alignment"});
  expect_refused(with([](Image& i) { i.tensor("a", {4}, T::F32, 4096); }), {"tensor 'a'", "past its end"});
  expect_refused(with([](Image& i) { i.tensor("a", {1000}, T::F32, 0); }), {"tensor 'a'", "past its end"});
  expect_refused(with([](Image& i) {
                   i.tensor("a", {16}, T::F32, 0).tensor("b", {32, 2}, T::Q8_0, 32);
                 }),
                 {"tensor 'b'", "overlaps tensor 'a'"});
  expect_refused(with([](Image& i) { i.tensor("a", {4}, T::F32, 0).tensor("a", {4}, T::F32, 32); }),
                 {"tensor 'a'", "twice"});
  expect_refused(with([](Image& i) { i.tensor("a\xc0", {4}, T::F32, 0); }), {"tensor info 0", "UTF-8"});
  // The infos end at byte 143: the data section would start at 160.
  const Image image = valid();
  expect_refused(image.bytes().substr(0, 24 + image.kvs.size() + image.infos.size()), {"data section would start"});
}

TEST(Gguf, RefusesTypesItDoesNotDequantiseByName) {
  Image image = valid();
  image.infos.clear();
  image.tensor_count = 0;
  image.tensor("k", {256}, gguf::TensorType::Q4_K, 0);
  image.data = std::string(144, '\0');
  const std::string bytes = image.bytes();  // the File points into it: it must outlive the File
  const gguf::File file = read(bytes);
  std::vector<float> out(256);
  try {
    gguf::dequantize(file.tensors()[0], out, "test.gguf");
    ADD_FAILURE() << "Q4_K dequantised";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'k' has type Q4_K"), std::string::npos) << e.what();
  }
}

TEST(Gguf, HalfToFloatIsExact) {
  EXPECT_EQ(gguf::half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(gguf::half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(gguf::half_to_float(0x7BFF), 65504.0f);
  EXPECT_TRUE(std::signbit(gguf::half_to_float(0x8000)));
  EXPECT_TRUE(std::isinf(gguf::half_to_float(0xFC00)));
  EXPECT_TRUE(std::isnan(gguf::half_to_float(0x7E00)));
}

TEST(GgufLlama, MapsTensorNames) {
  EXPECT_EQ(hf_tensor_name("token_embd.weight"), "model.embed_tokens.weight");
  EXPECT_EQ(hf_tensor_name("blk.12.attn_q.weight"), "model.layers.12.self_attn.q_proj.weight");
  EXPECT_EQ(hf_tensor_name("blk.0.ffn_down.weight"), "model.layers.0.mlp.down_proj.weight");
  EXPECT_EQ(hf_tensor_name("output.weight"), "lm_head.weight");
  for (const char* bad :
       {"blk.01.attn_q.weight", "blk.-1.attn_q.weight", "blk.1.attn_q.bias", "blk.1", "rope_freqs.weight"})
    EXPECT_EQ(hf_tensor_name(bad), std::nullopt) << bad;
}

TEST(GgufLlama, RefusesOtherArchitecturesAndMissingKeys) {
  auto refused = [](const Image& image, std::string_view part) {
    try {
      llama_config_from_gguf(read(image.bytes()));
      ADD_FAILURE() << "accepted; expected " << part;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  refused(Image().kv("general.architecture", 8, Image::text("qwen2")), "architecture 'qwen2' is not supported");
  refused(Image().kv("general.architecture", 8, Image::text("llama")), "no metadata key 'llama.block_count'");
  refused(Image().kv("general.architecture", 8, Image::text("llama")).kv("llama.block_count", 8, Image::text("2")),
          "metadata key 'llama.block_count': expected an integer, found a STRING");
}

}  // namespace
