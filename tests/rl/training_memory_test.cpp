// What `soar train-rl` keeps on its device, and the refusal before its trainer allocates.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "rl/memory_plan.h"

namespace soar {
namespace {

ModelConfig llama_8b() {  // Llama-3.1-8B's shape: its training state does not fit an 80 GB GPU
  ModelConfig c;
  c.vocab_size = 128256, c.hidden_size = 4096, c.intermediate_size = 14336, c.num_hidden_layers = 32;
  c.num_attention_heads = 32, c.num_key_value_heads = 8, c.head_dim = 128, c.max_position_embeddings = 131072;
  return c;
}

TEST(TrainingMemoryPlan, BytesPerParameter) {
  const ModelConfig config = llama_8b();
  const int64_t p = config.parameter_count();
  EXPECT_EQ(trainer_state_bytes(p, at::kBFloat16, false), 4 * p);  // master weights from construction
  EXPECT_EQ(trainer_state_bytes(p, at::kBFloat16), 14 * p);         // + moments 8 + bf16 gradients 2
  EXPECT_EQ(trainer_state_bytes(p, at::kFloat), 12 * p);            // no master; moments 8 + gradients 4
  EXPECT_EQ(total_bytes(training_memory_plan(config, at::kBFloat16, false)), 16 * p);
  EXPECT_EQ(total_bytes(training_memory_plan(config, at::kBFloat16, true)), 18 * p);  // + the frozen reference
  EXPECT_EQ(total_bytes(training_memory_plan(config, at::kFloat, false)), 16 * p);
}

TEST(TrainingMemoryPlan, RefusedSayingWhatFits) {
  const ModelConfig config = llama_8b();
  const int64_t p = config.parameter_count();
  const auto plan = training_memory_plan(config, at::kBFloat16, true);
  EXPECT_NO_THROW(require_memory("training", plan, config, at::kBFloat16, at::kCPU, 16 * p));  // 2 of 18 loaded
  const int64_t h100 = int64_t(80) << 30;
  try {
    require_memory("training", plan, config, at::kBFloat16, at::kCPU, h100);
    FAIL() << "expected 8B with a reference not to fit 80 GiB";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& fragment : {std::string("training of this ") + std::to_string(p), std::string("bfloat16"),
                                        std::string("the frozen reference"), std::string("80.0 GiB is free"),
                                        "at most " + std::to_string((h100 + 2 * p) / 18) + " parameters fits"}) {
      EXPECT_NE(message.find(fragment), std::string::npos) << fragment << "\nmessage: " << message;
    }
  }
}

}  // namespace
}  // namespace soar
