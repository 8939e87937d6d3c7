#include "model/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "core/directory.h"
#include "core/error.h"

namespace {

namespace fs = std::filesystem;
namespace st = soar::safetensors;
using Bytes = std::vector<std::byte>;

fs::path fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("soar_safetensors_" + name);
  soar::remove_tree(dir);
  fs::create_directories(dir);
  return dir;
}

Bytes random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = std::byte(rng() & 0xFF);
  return out;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_bytes(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

// A safetensors image: little-endian length, `header` as given (no padding), then `data`.
std::string image(std::string_view header, std::string_view data = {}, std::uint64_t length = UINT64_MAX) {
  if (length == UINT64_MAX) length = header.size();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = char((length >> (8 * i)) & 0xFF);
  return out.append(header).append(data);
}

fs::path write_image(const std::string& test, std::string_view bytes) {
  auto path = fresh_dir(test) / "model.safetensors";
  write_bytes(path, bytes);
  return path;
}

void expect_contains(const std::string& message, std::initializer_list<std::string> parts) {
  for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

// Opens `bytes` as a file and expects soar::Error naming the file and every one of `parts`.
void expect_open_error(const std::string& test, std::string_view bytes, std::initializer_list<std::string> parts) {
  auto path = write_image(test, bytes);
  try {
    st::File::open(path);
    ADD_FAILURE() << test << ": opened without error";
  } catch (const soar::Error& e) {
    expect_contains(e.what(), {path.string()});
    expect_contains(e.what(), parts);
  }
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const soar::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no soar::Error thrown";
  return "";
}

const char* kOne = R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";

// ------------------------------------------------------------------------------------------- dtypes

TEST(SafetensorsDType, NamesSizesAndParsing) {
  const std::pair<st::DType, std::pair<const char*, std::size_t>> expected[] = {
      {st::DType::BOOL, {"BOOL", 1}}, {st::DType::U8, {"U8", 1}},     {st::DType::I8, {"I8", 1}},
      {st::DType::I16, {"I16", 2}},   {st::DType::U16, {"U16", 2}},   {st::DType::I32, {"I32", 4}},
      {st::DType::U32, {"U32", 4}},   {st::DType::I64, {"I64", 8}},   {st::DType::U64, {"U64", 8}},
      {st::DType::F16, {"F16", 2}},   {st::DType::BF16, {"BF16", 2}}, {st::DType::F32, {"F32", 4}},
      {st::DType::F64, {"F64", 8}}};
  for (const auto& [dtype, name_size] : expected) {
    EXPECT_EQ(st::dtype_name(dtype), name_size.first);
    EXPECT_EQ(st::dtype_size(dtype), name_size.second);
    EXPECT_EQ(st::parse_dtype(name_size.first), dtype);
  }
  EXPECT_EQ(std::size(st::kAllDTypes), std::size(expected));
  EXPECT_FALSE(st::parse_dtype("f32"));
  EXPECT_FALSE(st::parse_dtype("F8_E4M3"));
  EXPECT_FALSE(st::parse_dtype(""));
}

// ------------------------------------------------------------------------------------- round trips

struct Owned {
  std::string name;
  st::DType dtype;
  std::vector<int64_t> shape;
  Bytes data;
};

std::vector<Owned> every_dtype_tensors() {
  std::vector<Owned> out;
  const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {3}, {2, 3}, {1, 2, 0, 5}, {2, 1, 3, 2}};
  unsigned seed = 1;
  for (st::DType dtype : st::kAllDTypes) {
    for (std::size_t s = 0; s < shapes.size(); ++s) {
      std::size_t n = st::dtype_size(dtype);
      for (int64_t d : shapes[s]) n *= std::size_t(d);
      out.push_back({soar::cat("layer.", s, ".", st::dtype_name(dtype)), dtype, shapes[s], random_bytes(n, seed++)});
    }
  }
  return out;
}

std::vector<st::TensorToWrite> views_of(const std::vector<Owned>& tensors) {
  std::vector<st::TensorToWrite> out;
  for (const auto& t : tensors) out.push_back({t.name, t.dtype, t.shape, t.data});
  return out;
}

void expect_same(const st::TensorView& view, const Owned& t) {
  EXPECT_EQ(view.name, t.name);
  EXPECT_EQ(view.dtype, t.dtype) << t.name;
  EXPECT_EQ(view.shape, t.shape) << t.name;
  ASSERT_EQ(view.nbytes, t.data.size()) << t.name;
  EXPECT_TRUE(t.data.empty() || std::memcmp(view.data, t.data.data(), t.data.size()) == 0) << t.name;
}

TEST(SafetensorsRoundTrip, EveryDTypeBitExact) {
  auto tensors = every_dtype_tensors();
  auto path = fresh_dir("roundtrip") / "all.safetensors";
  st::write_file(path, views_of(tensors), {{"author", "soar"}, {"unicode", "h\xC3\xA9llo \xE2\x98\x83"}});
  st::File file = st::File::open(path);
  EXPECT_EQ(file.path(), path);
  ASSERT_EQ(file.tensors().size(), tensors.size());
  for (const auto& t : tensors) {
    const st::TensorView* view = file.find(t.name);
    ASSERT_NE(view, nullptr) << t.name;
    expect_same(*view, t);
  }
  EXPECT_EQ(file.find("absent"), nullptr);
  std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"author", "soar"}, {"unicode", "h\xC3\xA9llo \xE2\x98\x83"}};
  EXPECT_EQ(file.metadata(), metadata);

  // tensors() is in offset order and tiles the data section.
  const std::byte* next = file.tensors().front().data;
  for (const auto& view : file.tensors()) {
    EXPECT_EQ(view.data, next) << view.name;
    next = view.data + view.nbytes;
  }

  // Views survive moving the File (the mapping does not move).
  st::File moved = std::move(file);
  expect_same(*moved.find(tensors[5].name), tensors[5]);
  st::File assigned = st::File::open(path);
  assigned = std::move(moved);
  expect_same(*assigned.find(tensors[7].name), tensors[7]);
}

