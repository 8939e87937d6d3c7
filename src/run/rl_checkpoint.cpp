#include "run/rl_checkpoint.h"

#include <torch/serialize.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/exception_text.h"
#include "model/checkpoint.h"
#include "run/policy_dir.h"

namespace soar {
namespace fs = std::filesystem;

namespace {

using SaveOptimizer = std::function<void(torch::serialize::OutputArchive&)>;
using LoadOptimizer = std::function<void(torch::serialize::InputArchive&)>;

void save_checkpoint(const fs::path& dir, CausalLMImpl& policy, const SaveOptimizer& save_optimizer, int64_t next_step,
                     const fs::path& tokenizer_from) {
  replace_directory_atomically(dir, [&](const fs::path& staging) {
    save_model(policy, staging);
    if (!tokenizer_from.empty()) copy_tokenizer_files(tokenizer_from, staging);
    write_file_atomically(staging / "optimizer.pt", [&](std::ostream& out) {
      torch::serialize::OutputArchive archive;
      save_optimizer(archive);
      archive.save_to(out);
    });
    write_text_atomically(staging / "state.json", nlohmann::json{{"next_step", next_step}}.dump() + "\n");
  });
}

std::optional<int64_t> load_checkpoint(const fs::path& dir, CausalLMImpl& policy, const LoadOptimizer& load_optimizer) {
  std::optional<fs::path> found = complete_directory(dir, "state.json");
  if (!found) return std::nullopt;
  const fs::path source = *found;
  nlohmann::json state;
  try {
    std::ifstream in(source / "state.json");
    state = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    fail("RL checkpoint ", source / "state.json", " is corrupt: ", exception_text(e));
  }
  if (!state.contains("next_step") || !state["next_step"].is_number_integer()) {
    fail("RL checkpoint ", source / "state.json", ": missing integer field 'next_step'");
  }
  CausalLM saved = load_model(source, {.dtype = policy.dtype(), .device = policy.device()});
  policy.copy_parameters_from(*saved);
  std::ifstream optimizer_file(source / "optimizer.pt", std::ios::binary);
  if (!optimizer_file) fail("RL checkpoint ", source, " has no optimizer.pt");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(optimizer_file);
    load_optimizer(archive);
  } catch (const std::exception& e) {
    fail("RL checkpoint ", source / "optimizer.pt", " cannot be read: ", exception_text(e));
  }
  return state["next_step"].get<int64_t>();
}

}  // namespace

void save_rl_checkpoint(const fs::path& dir, CausalLMImpl& policy, torch::optim::AdamW& optimizer, int64_t next_step,
                        const fs::path& tokenizer_from) {
  save_checkpoint(dir, policy, [&](torch::serialize::OutputArchive& a) { optimizer.save(a); }, next_step, tokenizer_from);
}

void save_rl_checkpoint(const fs::path& dir, CausalLMImpl& policy, PolicyTrainer& trainer, int64_t next_step,
                        const fs::path& tokenizer_from) {
  save_checkpoint(dir, policy, [&](torch::serialize::OutputArchive& a) { trainer.save_state(a); }, next_step, tokenizer_from);
}

std::optional<int64_t> load_rl_checkpoint(const fs::path& dir, CausalLMImpl& policy, torch::optim::AdamW& optimizer) {
  return load_checkpoint(dir, policy, [&](torch::serialize::InputArchive& a) { optimizer.load(a); });
}

std::optional<int64_t> load_rl_checkpoint(const fs::path& dir, CausalLMImpl& policy, PolicyTrainer& trainer) {
  return load_checkpoint(dir, policy, [&](torch::serialize::InputArchive& a) { trainer.load_state(a); });
}

}  // namespace soar
