// The sampler against the model's full-sequence forward (greedy), against the trainer's
// log-probabilities, and on its contract: determinism, EOS, stop strings, limits.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "model/checkpoint.h"
#include "rl/logprobs.h"
#include "sampling/sampler.h"

#include <ATen/CPUGeneratorImpl.h>

namespace soar {
namespace {

std::filesystem::path reference_model(const std::string& family) {
  return std::filesystem::path(SOAR_REFERENCE_DIR) / "model_reference" / family / "model";
}

const std::vector<std::vector<int32_t>> kPrompts = {{5, 17, 42, 7, 99, 3, 250}, {11, 12}, {300, 1, 2, 3, 4}};

// Greedy continuation computed the slow way: a full forward over the whole sequence per token.
std::vector<int32_t> argmax_by_full_forward(CausalLMImpl& model, std::vector<int32_t> sequence, int64_t steps,
                                            const std::vector<int32_t>& eos = {}) {
  at::NoGradGuard no_grad;
  std::vector<int32_t> generated;
  for (int64_t i = 0; i < steps; ++i) {
    at::Tensor ids = at::tensor(std::vector<int64_t>(sequence.begin(), sequence.end()), at::kLong).unsqueeze(0);
    int32_t next = static_cast<int32_t>(model.forward(ids).select(1, -1).argmax(-1).item<int64_t>());
    generated.push_back(next);
    sequence.push_back(next);
    if (std::find(eos.begin(), eos.end(), next) != eos.end()) break;
  }
  return generated;
}

class SamplerFamilies : public ::testing::TestWithParam<std::string> {};

TEST_P(SamplerFamilies, GreedyWithKVCacheEqualsArgmaxOfFullForward) {
  CausalLM model = load_model(reference_model(GetParam()));
  Sampler sampler(*model);
  SamplingParams params{.temperature = 0, .max_new_tokens = 24};
  auto completions = sampler.generate(kPrompts, params);
  ASSERT_EQ(completions.size(), kPrompts.size());
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(completions[i].tokens, argmax_by_full_forward(*model, kPrompts[i], 24)) << "prompt " << i;
    EXPECT_EQ(completions[i].finish, FinishReason::Length);
  }
}

TEST_P(SamplerFamilies, SamplerLogprobsEqualTrainerLogprobs) {
  CausalLM model = load_model(reference_model(GetParam()));
  Sampler sampler(*model);
  SamplingParams params{.temperature = 0.7, .top_p = 0.9, .top_k = 50, .max_new_tokens = 16, .seed = 7};
  auto completions = sampler.generate(kPrompts, params);
  std::vector<Rollout> rollouts;
  for (size_t i = 0; i < kPrompts.size(); ++i) rollouts.push_back({kPrompts[i], completions[i].tokens, completions[i].logprobs, 0, 0});
  std::vector<const Rollout*> pointers;
  for (auto& r : rollouts) pointers.push_back(&r);
  PackedRollouts packed = pack_rollouts(pointers, at::kCPU);
  at::NoGradGuard no_grad;
  at::Tensor recomputed = completion_logprobs(*model, packed, params.temperature);
  for (size_t i = 0; i < rollouts.size(); ++i) {
    for (size_t j = 0; j < rollouts[i].completion.size(); ++j) {
      float trainer = recomputed[i][static_cast<int64_t>(kPrompts[i].size() - 1 + j)].item<float>();
      EXPECT_NEAR(completions[i].logprobs[j], trainer, 1e-5) << "prompt " << i << " token " << j;
    }
  }
}

TEST_P(SamplerFamilies, StaticDecodeWithDelayedSyncEqualsArgmaxOfFullForward) {
  // The GPU decoding mode (static shapes over the whole cache, device-side slot, the host reading
  // tokens every few steps), run here on the CPU.
  CausalLM model = load_model(reference_model(GetParam()));
  // A bucket of 4 slots: attention covers the filled part rounded up, growing as decoding goes on.
  Sampler sampler(*model, {}, {.static_decode = true, .sync_interval = 5, .attend_bucket = 4});
  auto completions = sampler.generate(kPrompts, {.temperature = 0, .max_new_tokens = 23});
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(completions[i].tokens, argmax_by_full_forward(*model, kPrompts[i], 23)) << "prompt " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, SamplerFamilies, ::testing::Values("llama3", "qwen2", "qwen3"));

TEST(Sampler, EosEndsARowAndCompactionKeepsOthersExact) {
  CausalLM model = load_model(reference_model("llama3"));
  Sampler sampler(*model);
  // Use the first greedy token of prompt 1 as EOS: that row ends at once, the others continue
  // in a compacted batch and must still equal their single-sequence greedy continuation.
  int32_t eos = argmax_by_full_forward(*model, kPrompts[1], 1)[0];
  SamplingParams params{.temperature = 0, .max_new_tokens = 20, .eos_token_ids = {eos}};
  auto completions = sampler.generate(kPrompts, params);
  EXPECT_EQ(completions[1].tokens, std::vector<int32_t>{eos});
  EXPECT_EQ(completions[1].finish, FinishReason::Eos);
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(completions[i].tokens, argmax_by_full_forward(*model, kPrompts[i], 20, {eos})) << "prompt " << i;
  }
}