TEST(SafetensorsRoundTrip, EmptyFileOfTensors) {
  auto path = fresh_dir("empty") / "empty.safetensors";
  st::write_file(path, {});
  EXPECT_EQ(read_all(path), image(R"({"__metadata__":{"format":"pt"}})"));
  st::File file = st::File::open(path);
  EXPECT_TRUE(file.tensors().empty());
  EXPECT_EQ(file.metadata().at("format"), "pt");
}

// The exact header the Python library writes for these tensors (safetensors 0.8.0,
// save(tensors, metadata={"format": "pt", "x": "y"})): dtypes in its order, then names; padding to
// 8. (It emits metadata keys in hash order; we write them sorted, so only that order may differ.)
TEST(SafetensorsRoundTrip, HeaderMatchesPythonLibraryLayout) {
  Bytes b(12), a(4), c(8), z(3), aa(8), h(2), u(2), i(2);
  std::vector<st::TensorToWrite> tensors = {
      {"b", st::DType::F32, {3}, b},  {"a", st::DType::BF16, {2}, a}, {"c", st::DType::I64, {1}, c},
      {"z", st::DType::BOOL, {3}, z}, {"aa", st::DType::F32, {2}, aa}, {"h", st::DType::F16, {1}, h},
      {"u", st::DType::U16, {1}, u},  {"i", st::DType::I16, {1}, i}};
  auto path = fresh_dir("layout") / "x.safetensors";
  st::write_file(path, tensors, {{"x", "y"}});
  std::string header =
      R"({"__metadata__":{"format":"pt","x":"y"},"c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},)"
      R"("aa":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"b":{"dtype":"F32","shape":[3],"data_offsets":[16,28]},)"
      R"("a":{"dtype":"BF16","shape":[2],"data_offsets":[28,32]},"h":{"dtype":"F16","shape":[1],"data_offsets":[32,34]},)"
      R"("u":{"dtype":"U16","shape":[1],"data_offsets":[34,36]},"i":{"dtype":"I16","shape":[1],"data_offsets":[36,38]},)"
      R"("z":{"dtype":"BOOL","shape":[3],"data_offsets":[38,41]}})";
  header += std::string(480 - header.size(), ' ');
  ASSERT_EQ(header.size() % 8, 0u);
  EXPECT_EQ(read_all(path), image(header, std::string(41, '\0')));
}

