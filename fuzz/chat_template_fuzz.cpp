// libFuzzer target for a model directory's chat template (tokenizer/tokenizer_files.h reads it,
// tokenizer/chat_template.h recognises it). The first input byte picks the file the rest is: bit 0
// clear, tokenizer_config.json; set, chat_template.jinja (beside a config naming Llama 3's BOS).
// Reading and recognising must give a format or a soar::Error; a recognised template must render a
// conversation; the canonical form, where it ends without a newline (the one Jinja drops), must be
// its own canonical form. Any other exception, crash, sanitizer report or hang is a finding.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/error.h"
#include "scratch_dir.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer_files.h"

namespace {

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::filesystem::path& dir = fuzz_scratch_dir("chat_template_fuzz");
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool jinja = data[0] & 1;
  write(dir / "tokenizer_config.json", jinja ? R"({"bos_token": "<|begin_of_text|>"})" : text);
  std::filesystem::remove(dir / "chat_template.jinja");
  if (jinja) write(dir / "chat_template.jinja", text);

  std::optional<soar::ChatTemplate> found;
  try {
    found = soar::read_chat_template(dir);
  } catch (const soar::Error&) {
    return 0;
  }
  if (!found) return 0;
  if (const std::optional<std::string> canonical = soar::canonical_chat_template(found->text)) {
    if (!canonical->ends_with('\n') && soar::canonical_chat_template(*canonical) != canonical) std::abort();
  }
  try {
    const soar::ChatFormat format = soar::recognise_chat_template(*found);
    if (soar::format_chat(format, {{"system", "s"}, {"user", "u"}}, true).empty()) std::abort();
  } catch (const soar::Error&) {
  }
  return 0;
}