TEST(Sampler, StaticDecodeCompactionAndEosMatchDynamicDecode) {
  CausalLM model = load_model(reference_model("qwen3"));
  int32_t eos = argmax_by_full_forward(*model, kPrompts[1], 1)[0];
  // Greedy: with sampling, the two modes compact the batch at different steps, which changes how
  // the random stream is consumed.
  SamplingParams params{.temperature = 0, .max_new_tokens = 30, .eos_token_ids = {eos}};
  auto dynamic = Sampler(*model).generate(kPrompts, params);
  // One sampler for three calls: the second reuses the cache the first compacted rows out of (the
  // kept cache must be intact), the third has another shape (a new cache).
  Sampler static_sampler(*model, {}, {.static_decode = true, .sync_interval = 4, .profile = true});
  for (int call = 0; call < 3; ++call) {
    auto prompts = call == 2 ? std::vector<std::vector<int32_t>>(kPrompts.begin(), kPrompts.begin() + 2) : kPrompts;
    auto fixed = static_sampler.generate(prompts, params);
    for (size_t i = 0; i < prompts.size(); ++i) {
      EXPECT_EQ(dynamic[i].tokens, fixed[i].tokens) << "prompt " << i << ", call " << call;
      EXPECT_EQ(dynamic[i].finish, fixed[i].finish) << "prompt " << i << ", call " << call;
      ASSERT_EQ(dynamic[i].logprobs.size(), fixed[i].logprobs.size());
      for (size_t j = 0; j < dynamic[i].logprobs.size(); ++j) EXPECT_NEAR(dynamic[i].logprobs[j], fixed[i].logprobs[j], 1e-5);
    }
    EXPECT_EQ(fixed[1].finish, FinishReason::Eos);
    // The profile covers the call: one sampled token per step, stage times within the total.
    const GenerateProfile& profile = static_sampler.last_profile();
    EXPECT_EQ(profile.steps, 30) << "call " << call;  // the longest row runs to max_new_tokens
    EXPECT_GT(profile.prefill_s, 0.0);
    EXPECT_GT(profile.decode_s, 0.0);
    EXPECT_GT(profile.sample_s, 0.0);
    EXPECT_LE(profile.prefill_s + profile.decode_s + profile.sample_s, profile.total_s);
    EXPECT_EQ(profile.graph_captures, 0);  // none on the CPU
  }
}

TEST(Sampler, SameSeedSameTokensOtherSeedOtherTokens) {
  CausalLM model = load_model(reference_model("qwen2"));
  Sampler sampler(*model);
  SamplingParams params{.temperature = 1.0, .max_new_tokens = 32, .seed = 123};
  auto a = sampler.generate(kPrompts, params);
  auto b = sampler.generate(kPrompts, params);
  params.seed = 124;
  auto c = sampler.generate(kPrompts, params);
  bool any_different = false;
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(a[i].tokens, b[i].tokens);
    EXPECT_EQ(a[i].logprobs, b[i].logprobs);
    any_different = any_different || a[i].tokens != c[i].tokens;
  }
  EXPECT_TRUE(any_different);
}