// A header whose length is not a multiple of 8 (legal, if unusual) leaves tensors unaligned.
TEST(SafetensorsRoundTrip, ReadsUnalignedData) {
  std::string data = "\x01\x02\x03\x04\x05\x06\x07\x08";
  auto path = write_image("unaligned", image(R"({"x":{"dtype":"F64","shape":[],"data_offsets":[0,8]}})", data));
  st::File file = st::File::open(path);
  const auto& view = file.tensors().at(0);
  EXPECT_TRUE(view.shape.empty());
  EXPECT_EQ(std::memcmp(view.data, data.data(), 8), 0);
}

// What the Python library accepts, we accept too.
TEST(SafetensorsRoundTrip, AcceptsWhatPythonAccepts) {
  auto path = write_image("accepts", image(
      R"(  {"__metadata__":null,"e":{"dtype":"U8","shape":[0],"data_offsets":[2,2]},)"
      R"("v":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"extra":{"ignored":[1]}}} )", "ab"));
  st::File file = st::File::open(path);
  ASSERT_EQ(file.tensors().size(), 2u);
  EXPECT_EQ(file.tensors()[0].name, "v");
  EXPECT_EQ(file.tensors()[1].name, "e");
  EXPECT_EQ(file.tensors()[1].nbytes, 0u);
  EXPECT_TRUE(file.metadata().empty());
}

TEST(SafetensorsRoundTrip, FromMemory) {
  std::string bytes = image(std::string("{") + kOne + "}", "abcd");
  st::File file = st::File::from_memory(std::as_bytes(std::span(bytes)), "in-memory");
  EXPECT_EQ(file.tensors().at(0).data, reinterpret_cast<const std::byte*>(bytes.data()) + bytes.size() - 4);
  std::string message = error_of([&] { st::File::from_memory(std::as_bytes(std::span(bytes)).first(9), "label-x"); });
  expect_contains(message, {"label-x", "header length"});
}

// ---------------------------------------------------------------------------- corrupt files, one each

TEST(SafetensorsCorrupt, FileShorterThan8Bytes) {
  expect_open_error("short", std::string("\x05\0\0\0\0", 5), {"5 bytes", "shorter than the 8-byte header length"});
  expect_open_error("short0", "", {"0 bytes"});
}

TEST(SafetensorsCorrupt, HeaderLengthPastEndOfFile) {
  expect_open_error("past_end", image("{}", "", 100), {"header length 100", "past the end of the file"});
}

TEST(SafetensorsCorrupt, HeaderLengthAbsurd) {
  expect_open_error("absurd", image("{}", "", 100'000'001), {"header length 100000001", "exceeds the limit"});
  expect_open_error("absurd_max", image("{}", "", UINT64_MAX - 1), {"exceeds the limit"});
}

TEST(SafetensorsCorrupt, HeaderNotJson) {
  expect_open_error("not_json", image(R"({"w":{"dtype":)"), {"header is not valid JSON"});
  expect_open_error("trailing_json", image("{} x"), {"header is not valid JSON"});
}

TEST(SafetensorsCorrupt, HeaderNotObject) {
  expect_open_error("not_object", image("[1,2]"), {"header is a JSON array, not an object"});
}

TEST(SafetensorsCorrupt, HeaderNotUtf8) {
  expect_open_error("not_utf8", image("{\"\xff\":1}"), {"not valid UTF-8 at file offset 10"});
  expect_open_error("overlong_utf8", image("{\"\xC0\xAF\":1}"), {"not valid UTF-8"});
  expect_open_error("surrogate_utf8", image("{\"\xED\xA0\x80\":1}"), {"not valid UTF-8"});
  expect_open_error("cut_utf8", image("{\"\xE2\x98"), {"not valid UTF-8"});
}

