// Reader for GGUF files, llama.cpp's model format (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md),
// versions 2 and 3 (little-endian), torch-free.
//
// Layout: "GGUF", u32 version, u64 tensor count, u64 key/value count; the key/values (a string key,
// a u32 value type, the value; arrays hold a u32 element type, a u64 count and the elements); the
// tensor infos (name, u32 dims count, u64 dims with the fastest-varying first, u32 tensor type,
// u64 offset into the data section); then, at the next multiple of `general.alignment` (default
// 32), the data section. Strings are a u64 length and that many bytes.
//
// Everything is checked up front, before anything is allocated from a size the file states: a
// count or length must fit in the bytes that remain, dims must not overflow, every tensor must be
// aligned, inside the data section and overlap no other. Errors are soar::Error naming the file and
// the field. Tensor data is read in place (memory-mapped); gguf_dequantize.h turns it into floats.
#pragma once

#include "core/mapped_file.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace soar::gguf {

enum class ValueType : std::uint32_t {
  UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
  String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
};
std::string_view value_type_name(ValueType);  // "UINT32", ... as gguf-py names them

// ggml's tensor types, by their numbers in the file. The reader knows every type's block layout
// (to lay out and check the data section); gguf_dequantize.h converts a few of them.
enum class TensorType : std::uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9, Q2_K = 10, Q3_K = 11,
  Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15, IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19,
  IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28,
  IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};
std::string_view tensor_type_name(TensorType);  // "Q4_1", ...
std::int64_t block_elements(TensorType);       // values per block (1 for plain types)
std::int64_t block_bytes(TensorType);          // bytes per block

inline constexpr int kMaxDims = 4;          // ggml's GGML_MAX_DIMS
inline constexpr int kMaxArrayDepth = 8;    // arrays of arrays: the format allows them, nothing uses them
inline constexpr std::uint32_t kDefaultAlignment = 32;

struct Value {
  ValueType type = ValueType::UInt8;
  ValueType element_type = ValueType::UInt8;  // arrays only
  // Unsigned integers widen to uint64_t, signed to int64_t, floats to double.
  std::variant<std::uint64_t, std::int64_t, double, bool, std::string, std::vector<Value>> data;

  // Each throws soar::Error saying `where` (file and key) and what was found instead.
  std::int64_t as_integer(std::string_view where) const;  // any integer type that fits int64
  double as_number(std::string_view where) const;         // any integer or float type
  bool as_bool(std::string_view where) const;
  const std::string& as_string(std::string_view where) const;
  const std::vector<Value>& as_array(std::string_view where) const;
};

struct TensorInfo {
  std::string name;
  TensorType type;
  std::vector<std::int64_t> dims;  // as stored: dims[0] varies fastest (the reverse of PyTorch's shape)
  std::uint64_t offset;            // from the start of the data section
  const std::byte* data;           // may be unaligned for the type: copy out with memcpy
  std::size_t nbytes;

  std::vector<std::int64_t> shape() const;  // PyTorch order: dims reversed
  std::int64_t elements() const;
};

// One .gguf file, memory-mapped read-only (core/mapped_file.h). Movable, not copyable.
class File {
 public:
  static File open(const std::filesystem::path&);  // validates everything up front
  // Parses a GGUF image held in memory (the fuzzer's entry); the tensors point into `bytes`.
  static File from_memory(std::span<const std::byte> bytes, std::filesystem::path label);

  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::uint32_t version() const { return version_; }
  std::uint32_t alignment() const { return alignment_; }
  const std::map<std::string, Value, std::less<>>& metadata() const { return metadata_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // in file order

  const Value* find(std::string_view key) const;          // nullptr if absent
  const Value& at(std::string_view key) const;            // throws "<file>: no metadata key 'k'"
  const TensorInfo* find_tensor(std::string_view name) const;
  std::string where(std::string_view key) const;          // "<file>: metadata key 'k'", for errors

 private:
  File() = default;
  void parse(std::span<const std::byte> bytes);

  std::filesystem::path path_;
  MappedFile mapping_;  // maps nothing for from_memory
  std::uint32_t version_ = 0;
  std::uint32_t alignment_ = kDefaultAlignment;
  std::map<std::string, Value, std::less<>> metadata_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::size_t, std::less<>> by_name_;
};

}  // namespace soar::gguf
