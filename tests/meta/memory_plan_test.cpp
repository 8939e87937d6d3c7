// The memory a SOAR run keeps for its whole length, and the refusal before it allocates more.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "meta/memory_plan.h"

namespace soar::meta {
namespace {

// Llama-3.2-3B's shape (the paper's model).
ModelConfig llama_3b() {
  ModelConfig c;
  c.vocab_size = 128256, c.hidden_size = 3072, c.intermediate_size = 8192, c.num_hidden_layers = 28;
  c.num_attention_heads = 24, c.num_key_value_heads = 8, c.head_dim = 128, c.max_position_embeddings = 131072;
  c.tie_word_embeddings = true;
  return c;
}

TEST(MetaMemoryPlan, BytesPerParameter) {
  const ModelConfig config = llama_3b();
  const int64_t p = config.parameter_count();
  // bf16: 4 models x 2 (teacher, baseline, work copy, the initial model the KL penalty anchors to)
  // + teacher (master 4 + moments 8 + gradients 2) + inner loop (the same 14).
  EXPECT_EQ(total_bytes(meta_memory_plan(config, at::kBFloat16, true, true)), 36 * p);
  EXPECT_EQ(total_bytes(meta_memory_plan(config, at::kBFloat16, true, false)), 34 * p);  // no KL: no initial model
  EXPECT_EQ(total_bytes(meta_memory_plan(config, at::kBFloat16, false, true)), (8 + 4 + 14) * p);  // untrained: master only
  // float32: no master copy; 4 models x 4 + 2 x (moments 8 + gradients 4).
  EXPECT_EQ(total_bytes(meta_memory_plan(config, at::kFloat, true, true)), 40 * p);
  EXPECT_GT(36 * p, int64_t(115e9));  // the paper's setting does not fit an 80 GB GPU
}

TEST(MetaMemoryPlan, RefusedBeforeAllocatingSayingWhatFits) {
  const ModelConfig config = llama_3b();
  const int64_t p = config.parameter_count();
  // One bf16 copy (2 bytes a parameter) is already loaded: 34 more are needed.
  const std::vector<MemoryPart> plan = meta_memory_plan(config, at::kBFloat16, true, true);
  EXPECT_NO_THROW(require_memory("a SOAR run", plan, config, at::kBFloat16, at::kCPU, 34 * p));
  try {
    require_memory("a SOAR run", plan, config, at::kBFloat16, at::kCPU, 34 * p - 1);
    FAIL() << "expected the run not to fit";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& fragment : {std::string("bfloat16"), std::string("4 copies of the model"),
                                       std::string("an inner loop's trainer state"), std::string("cpu"),
                                       "at most " + std::to_string((34 * p - 1 + 2 * p) / 36) + " parameters fits"}) {
      EXPECT_NE(message.find(fragment), std::string::npos) << fragment << "\nmessage: " << message;
    }
  }
}

}  // namespace
}  // namespace soar::meta