TEST(SafetensorsCorrupt, HeaderWithNulByte) {
  expect_open_error("nul", image(std::string("{}\0\0", 4)), {"NUL byte at file offset 10"});
}

TEST(SafetensorsCorrupt, HeaderNestedTooDeep) {
  std::string deep = R"({"w":)" + std::string(40, '[') + std::string(40, ']') + "}";
  expect_open_error("deep", image(deep), {"nests deeper than"});
}

TEST(SafetensorsCorrupt, EntryMissingDtype) {
  expect_open_error("no_dtype", image(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", "abcd"),
                    {"tensor \"w\"", "missing field \"dtype\""});
}

TEST(SafetensorsCorrupt, EntryMissingShape) {
  expect_open_error("no_shape", image(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", "abcd"),
                    {"tensor \"w\"", "missing field \"shape\""});
}

TEST(SafetensorsCorrupt, EntryMissingDataOffsets) {
  expect_open_error("no_offsets", image(R"({"w":{"dtype":"F32","shape":[1]}})", "abcd"),
                    {"tensor \"w\"", "missing field \"data_offsets\""});
}

TEST(SafetensorsCorrupt, EntryNotObject) {
  expect_open_error("entry_number", image(R"({"w":3})"), {"tensor \"w\"", "entry is a JSON number, not an object"});
}

TEST(SafetensorsCorrupt, DtypeWrongType) {
  expect_open_error("dtype_type", image(R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", "abcd"),
                    {"tensor \"w\"", "field \"dtype\" is a JSON number, not a string"});
}

TEST(SafetensorsCorrupt, ShapeWrongType) {
  expect_open_error("shape_type", image(R"({"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})", "abcd"),
                    {"tensor \"w\"", "field \"shape\" is a JSON string, not an array"});
}

TEST(SafetensorsCorrupt, DataOffsetsWrongType) {
  expect_open_error("offsets_type", image(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":{"a":0}}})", "abcd"),
                    {"tensor \"w\"", "field \"data_offsets\" is a JSON object, not an array"});
}

TEST(SafetensorsCorrupt, UnknownDtype) {
  expect_open_error("unknown_dtype", image(R"({"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", "a"),
                    {"tensor \"w\"", "field \"dtype\" has unknown dtype \"F8_E4M3\""});
}

TEST(SafetensorsCorrupt, NegativeShapeEntry) {
  expect_open_error("negative_shape", image(R"({"w":{"dtype":"F32","shape":[1,-1],"data_offsets":[0,0]}})"),
                    {"tensor \"w\"", "field \"shape\" entry 1 is negative (-1)"});
}

TEST(SafetensorsCorrupt, NonIntegerShapeEntry) {
  expect_open_error("float_shape", image(R"({"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})", "abcd"),
                    {"tensor \"w\"", "field \"shape\" entry 0 is not an integer (1.0)"});
  expect_open_error("string_shape", image(R"({"w":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}})", "abcd"),
                    {"tensor \"w\"", "field \"shape\" entry 0 is not an integer"});
  expect_open_error("huge_shape", image(R"({"w":{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}})", "abcd"),
                    {"tensor \"w\"", "field \"shape\" entry 0 is not an integer"});
  expect_open_error("int64_shape",
                    image(R"({"w":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,4]}})", "abcd"),
                    {"tensor \"w\"", "field \"shape\" entry 0 is too large"});
}

TEST(SafetensorsCorrupt, ShapeProductOverflow) {
  expect_open_error("overflow",
                    image(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}})"),
                    {"tensor \"w\"", "field \"shape\" [4294967296, 4294967296, 0] overflows"});
  // The element count fits, the byte count does not.
  expect_open_error("overflow_bytes",
                    image(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})"),
                    {"tensor \"w\"", "overflows"});
}

