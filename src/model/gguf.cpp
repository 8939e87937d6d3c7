#include "model/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "core/error.h"
#include "core/utf8.h"

namespace soar::gguf {
namespace {

namespace fs = std::filesystem;

struct TypeInfo {
  TensorType type;
  std::string_view name;
  std::int64_t block_elements, block_bytes;
};

// Block layouts as gguf-py 0.19.0's GGML_QUANT_SIZES states them (ggml's type_traits).
constexpr TypeInfo kTensorTypes[] = {
    {TensorType::F32, "F32", 1, 4},         {TensorType::F16, "F16", 1, 2},
    {TensorType::Q4_0, "Q4_0", 32, 18},     {TensorType::Q4_1, "Q4_1", 32, 20},
    {TensorType::Q5_0, "Q5_0", 32, 22},     {TensorType::Q5_1, "Q5_1", 32, 24},
    {TensorType::Q8_0, "Q8_0", 32, 34},     {TensorType::Q8_1, "Q8_1", 32, 40},
    {TensorType::Q2_K, "Q2_K", 256, 84},    {TensorType::Q3_K, "Q3_K", 256, 110},
    {TensorType::Q4_K, "Q4_K", 256, 144},   {TensorType::Q5_K, "Q5_K", 256, 176},
    {TensorType::Q6_K, "Q6_K", 256, 210},   {TensorType::Q8_K, "Q8_K", 256, 292},
    {TensorType::IQ2_XXS, "IQ2_XXS", 256, 66}, {TensorType::IQ2_XS, "IQ2_XS", 256, 74},
    {TensorType::IQ3_XXS, "IQ3_XXS", 256, 98}, {TensorType::IQ1_S, "IQ1_S", 256, 50},
    {TensorType::IQ4_NL, "IQ4_NL", 32, 18}, {TensorType::IQ3_S, "IQ3_S", 256, 110},
    {TensorType::IQ2_S, "IQ2_S", 256, 82},  {TensorType::IQ4_XS, "IQ4_XS", 256, 136},
    {TensorType::I8, "I8", 1, 1},           {TensorType::I16, "I16", 1, 2},
    {TensorType::I32, "I32", 1, 4},         {TensorType::I64, "I64", 1, 8},
    {TensorType::F64, "F64", 1, 8},         {TensorType::IQ1_M, "IQ1_M", 256, 56},
    {TensorType::BF16, "BF16", 1, 2},       {TensorType::TQ1_0, "TQ1_0", 256, 54},
    {TensorType::TQ2_0, "TQ2_0", 256, 66},  {TensorType::MXFP4, "MXFP4", 32, 17},
};

const TypeInfo* find_type(std::uint32_t number) {
  for (const auto& info : kTensorTypes)
    if (static_cast<std::uint32_t>(info.type) == number) return &info;
  return nullptr;
}

const TypeInfo& type_info(TensorType type) {
  const TypeInfo* info = find_type(static_cast<std::uint32_t>(type));
  if (info == nullptr) fail("invalid GGUF tensor type value ", static_cast<std::uint32_t>(type));
  return *info;
}

constexpr std::string_view kValueTypeNames[] = {"UINT8", "INT8",   "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
                                                "BOOL",  "STRING", "ARRAY",  "UINT64", "INT64", "FLOAT64"};

// The fewest bytes one stored value of `type` takes (a string: its length; an array: type and count).
std::uint64_t min_value_bytes(ValueType type) {
  switch (type) {
    case ValueType::UInt8: case ValueType::Int8: case ValueType::Bool: return 1;
    case ValueType::UInt16: case ValueType::Int16: return 2;
    case ValueType::UInt32: case ValueType::Int32: case ValueType::Float32: return 4;
    case ValueType::UInt64: case ValueType::Int64: case ValueType::Float64: case ValueType::String: return 8;
    case ValueType::Array: return 12;
  }
  return 1;
}

// Reads little-endian fields with bounds checks; every error names the file, the field and the offset.
class Cursor {
 public:
  Cursor(std::span<const std::byte> bytes, const std::string& file) : bytes_(bytes), file_(file) {}

  std::size_t position() const { return position_; }
  std::uint64_t remaining() const { return bytes_.size() - position_; }

  template <class T>
  T read(std::string_view field) {
    need(sizeof(T), field);
    T value;
    std::memcpy(&value, bytes_.data() + position_, sizeof(T));  // the host is little-endian (x86-64, arm64)
    position_ += sizeof(T);
    return value;
  }

