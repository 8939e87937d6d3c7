#include "model/training_checkpoint.h"

#include <torch/serialize.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/exception_text.h"
#include "model/checkpoint.h"

namespace soar {
namespace fs = std::filesystem;

void save_training_checkpoint(const fs::path& dir, CausalLMImpl& model, const SaveOptimizerState& save_optimizer,
                              int64_t next_step, const std::function<void(const fs::path&)>& add_files) {
  replace_directory_atomically(dir, [&](const fs::path& staging) {
    save_model(model, staging);
    if (add_files) add_files(staging);
    write_file_atomically(staging / "optimizer.pt", [&](std::ostream& out) {
      torch::serialize::OutputArchive archive;
      save_optimizer(archive);
      archive.save_to(out);
    });
    write_text_atomically(staging / "state.json", nlohmann::json{{"next_step", next_step}}.dump() + "\n");
  });
}

std::optional<int64_t> load_training_checkpoint(const fs::path& dir, CausalLMImpl& model,
                                                const LoadOptimizerState& load_optimizer) {
  std::optional<fs::path> found = complete_directory(dir, "state.json");
  if (!found) return std::nullopt;
  const fs::path source = *found;
  nlohmann::json state;
  try {
    std::ifstream in(source / "state.json");
    state = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    fail("checkpoint ", source / "state.json", " is corrupt: ", exception_text(e));
  }
  if (!state.contains("next_step") || !state["next_step"].is_number_integer()) {
    fail("checkpoint ", source / "state.json", ": missing integer field 'next_step'");
  }
  CausalLM saved = load_model(source, {.dtype = model.dtype(), .device = model.device()});
  model.copy_parameters_from(*saved);
  std::ifstream optimizer_file(source / "optimizer.pt", std::ios::binary);
  if (!optimizer_file) fail("checkpoint ", source, " has no optimizer.pt");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(optimizer_file);
    load_optimizer(archive);
  } catch (const std::exception& e) {
    fail("checkpoint ", source / "optimizer.pt", " cannot be read: ", exception_text(e));
  }
  return state["next_step"].get<int64_t>();
}

}  // namespace soar