TEST(SafetensorsCorrupt, DataOffsetsNotAPair) {
  expect_open_error("offsets_one", image(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4]}})", "abcd"),
                    {"tensor \"w\"", "field \"data_offsets\" has 1 entries, not [begin, end]"});
  expect_open_error("offsets_three", image(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}})", "abcd"),
                    {"tensor \"w\"", "field \"data_offsets\" has 3 entries"});
  expect_open_error("offsets_negative", image(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", "abcd"),
                    {"tensor \"w\"", "field \"data_offsets\" entry 0 is negative"});
  expect_open_error("offsets_float", image(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}})", "abcd"),
                    {"tensor \"w\"", "field \"data_offsets\" entry 1 is not an integer"});
}

TEST(SafetensorsCorrupt, DataOffsetsBeginAfterEnd) {
  expect_open_error("begin_after_end", image(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", "abcd"),
                    {"tensor \"w\"", "[4, 0] has begin after end"});
}

TEST(SafetensorsCorrupt, DataOffsetsEndPastDataSection) {
  expect_open_error("end_past_data", image(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "abcd"),
                    {"tensor \"w\"", "end 8 is past the end of the data section (4 bytes)"});
  expect_open_error("end_huge",
                    image(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551615,18446744073709551615]}})"),
                    {"tensor \"w\"", "past the end of the data section"});
}

TEST(SafetensorsCorrupt, SizeDisagreesWithShape) {
  expect_open_error("size_mismatch", image(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "abcd"),
                    {"tensor \"w\"", "spans 4 bytes but dtype F32 and shape [2] need 8"});
}

TEST(SafetensorsCorrupt, OverlappingTensors) {
  expect_open_error("overlap",
                    image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", std::string(12, 'x')),
                    {"tensor \"b\"", "overlaps tensor \"a\""});
  // Two tensors on the same bytes (an alias) also overlap.
  expect_open_error("alias",
                    image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                          R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", "abcd"),
                    {"tensor \"b\"", "overlaps tensor \"a\""});
}

TEST(SafetensorsCorrupt, GapInDataSection) {
  expect_open_error("gap", image(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", "abcdefgh"),
                    {"bytes [0, 4) belong to no tensor", "gap before tensor \"w\""});
}

TEST(SafetensorsCorrupt, TrailingUnreferencedBytes) {
  expect_open_error("trailing", image(std::string("{") + kOne + "}", "abcdef"),
                    {"bytes [4, 6) after the last tensor belong to no tensor"});
  expect_open_error("no_tensors_trailing", image("{}", "ab"), {"bytes [0, 2) after the last tensor"});
}

TEST(SafetensorsCorrupt, DuplicateTensorNames) {
  expect_open_error("duplicate",
                    image(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                          R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", "abcdefgh"),
                    {"duplicate key \"w\""});
  expect_open_error("duplicate_field",
                    image(R"({"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}})", "abcd"),
                    {"duplicate key \"dtype\""});
}

TEST(SafetensorsCorrupt, MetadataValueNotString) {
  expect_open_error("metadata_int", image(R"({"__metadata__":{"format":"pt","step":3}})"),
                    {"\"__metadata__\" value \"step\" is a JSON number, not a string"});
}

TEST(SafetensorsCorrupt, MetadataNotObject) {
  expect_open_error("metadata_string", image(R"({"__metadata__":"pt"})"),
                    {"\"__metadata__\" is a JSON string, not an object"});
}

TEST(SafetensorsCorrupt, NotARegularFile) {
  auto dir = fresh_dir("directory");
  expect_contains(error_of([&] { st::File::open(dir); }), {dir.string(), "not a regular file"});
  expect_contains(error_of([&] { st::File::open(dir / "missing.safetensors"); }),
                  {(dir / "missing.safetensors").string(), "cannot open"});
}

// ------------------------------------------------------------------------------------------- writer

