// libFuzzer target: gguf::File::from_memory on arbitrary bytes must either succeed, with every tensor
// inside the input, of the size its type and dims give, aligned and overlapping no other, or throw
// soar::Error; the same for dequantising small tensors and for turning the metadata into tokenizer
// files. Any other exception, crash, sanitizer report or hang is a finding. from_memory, not open:
// an exactly sized heap buffer lets AddressSanitizer see a read one byte past the end.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "core/error.h"
#include "model/gguf.h"
#include "model/gguf_dequantize.h"
#include "tokenizer/gguf_vocab.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace gguf = soar::gguf;
  try {
    const gguf::File file = gguf::File::from_memory(std::as_bytes(std::span(data, size)), "fuzz-input");
    const auto base = reinterpret_cast<std::uintptr_t>(data);
    std::vector<std::pair<std::uintptr_t, std::uintptr_t>> spans;
    for (const gguf::TensorInfo& tensor : file.tensors()) {
      const auto begin = reinterpret_cast<std::uintptr_t>(tensor.data);
      if (begin < base || tensor.nbytes > size || begin - base > size - tensor.nbytes) std::abort();
      if (tensor.offset % file.alignment() != 0) std::abort();
      const std::int64_t blocks = tensor.elements() / gguf::block_elements(tensor.type);
      if (std::uint64_t(blocks) * std::uint64_t(gguf::block_bytes(tensor.type)) != tensor.nbytes) std::abort();
      if (file.find_tensor(tensor.name) != &tensor) std::abort();
      if (tensor.nbytes > 0) spans.emplace_back(begin, begin + tensor.nbytes);
      // Bounded: a tensor this small fits the input many times over.
      if (gguf::can_dequantize(tensor.type) && tensor.elements() <= (1 << 16)) {
        std::vector<float> values(static_cast<std::size_t>(tensor.elements()));
        gguf::dequantize(tensor, values, "fuzz-input");
      }
    }
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i)
      if (spans[i].first < spans[i - 1].second) std::abort();
    soar::tokenizer_files_from_gguf(file);
  } catch (const soar::Error&) {
    // Rejected input: the expected outcome for almost every mutation.
  }
  return 0;
}
