// Prints, as a JSON list, the token ids of soar's prompt for one problem on a model directory with
// --chat auto (the model's own chat template) and an optional system message: the prompt
// chat_template_cli_test.sh compares with transformers' apply_chat_template.
// Usage: chat_prompt_ids MODEL_DIR PROBLEM [SYSTEM]
#include <iostream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "run/policy_dir.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: chat_prompt_ids MODEL_DIR PROBLEM [SYSTEM]\n";
    return 2;
  }
  try {
    const soar::Policy policy = soar::load_policy(argv[1], soar::LoadOptions{});
    const soar::PromptFormat format{"{problem}", soar::resolve_chat_format("auto", policy.dir),
                                    argc > 3 ? argv[3] : ""};
    std::cout << nlohmann::json(policy.prompt_encoder(format)({"p", argv[2]})).dump() << "\n";
  } catch (const soar::Error& e) {
    std::cerr << "chat_prompt_ids: " << e.what() << "\n";
    return 1;
  }
}
