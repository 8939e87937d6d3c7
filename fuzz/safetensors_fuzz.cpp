// libFuzzer target: File::from_memory on arbitrary bytes must either succeed, with every view inside
// the input, or throw soar::Error; any other exception, crash, sanitizer report or hang is a finding.
// from_memory (not open) so the input sits in an exactly sized heap buffer, where AddressSanitizer
// sees a read one byte past the end; an mmap rounds up to a page and would hide it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "core/error.h"
#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace st = soar::safetensors;
  auto bytes = std::as_bytes(std::span(data, size));
  try {
    st::File file = st::File::from_memory(bytes, "fuzz-input");
    for (const auto& view : file.tensors()) {
      // Touch the first and last byte of every tensor so ASan checks the bounds; then check them.
      if (view.nbytes > 0) {
        volatile std::byte first = view.data[0];
        volatile std::byte last = view.data[view.nbytes - 1];
        (void)first;
        (void)last;
      }
      auto begin = reinterpret_cast<std::uintptr_t>(view.data), base = reinterpret_cast<std::uintptr_t>(data);
      if (begin < base || begin + view.nbytes > base + size) std::abort();
      std::size_t elements = 1;
      for (int64_t d : view.shape) elements *= std::size_t(d);
      if (elements * st::dtype_size(view.dtype) != view.nbytes) std::abort();
      if (file.find(view.name) != &view) std::abort();
    }
    // Accepted files are fully covered: 8 + header + tensors == size.
    if (!file.tensors().empty() && file.tensors().back().data + file.tensors().back().nbytes !=
                                       reinterpret_cast<const std::byte*>(data) + size)
      std::abort();
  } catch (const soar::Error&) {
    // Rejected input: the expected outcome for almost every mutation.
  }
  return 0;
}