TEST(SafetensorsWrite, RejectsBadInput) {
  auto dir = fresh_dir("write_errors");
  auto path = dir / "x.safetensors";
  Bytes four(4);
  expect_contains(error_of([&] { st::write_file(path, {{"w", st::DType::F32, {2}, four}}); }),
                  {path.string(), "tensor \"w\"", "data has 4 bytes", "need 8"});
  expect_contains(error_of([&] { st::write_file(path, {{"w", st::DType::U8, {4}, four}, {"w", st::DType::U8, {4}, four}}); }),
                  {path.string(), "tensor \"w\"", "duplicate name"});
  expect_contains(error_of([&] { st::write_file(path, {{"__metadata__", st::DType::U8, {4}, four}}); }),
                  {path.string(), "reserved"});
  expect_contains(error_of([&] { st::write_file(path, {{"w", st::DType::U8, {-4}, four}}); }),
                  {path.string(), "negative dimension"});
  expect_contains(error_of([&] { st::write_file(path, {{"\xff", st::DType::U8, {4}, four}}); }),
                  {path.string(), "not valid UTF-8"});
  expect_contains(error_of([&] { st::write_checkpoint(dir / "ckpt", {{"w", st::DType::U8, {3}, four}}); }),
                  {(dir / "ckpt").string(), "tensor \"w\"", "need 3"});
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir / "ckpt" / "model.safetensors"));
}

// ---------------------------------------------------------------------------------------- checkpoints

std::vector<Owned> checkpoint_tensors() {
  std::vector<Owned> out;
  // 40 + 40 + 24 + 100 + 8 + 16 bytes.
  out.push_back({"model.embed.weight", st::DType::F32, {2, 5}, random_bytes(40, 11)});
  out.push_back({"model.layers.0.w", st::DType::BF16, {4, 5}, random_bytes(40, 12)});
  out.push_back({"model.layers.0.b", st::DType::I64, {3}, random_bytes(24, 13)});
  out.push_back({"model.layers.1.big", st::DType::U8, {100}, random_bytes(100, 14)});
  out.push_back({"model.norm", st::DType::F16, {4}, random_bytes(8, 15)});
  out.push_back({"lm_head.weight", st::DType::F64, {2}, random_bytes(16, 16)});
  return out;
}

void expect_checkpoint_holds(const st::Checkpoint& checkpoint, const std::vector<Owned>& tensors) {
  std::vector<std::string> names;
  for (const auto& t : tensors) names.push_back(t.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(checkpoint.names(), names);
  for (const auto& t : tensors) expect_same(checkpoint.at(t.name), t);
}

TEST(SafetensorsCheckpoint, SingleFileRoundTrip) {
  auto tensors = checkpoint_tensors();
  auto dir = fresh_dir("ckpt_single");
  st::write_checkpoint(dir, views_of(tensors));
  EXPECT_TRUE(fs::exists(dir / "model.safetensors"));
  EXPECT_FALSE(fs::exists(dir / "model.safetensors.index.json"));
  expect_checkpoint_holds(st::Checkpoint::open(dir), tensors);
  expect_checkpoint_holds(st::Checkpoint::open(dir / "model.safetensors"), tensors);
  EXPECT_EQ(st::File::open(dir / "model.safetensors").metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));

  st::Checkpoint checkpoint = st::Checkpoint::open(dir);
  EXPECT_EQ(checkpoint.find("nope"), nullptr);
  EXPECT_EQ(error_of([&] { checkpoint.at("nope"); }), "tensor nope not found in " + dir.string());
}