  std::string read_string(std::string_view field) {
    const auto length = read<std::uint64_t>(field);
    if (length > remaining())
      fail(file_, ": ", field, ": string length ", length, " at offset ", position_ - 8,
           " runs past the end of the file (", remaining(), " bytes left)");
    std::string text(reinterpret_cast<const char*>(bytes_.data() + position_), length);
    position_ += length;
    return text;
  }

  // A count of items that take at least `min_item_bytes` each: more than the rest of the file holds is
  // refused here, before anything is reserved for them.
  std::uint64_t read_count(std::string_view field, std::uint64_t min_item_bytes) {
    const std::size_t at = position_;
    const auto count = read<std::uint64_t>(field);
    if (count > remaining() / min_item_bytes)
      fail(file_, ": ", field, ": count ", count, " at offset ", at, " cannot fit in the ", remaining(),
           " bytes left in the file");
    return count;
  }

 private:
  void need(std::size_t n, std::string_view field) const {
    if (n > remaining())
      fail(file_, ": truncated: ", field, " needs ", n, " bytes at offset ", position_, ", the file has ", remaining(),
           " left");
  }

  std::span<const std::byte> bytes_;
  const std::string& file_;
  std::size_t position_ = 0;
};

Value read_value(Cursor& in, ValueType type, const std::string& field, const std::string& file, int depth) {
  Value value;
  value.type = type;
  switch (type) {
    case ValueType::UInt8: value.data = std::uint64_t(in.read<std::uint8_t>(field)); break;
    case ValueType::Int8: value.data = std::int64_t(in.read<std::int8_t>(field)); break;
    case ValueType::UInt16: value.data = std::uint64_t(in.read<std::uint16_t>(field)); break;
    case ValueType::Int16: value.data = std::int64_t(in.read<std::int16_t>(field)); break;
    case ValueType::UInt32: value.data = std::uint64_t(in.read<std::uint32_t>(field)); break;
    case ValueType::Int32: value.data = std::int64_t(in.read<std::int32_t>(field)); break;
    case ValueType::UInt64: value.data = in.read<std::uint64_t>(field); break;
    case ValueType::Int64: value.data = in.read<std::int64_t>(field); break;
    case ValueType::Float32: value.data = double(in.read<float>(field)); break;
    case ValueType::Float64: value.data = in.read<double>(field); break;
    case ValueType::Bool: {
      const auto byte = in.read<std::uint8_t>(field);
      if (byte > 1) fail(file, ": ", field, ": a bool must be 0 or 1, found ", int(byte));
      value.data = byte == 1;
      break;
    }
    case ValueType::String: value.data = in.read_string(field); break;
    case ValueType::Array: {
      if (depth >= kMaxArrayDepth) fail(file, ": ", field, ": arrays nested deeper than ", kMaxArrayDepth);
      const auto element = in.read<std::uint32_t>(field + " element type");
      if (element > static_cast<std::uint32_t>(ValueType::Float64))
        fail(file, ": ", field, ": unknown array element type ", element);
      value.element_type = static_cast<ValueType>(element);
      const std::uint64_t count = in.read_count(field + " array length", min_value_bytes(value.element_type));
      std::vector<Value> items;
      items.reserve(count);
      for (std::uint64_t i = 0; i < count; ++i)
        items.push_back(read_value(in, value.element_type, field, file, depth + 1));
      value.data = std::move(items);
      break;
    }
  }
  return value;
}

std::string found(const Value& value) {
  std::string text = cat("a ", value_type_name(value.type));
  if (value.type == ValueType::Array) text += cat(" of ", value_type_name(value.element_type));
  return text;
}

std::uint64_t align_up(std::uint64_t offset, std::uint64_t alignment) {
  return offset + (alignment - offset % alignment) % alignment;
}

}  // namespace

std::string_view value_type_name(ValueType type) {
  const auto index = static_cast<std::uint32_t>(type);
  return index < std::size(kValueTypeNames) ? kValueTypeNames[index] : "INVALID";
}

std::string_view tensor_type_name(TensorType type) { return type_info(type).name; }
std::int64_t block_elements(TensorType type) { return type_info(type).block_elements; }
std::int64_t block_bytes(TensorType type) { return type_info(type).block_bytes; }

// ----------------------------------------------------------------------------------------------- Value

std::int64_t Value::as_integer(std::string_view where) const {
  if (const auto* u = std::get_if<std::uint64_t>(&data)) {
    if (*u > std::uint64_t(std::numeric_limits<std::int64_t>::max())) fail(where, ": ", *u, " is too large");
    return std::int64_t(*u);
  }
  if (const auto* i = std::get_if<std::int64_t>(&data)) return *i;
  fail(where, ": expected an integer, found ", found(*this));
}

double Value::as_number(std::string_view where) const {
  if (const auto* d = std::get_if<double>(&data)) return *d;
  if (const auto* u = std::get_if<std::uint64_t>(&data)) return double(*u);
  if (const auto* i = std::get_if<std::int64_t>(&data)) return double(*i);
  fail(where, ": expected a number, found ", found(*this));
}

bool Value::as_bool(std::string_view where) const {
  if (const auto* b = std::get_if<bool>(&data)) return *b;
  fail(where, ": expected a BOOL, found ", found(*this));
}

const std::string& Value::as_string(std::string_view where) const {
  if (const auto* s = std::get_if<std::string>(&data)) return *s;
  fail(where, ": expected a STRING, found ", found(*this));
}

const std::vector<Value>& Value::as_array(std::string_view where) const {
  if (const auto* a = std::get_if<std::vector<Value>>(&data)) return *a;
  fail(where, ": expected an ARRAY, found ", found(*this));
}

// ------------------------------------------------------------------------------------------ TensorInfo

std::vector<std::int64_t> TensorInfo::shape() const { return {dims.rbegin(), dims.rend()}; }

std::int64_t TensorInfo::elements() const {
  std::int64_t n = 1;
  for (std::int64_t d : dims) n *= d;  // bounded when the file was read
  return n;
}

// ------------------------------------------------------------------------------------------------ File

File File::open(const fs::path& path) {
  File file;
  file.path_ = path;
  file.mapping_ = MappedFile::open(path);
  file.parse(file.mapping_.bytes());
  return file;
}

File File::from_memory(std::span<const std::byte> bytes, fs::path label) {
  File file;
  file.path_ = std::move(label);
  file.parse(bytes);
  return file;
}

const Value* File::find(std::string_view key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

const Value& File::at(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) fail(path_.string(), ": no metadata key '", key, "'");
  return *value;
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

std::string File::where(std::string_view key) const { return cat(path_.string(), ": metadata key '", key, "'"); }

void File::parse(std::span<const std::byte> bytes) {
  const std::string file = path_.string();
  Cursor in(bytes, file);
  if (bytes.size() < 4 || std::memcmp(bytes.data(), "GGUF", 4) != 0)
    fail(file, ": not a GGUF file (no \"GGUF\" magic)");
  in.read<std::uint32_t>("magic");
  version_ = in.read<std::uint32_t>("version");
  // Version 1 had 32-bit counts and lengths; 2 and 3 share this layout (3 allows big-endian files,
  // which show here as an absurd version number: 0x03000000).
  if (version_ == 0x02000000 || version_ == 0x03000000) fail(file, ": a big-endian GGUF file: not supported");
  if (version_ != 2 && version_ != 3) fail(file, ": GGUF version ", version_, " is not supported (2 and 3 are)");
  // The smallest tensor info: a name length, a dims count, a type and an offset; the smallest key/value:
  // a key length, a value type and one byte.
  const std::uint64_t tensor_count = in.read_count("tensor count", 8 + 4 + 4 + 8);
  const std::uint64_t kv_count = in.read_count("key/value count", 8 + 4 + 1);

  for (std::uint64_t i = 0; i < kv_count; ++i) {
    const std::string field = cat("key/value ", i);
    std::string key = in.read_string(field + " key");
    if (first_invalid_utf8(key)) fail(file, ": ", field, ": the key is not valid UTF-8");
    const std::string where_key = cat("metadata key '", key, "'");
    const auto type = in.read<std::uint32_t>(where_key + " value type");
    if (type > static_cast<std::uint32_t>(ValueType::Float64))
      fail(file, ": ", where_key, ": unknown value type ", type);
    Value value = read_value(in, static_cast<ValueType>(type), where_key, file, 0);
    if (metadata_.contains(key)) fail(file, ": ", where_key, " appears twice");
    metadata_.emplace(std::move(key), std::move(value));
  }

  if (const Value* alignment = find("general.alignment")) {
    // llama.cpp requires a UINT32 power of two.
    if (alignment->type != ValueType::UInt32)
      fail(where("general.alignment"), ": expected a UINT32, found ", found(*alignment));
    const auto a = std::get<std::uint64_t>(alignment->data);
    if (a == 0 || (a & (a - 1)) != 0) fail(where("general.alignment"), ": ", a, " is not a power of two");
    alignment_ = static_cast<std::uint32_t>(a);
  }

  struct Placed {
    TensorInfo info;
    std::uint64_t end;
  };
  std::vector<Placed> placed;
  placed.reserve(tensor_count);
  for (std::uint64_t i = 0; i < tensor_count; ++i) {
    TensorInfo info;
    info.name = in.read_string(cat("tensor info ", i, " name"));
    if (first_invalid_utf8(info.name)) fail(file, ": tensor info ", i, ": the name is not valid UTF-8");
    const std::string tensor = cat("tensor '", info.name, "'");
    const auto n_dims = in.read<std::uint32_t>(tensor + " dims count");
    if (n_dims > kMaxDims) fail(file, ": ", tensor, ": ", n_dims, " dims (at most ", kMaxDims, ")");
    std::uint64_t elements = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const auto dim = in.read<std::uint64_t>(tensor + " dims");
      if (dim > std::uint64_t(std::numeric_limits<std::int64_t>::max()) ||
          (dim != 0 && elements > std::uint64_t(std::numeric_limits<std::int64_t>::max()) / dim))
        fail(file, ": ", tensor, ": dims overflow 64-bit element counts (dim ", d, " = ", dim, ")");
      elements *= dim;
      info.dims.push_back(std::int64_t(dim));
    }
    const auto type_number = in.read<std::uint32_t>(tensor + " type");
    const TypeInfo* type = find_type(type_number);
    if (type == nullptr) fail(file, ": ", tensor, ": unknown tensor type ", type_number);
    info.type = type->type;
    if (!info.dims.empty() && info.dims[0] % type->block_elements != 0)
      fail(file, ": ", tensor, ": a row of ", info.dims[0], " values is not a whole number of ", type->name,
           " blocks (", type->block_elements, " values each)");
    if (info.dims.empty() && type->block_elements != 1)
      fail(file, ": ", tensor, ": a scalar cannot be of block type ", type->name);
    // elements / block_elements blocks of block_bytes: below 2^63 / 32 * 292, checked for overflow anyway.
    const std::uint64_t blocks = elements / std::uint64_t(type->block_elements);
    if (blocks > std::numeric_limits<std::uint64_t>::max() / std::uint64_t(type->block_bytes))
      fail(file, ": ", tensor, ": its size overflows 64-bit byte counts");
    info.nbytes = blocks * std::uint64_t(type->block_bytes);
    info.offset = in.read<std::uint64_t>(tensor + " offset");
    if (info.offset % alignment_ != 0)
      fail(file, ": ", tensor, ": offset ", info.offset, " is not a multiple of the alignment ", alignment_);
    if (by_name_.contains(info.name)) fail(file, ": ", tensor, " appears twice");
    by_name_.emplace(info.name, placed.size());
    placed.push_back({std::move(info), 0});
  }

  const std::uint64_t data_start = align_up(in.position(), alignment_);
  if (data_start > bytes.size())
    fail(file, ": truncated: the data section would start at offset ", data_start, ", past the end of the file (",
         bytes.size(), " bytes)");
  const std::uint64_t data_size = bytes.size() - data_start;
  for (Placed& p : placed) {
    if (p.info.offset > data_size || p.info.nbytes > data_size - p.info.offset)
      fail(file, ": tensor '", p.info.name, "': bytes [", p.info.offset, ", ", p.info.offset + p.info.nbytes,
           ") of the data section run past its end (", data_size, " bytes)");
    p.end = p.info.offset + p.info.nbytes;
    p.info.data = bytes.data() + data_start + p.info.offset;
  }

  // No two tensors may share bytes (empty tensors take none).
  std::vector<const Placed*> by_offset;
  for (const Placed& p : placed)
    if (p.info.nbytes > 0) by_offset.push_back(&p);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Placed* a, const Placed* b) { return a->info.offset < b->info.offset; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->info.offset < by_offset[i - 1]->end)
      fail(file, ": tensor '", by_offset[i]->info.name, "' (data bytes [", by_offset[i]->info.offset, ", ",
           by_offset[i]->end, ")) overlaps tensor '", by_offset[i - 1]->info.name, "' (which ends at ",
           by_offset[i - 1]->end, ")");
  }

  tensors_.reserve(placed.size());
  for (Placed& p : placed) tensors_.push_back(std::move(p.info));
}

}  // namespace soar::gguf
