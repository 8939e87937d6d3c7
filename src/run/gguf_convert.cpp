#include "run/gguf_convert.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "model/checkpoint.h"
#include "model/gguf_llama.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/tokenizer.h"

namespace soar {

void convert_gguf(const std::filesystem::path& gguf_file, const std::filesystem::path& out, at::ScalarType dtype) {
  const gguf::File file = gguf::File::open(gguf_file);
  // Everything is read and checked before the first file is written.
  const GgufTokenizerFiles tokenizer = tokenizer_files_from_gguf(file);
  CausalLM model = load_gguf_model(file, LoadOptions{.dtype = at::kFloat, .device = at::kCPU});
  std::filesystem::create_directories(out);
  write_text_atomically(out / "tokenizer.json", tokenizer.tokenizer_json);
  write_text_atomically(out / "tokenizer_config.json", tokenizer.tokenizer_config_json);
  // A tokenizer.json this layer cannot read back would only fail later, at the first `soar sample`.
  const Tokenizer check = Tokenizer::from_file(out / "tokenizer.json");
  if (check.vocab_size() > model->config().vocab_size)
    fail(gguf_file, ": the tokenizer has ", check.vocab_size(), " tokens, the model's vocabulary ",
         model->config().vocab_size);
  save_model(*model, out, SaveOptions{.dtype = dtype});
}

}  // namespace soar
