// Reader and writer for the safetensors format (https://github.com/huggingface/safetensors), torch-free.
//
// Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the data section. The JSON
// maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data
// section) plus an optional "__metadata__" object of string values.
//
// Reading validates everything up front, at least as strictly as the Python `safetensors` library
// (0.8.0): the tensors, sorted by offset, must tile the data section exactly, with no gap, overlap or
// trailing byte. Stricter than that library: duplicate JSON keys (it keeps the last one), NUL bytes
// in the header, and nesting deeper than kMaxJsonDepth are errors. Like it, we accept a null
// "__metadata__" and ignore unknown fields in a tensor entry.
//
// Writing follows what that library and `transformers` produce, byte for byte where they are
// deterministic: tensors laid out by dtype (larger first, in the library's dtype order) then by name,
// the header padded with spaces to a multiple of 8, "__metadata__" first with {"format": "pt"}.
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
#include <vector>

namespace soar::safetensors {

enum class DType { BOOL, U8, I8, I16, U16, I32, U32, I64, U64, F16, BF16, F32, F64 };

inline constexpr DType kAllDTypes[] = {DType::BOOL, DType::U8,  DType::I8,   DType::I16, DType::U16,
                                       DType::I32,  DType::U32, DType::I64,  DType::U64, DType::F16,
                                       DType::BF16, DType::F32, DType::F64};

std::size_t dtype_size(DType);
std::string_view dtype_name(DType);  // "F32", "BF16", ... as in the format
std::optional<DType> parse_dtype(std::string_view);

inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the Python library's limit
inline constexpr int kMaxJsonDepth = 16;  // valid headers nest 3 deep; this only bounds the parser

struct TensorView {  // points into a memory-mapped file (or the caller's buffer, see File::from_memory)
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const std::byte* data;  // may be unaligned: copy out with memcpy
  std::size_t nbytes;
};

// One .safetensors file, memory-mapped read-only (core/mapped_file.h). Movable, not copyable. Views
// stay valid while the File (or a File it was moved into) lives.
class File {
 public:
  static File open(const std::filesystem::path&);  // validates everything up front

  // Parses a safetensors image held in memory; `label` stands for the file in error messages. The
  // views point into `bytes`, which the caller keeps alive. (Used by the fuzzer, where an exactly
  // sized buffer lets AddressSanitizer see any out-of-bounds read that a page-rounded mmap would hide.)
  static File from_memory(std::span<const std::byte> bytes, std::filesystem::path label);

  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::vector<TensorView>& tensors() const { return tensors_; }  // in file order (by offset)
  const TensorView* find(std::string_view name) const;                 // nullptr if absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }  // "__metadata__"

 private:
  File() = default;
  void parse(std::span<const std::byte> bytes);

  std::filesystem::path path_;
  MappedFile mapping_;  // maps nothing for from_memory
  std::vector<TensorView> tensors_;
  std::map<std::string, std::size_t, std::less<>> by_name_;
  std::map<std::string, std::string> metadata_;
};

// A model directory: model.safetensors, or model.safetensors.index.json and its shards.
class Checkpoint {
 public:
  // `dir_or_file` is a directory (model.safetensors is preferred over the index when both exist, as in
  // transformers), a .safetensors file, or a *.safetensors.index.json file. Throws soar::Error naming
  // the directory/file and the problem; every shard and the index must agree exactly.
  static Checkpoint open(const std::filesystem::path& dir_or_file);

  const std::filesystem::path& path() const { return path_; }
  std::vector<std::string> names() const;  // sorted
  const TensorView* find(std::string_view name) const;
  const TensorView& at(std::string_view name) const;  // throws "tensor X not found in <dir>"
  const std::vector<File>& files() const { return files_; }

 private:
  std::filesystem::path path_;
  std::vector<File> files_;
  std::map<std::string, const TensorView*, std::less<>> tensors_;
};

struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::span<const std::byte> data;  // exactly product(shape)*dtype_size bytes
};

// Writes one file atomically (temporary file, fsync, rename). "__metadata__" holds {"format": "pt"}
// plus `metadata` (which may override "format").
void write_file(const std::filesystem::path&, const std::vector<TensorToWrite>&,
                const std::map<std::string, std::string>& metadata = {});

// Writes model.safetensors, or, when the tensors' bytes exceed max_shard_bytes, shards split as
// huggingface_hub does (in the given order; a tensor larger than the limit gets a shard of its own)
// named model-0000i-of-0000N.safetensors, plus model.safetensors.index.json. Every file is written
// atomically, the index last; then weight files of an earlier checkpoint in `dir` that are no longer
// part of this one are removed (as transformers' save_pretrained does).
void write_checkpoint(const std::filesystem::path& dir, const std::vector<TensorToWrite>&,
                      std::size_t max_shard_bytes = 5'000'000'000);

}  // namespace soar::safetensors