TEST(Sampler, TopKOneIsGreedy) {
  CausalLM model = load_model(reference_model("qwen3"));
  Sampler sampler(*model);
  auto greedy = sampler.generate(kPrompts, {.temperature = 0, .max_new_tokens = 12});
  auto top1 = sampler.generate(kPrompts, {.temperature = 1.3, .top_k = 1, .max_new_tokens = 12, .seed = 5});
  for (size_t i = 0; i < kPrompts.size(); ++i) EXPECT_EQ(greedy[i].tokens, top1[i].tokens);
}

TEST(Sampler, SamplingFollowsTheDistribution) {
  // 4,000 draws from a fixed 3-token distribution: frequencies within 4 standard errors.
  at::Tensor logits = at::log(at::tensor({0.6f, 0.3f, 0.1f})).unsqueeze(0).expand({4000, 3}).contiguous();
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(99);
  auto [tokens, logprobs] = sample_tokens(logits, {.temperature = 1.0}, generator);
  at::Tensor counts = at::bincount(tokens, {}, 3).to(at::kDouble) / 4000.0;
  const double expected[] = {0.6, 0.3, 0.1};
  for (int i = 0; i < 3; ++i) {
    double se = std::sqrt(expected[i] * (1 - expected[i]) / 4000.0);
    EXPECT_NEAR(counts[i].item<double>(), expected[i], 4 * se) << "token " << i;
  }
  // Top-p 0.5 keeps only the most likely token.
  auto [nucleus, unused] = sample_tokens(logits, {.temperature = 1.0, .top_p = 0.5}, generator);
  EXPECT_TRUE(at::all(nucleus == 0).item<bool>());
}

TEST(Sampler, StopStringsCutTheText) {
  CausalLM model = load_model(reference_model("llama3"));
  // A toy detokenizer: token t becomes the letter 'a' + t % 26.
  Sampler sampler(*model, [](std::span<const int32_t> tokens) {
    std::string text;
    for (int32_t t : tokens) text.push_back(static_cast<char>('a' + t % 26));
    return text;
  });
  auto free_run = sampler.generate({kPrompts[0]}, {.temperature = 0, .max_new_tokens = 16});
  std::string stop = free_run[0].text.substr(5, 2);
  auto stopped = sampler.generate({kPrompts[0]}, {.temperature = 0, .max_new_tokens = 16, .stop_strings = {stop}});
  EXPECT_EQ(stopped[0].finish, FinishReason::Stop);
  size_t first = free_run[0].text.find(stop);
  EXPECT_EQ(stopped[0].text, free_run[0].text.substr(0, first));
  EXPECT_EQ(stopped[0].tokens.size(), first + stop.size());
}

void expect_error(const std::function<void()>& action, const std::string& fragment) {
  try {
    action();
    FAIL() << "expected an error containing '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Sampler, ImpossibleRequestsFailBeforeAllocating) {
  CausalLM model = load_model(reference_model("llama3"));  // context 512
  Sampler sampler(*model);
  expect_error([&] { sampler.generate({std::vector<int32_t>(500, 5)}, {.max_new_tokens = 20}); }, "exceeds the model's context of 512");
  expect_error([&] { sampler.generate({{}}, {.max_new_tokens = 4}); }, "prompt 0 is empty");
  expect_error([&] { sampler.generate({{1, 100000}}, {.max_new_tokens = 4}); }, "outside the vocabulary");
  // 20 million sequences of 202 tokens cannot fit in memory: the error says how many would.
  expect_error([&] { sampler.check_fits(20'000'000, 202); }, "sequences of this length fit");
  EXPECT_NO_THROW(sampler.check_fits(4, 202));
}

}  // namespace
}  // namespace soar
