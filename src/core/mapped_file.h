// A whole regular file mapped read-only into memory (the model file readers: safetensors, GGUF).
// Movable, not copyable; unmapped when its owner goes. If another process truncates the file while
// it is mapped, touching the lost pages raises SIGBUS: mmap gives no way to avoid that.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

namespace soar {

class MappedFile {
 public:
  MappedFile() = default;  // maps nothing: bytes() is empty
  // Throws soar::Error "<path>: cannot open / stat / mmap: ..." or "<path>: not a regular file". An
  // empty file maps to no bytes (mmap refuses length 0): the reader reports it.
  static MappedFile open(const std::filesystem::path& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {static_cast<const std::byte*>(data_), size_}; }

 private:
  void release();
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace soar
