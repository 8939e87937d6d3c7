// libFuzzer target for config.json (model/config.h): any bytes must either give a ModelConfig or be
// refused with soar::Error; any other exception, crash, sanitizer report (signed overflow in the
// size arithmetic included) or hang is a finding. An accepted config written back must read as the
// same config, and its parameter count must be computable.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "model/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  soar::ModelConfig config;
  try {
    config = soar::ModelConfig::from_json_text(text, "fuzz-input");
  } catch (const soar::Error&) {
    return 0;  // refused: the expected outcome for almost every mutation
  }
  if (config.parameter_count() <= 0) std::abort();
  std::string written = config.to_json_text();
  std::string rewritten = soar::ModelConfig::from_json_text(written, "rewritten").to_json_text();
  if (rewritten != written) std::abort();
  return 0;
}