TEST(SafetensorsCheckpoint, ShardedRoundTrip) {
  auto tensors = checkpoint_tensors();
  auto dir = fresh_dir("ckpt_sharded");
  // huggingface_hub's rule with a 64-byte limit: a tensor over the limit is appended as its own shard at
  // once, ahead of the shard still being filled: [embed 40] [big 100] [w 40, b 24] [norm 8, lm_head 16].
  st::write_checkpoint(dir, views_of(tensors), 64);
  const char* shards[] = {"model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                          "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors"};
  for (const char* shard : shards) EXPECT_TRUE(fs::exists(dir / shard)) << shard;
  EXPECT_FALSE(fs::exists(dir / "model.safetensors"));
  EXPECT_EQ(soar::directory_entries(dir).size(), 5u) << "stray files";

  auto index = nlohmann::json::parse(read_all(dir / "model.safetensors.index.json"));
  EXPECT_EQ(index["metadata"]["total_size"], 228);
  nlohmann::json weight_map = {{"model.embed.weight", shards[0]}, {"model.layers.0.w", shards[2]},
                               {"model.layers.0.b", shards[2]},   {"model.layers.1.big", shards[1]},
                               {"model.norm", shards[3]},         {"lm_head.weight", shards[3]}};
  EXPECT_EQ(index["weight_map"], weight_map);
  EXPECT_EQ(read_all(dir / "model.safetensors.index.json").substr(0, 40), "{\n  \"metadata\": {\n    \"total_size\": 228\n");

  st::Checkpoint checkpoint = st::Checkpoint::open(dir);
  EXPECT_EQ(checkpoint.files().size(), 4u);
  expect_checkpoint_holds(checkpoint, tensors);
  expect_checkpoint_holds(st::Checkpoint::open(dir / "model.safetensors.index.json"), tensors);
  st::Checkpoint moved = std::move(checkpoint);
  expect_checkpoint_holds(moved, tensors);
}

TEST(SafetensorsCheckpoint, RewritingRemovesStaleWeightFiles) {
  auto tensors = checkpoint_tensors();
  auto dir = fresh_dir("ckpt_stale");
  write_bytes(dir / "config.json", "{}");
  st::write_checkpoint(dir, views_of(tensors), 64);  // 4 shards
  st::write_checkpoint(dir, views_of(tensors), 200);  // 2 shards: [embed, w, b] [big, norm, lm_head]
  std::set<std::string> files;
  for (const auto& name : soar::directory_entries(dir)) files.insert(name);
  EXPECT_EQ(files, (std::set<std::string>{"config.json", "model-00001-of-00002.safetensors",
                                          "model-00002-of-00002.safetensors", "model.safetensors.index.json"}));
  expect_checkpoint_holds(st::Checkpoint::open(dir), tensors);

  st::write_checkpoint(dir, views_of(tensors));
  files.clear();
  for (const auto& name : soar::directory_entries(dir)) files.insert(name);
  EXPECT_EQ(files, (std::set<std::string>{"config.json", "model.safetensors"}));
  expect_checkpoint_holds(st::Checkpoint::open(dir), tensors);
}

// Writes a sharded checkpoint by hand: shards {file: tensors}, and the index text.
fs::path hand_checkpoint(const std::string& test, const std::map<std::string, std::vector<std::string>>& shards,
                         const std::string& index) {
  auto dir = fresh_dir(test);
  Bytes four(4);
  for (const auto& [file, names] : shards) {
    std::vector<st::TensorToWrite> tensors;
    for (const auto& name : names) tensors.push_back({name, st::DType::F32, {1}, four});
    st::write_file(dir / file, tensors);
  }
  write_bytes(dir / "model.safetensors.index.json", index);
  return dir;
}

std::string checkpoint_error(const fs::path& dir) {
  return error_of([&] { st::Checkpoint::open(dir); });
}

TEST(SafetensorsCheckpointCorrupt, NothingToLoad) {
  auto dir = fresh_dir("ckpt_nothing");
  expect_contains(checkpoint_error(dir), {dir.string(), "neither model.safetensors nor model.safetensors.index.json"});
  expect_contains(checkpoint_error(dir / "absent"), {(dir / "absent").string(), "no such file or directory"});
}

TEST(SafetensorsCheckpointCorrupt, IndexNotJson) {
  auto dir = hand_checkpoint("ckpt_index_json", {{"a.safetensors", {"a"}}}, R"({"weight_map": {"a": "a.safetensors",})");
  expect_contains(checkpoint_error(dir), {(dir / "model.safetensors.index.json").string(), "index is not valid JSON"});
}

TEST(SafetensorsCheckpointCorrupt, IndexWithoutWeightMap) {
  auto dir = hand_checkpoint("ckpt_no_map", {{"a.safetensors", {"a"}}}, R"({"metadata": {}})");
  expect_contains(checkpoint_error(dir), {(dir / "model.safetensors.index.json").string(), "missing field \"weight_map\""});
  dir = hand_checkpoint("ckpt_map_type", {{"a.safetensors", {"a"}}}, R"({"weight_map": ["a"]})");
  expect_contains(checkpoint_error(dir), {"field \"weight_map\" is a JSON array, not an object"});
  dir = hand_checkpoint("ckpt_entry_type", {{"a.safetensors", {"a"}}}, R"({"weight_map": {"a": 1}})");
  expect_contains(checkpoint_error(dir), {"weight_map entry \"a\" is a JSON number, not a string"});
  dir = hand_checkpoint("ckpt_dup_entry", {{"a.safetensors", {"a"}}},
                        R"({"weight_map": {"a": "a.safetensors", "a": "a.safetensors"}})");
  expect_contains(checkpoint_error(dir), {"duplicate key \"a\""});
}

TEST(SafetensorsCheckpointCorrupt, ShardPathLeavesDirectory) {
  auto dir = hand_checkpoint("ckpt_escape", {}, R"({"weight_map": {"a": "../a.safetensors"}})");
  expect_contains(checkpoint_error(dir), {"weight_map entry \"a\"", "../a.safetensors", "not a path inside"});
}

TEST(SafetensorsCheckpointCorrupt, ShardMissing) {
  auto dir = hand_checkpoint("ckpt_missing_shard", {{"a.safetensors", {"a"}}},
                             R"({"weight_map": {"a": "a.safetensors", "b": "b.safetensors"}})");
  expect_contains(checkpoint_error(dir), {(dir / "model.safetensors.index.json").string(),
                                          "shard \"b.safetensors\" (listed for tensor \"b\") is missing"});
}

TEST(SafetensorsCheckpointCorrupt, TensorListedButAbsentFromShard) {
  auto dir = hand_checkpoint("ckpt_absent", {{"a.safetensors", {"a"}}},
                             R"({"weight_map": {"a": "a.safetensors", "b": "a.safetensors"}})");
  expect_contains(checkpoint_error(dir), {(dir / "model.safetensors.index.json").string(),
                                          "tensor \"b\" is listed for shard \"a.safetensors\" but absent from it"});
}

TEST(SafetensorsCheckpointCorrupt, TensorListedForTheWrongShard) {
  auto dir = hand_checkpoint("ckpt_wrong_shard", {{"a.safetensors", {"a"}}, {"b.safetensors", {"b"}}},
                             R"({"weight_map": {"a": "b.safetensors", "b": "a.safetensors"}})");
  expect_contains(checkpoint_error(dir), {"tensor \"a\" is listed for shard \"b.safetensors\" but found in",
                                          (dir / "a.safetensors").string()});
}

TEST(SafetensorsCheckpointCorrupt, TensorInTwoShards) {
  auto dir = hand_checkpoint("ckpt_two_shards", {{"a.safetensors", {"a", "x"}}, {"b.safetensors", {"b", "x"}}},
                             R"({"weight_map": {"a": "a.safetensors", "b": "b.safetensors", "x": "a.safetensors"}})");
  expect_contains(checkpoint_error(dir), {(dir / "model.safetensors.index.json").string(),
                                          "tensor \"x\" is present in two shards", (dir / "a.safetensors").string(),
                                          (dir / "b.safetensors").string()});
}

TEST(SafetensorsCheckpointCorrupt, TensorInShardButNotInIndex) {
  auto dir = hand_checkpoint("ckpt_unlisted", {{"a.safetensors", {"a", "extra"}}},
                             R"({"weight_map": {"a": "a.safetensors"}})");
  expect_contains(checkpoint_error(dir), {(dir / "model.safetensors.index.json").string(), "tensor \"extra\" in shard",
                                          "is not listed in the index's weight_map"});
}

TEST(SafetensorsCheckpointCorrupt, CorruptShardNamesItsFile) {
  auto dir = hand_checkpoint("ckpt_bad_shard", {{"a.safetensors", {"a"}}}, R"({"weight_map": {"a": "a.safetensors"}})");
  write_bytes(dir / "a.safetensors", "junk");
  expect_contains(checkpoint_error(dir), {(dir / "a.safetensors").string(), "shorter than the 8-byte header length"});
}

}  // namespace
