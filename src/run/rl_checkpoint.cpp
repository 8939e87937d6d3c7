#include "run/rl_checkpoint.h"

#include "model/training_checkpoint.h"
#include "tokenizer/tokenizer_files.h"

namespace soar {
namespace fs = std::filesystem;

void save_rl_checkpoint(const fs::path& dir, CausalLMImpl& policy, PolicyTrainer& trainer, int64_t next_step,
                        const fs::path& tokenizer_from) {
  save_training_checkpoint(
      dir, policy, [&](torch::serialize::OutputArchive& a) { trainer.save_state(a); }, next_step,
      [&](const fs::path& staging) {
        if (!tokenizer_from.empty()) copy_tokenizer_files(tokenizer_from, staging);
      });
}

std::optional<int64_t> load_rl_checkpoint(const fs::path& dir, CausalLMImpl& policy, PolicyTrainer& trainer) {
  return load_training_checkpoint(dir, policy, [&](torch::serialize::InputArchive& a) { trainer.load_state(a); });
}

}  // namespace soar
