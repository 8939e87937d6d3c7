#include "tokenizer/tokenizer_files.h"

namespace soar {

void copy_tokenizer_files(const std::filesystem::path& from_dir, const std::filesystem::path& to_dir) {
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
    if (std::filesystem::exists(from_dir / name)) {
      std::filesystem::copy_file(from_dir / name, to_dir / name, std::filesystem::copy_options::overwrite_existing);
    }
  }
}

}  // namespace soar
