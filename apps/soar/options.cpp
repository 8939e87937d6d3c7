#include "options.h"

#include <cstring>
#include <iostream>

#include "core/device.h"
#include "core/error.h"

namespace soar::app {

void PolicyOptions::add(CLI::App& command) {
  command.add_option("--model", model_dir, "Model directory (config.json, safetensors, tokenizer.json)")->required();
  command.add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
  command.add_option("--dtype", dtype, "auto, float32 or bfloat16")->capture_default_str();
}

LoadOptions PolicyOptions::load_options() const {
  LoadOptions options;
  options.device = name_device(device);
  if (dtype == "float32") {
    options.dtype = at::kFloat;
  } else if (dtype == "bfloat16") {
    options.dtype = at::kBFloat16;
  } else if (dtype != "auto") {
    fail("--dtype must be auto, float32 or bfloat16, got '", dtype, "'");
  }
  return options;
}

Policy PolicyOptions::load() const {
  LoadOptions options = load_options();
  options.device = parse_device(device);  // and now the device must exist here
  make_current(options.device);
  return load_policy(model_dir, options);
}

void ProblemOptions::add(CLI::App& command, const std::string& flag) {
  command.add_option(flag, path, "JSONL problem file: {\"id\", \"problem\", \"answer\"} a line")->required();
  command.add_flag("--skip-bad-lines", skip_bad_lines, "Skip malformed lines (reported) instead of stopping");
}

std::vector<Problem> ProblemOptions::load() const {
  ProblemSet set = read_problems(path, skip_bad_lines ? BadLinePolicy::Skip : BadLinePolicy::Stop);
  for (const auto& warning : set.warnings) std::cerr << "soar: warning: " << warning << "\n";
  if (set.skipped_lines > 0) std::cerr << "soar: skipped " << set.skipped_lines << " malformed line(s) of " << path << "\n";
  return std::move(set.problems);
}

void PromptOptions::add(CLI::App& command) {
  command.add_option("--prompt-template", template_text, "Prompt text; {problem} is replaced by the problem")->capture_default_str();
  command.add_option("--chat", chat, "Chat format to wrap the prompt in: none, llama3, chatml")->capture_default_str();
  command.add_option("--system", system, "System message (with --chat)");
  command.add_option("--reward", reward, "Scoring: exact (final answer string), math (the math verifier) or math-shaped (the SOAR paper's "
                     "120/20/10/0 training reward; evaluation still counts math-verified answers)")->capture_default_str();
}

RewardFunction PromptOptions::reward_function() const { return reward_by_name(reward); }
RewardFunction PromptOptions::correctness_function() const { return correctness_by_name(reward); }

PromptFormat PromptOptions::format() const {
  PromptFormat format{template_text, parse_chat_format(chat), system};
  if (format.template_text.find("{problem}") == std::string::npos) fail("--prompt-template must contain {problem}");
  return format;
}

void SamplingOptions::add(CLI::App& command) {
  command.add_option("--temperature", temperature, "Sampling temperature (0 = greedy)")->capture_default_str();
  command.add_option("--top-p", top_p, "Nucleus sampling mass")->capture_default_str();
  command.add_option("--top-k", top_k, "Keep the k most likely tokens (0 = off)")->capture_default_str();
  command.add_option("--max-new-tokens", max_new_tokens, "Tokens to generate at most")->capture_default_str();
  command.add_option("--seed", seed, "Run seed")->capture_default_str();
  command.add_option("--stop", stop, "Stop string (repeatable)");
}

SamplingParams SamplingOptions::params(const Policy& policy) const {
  SamplingParams params;
  params.temperature = temperature;
  params.top_p = top_p;
  params.top_k = top_k;
  params.max_new_tokens = max_new_tokens;
  params.seed = seed;
  params.stop_strings = stop;
  params.eos_token_ids = policy.eos_token_ids();
  return params;
}

void JobOptions::add(CLI::App& command, const std::string& out_help) {
  policy.add(command);
  problems.add(command);
  prompt.add(command);
  sampling.add(command);
  command.add_option("--out", out, out_help)->required();
}

void prepare_output_dir(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) fail("cannot create output directory ", dir, ": ", error.message());
}

}  // namespace soar::app

namespace soar::app {

std::unique_ptr<dist::Group> join_run(PolicyOptions& policy) {
  dist::LaunchEnv env = dist::launch_env_from_environment();
  if (env.world_size == 1) return std::make_unique<dist::Group>();
  if (policy.device == "cuda") policy.device = cat("cuda:", env.local_rank);
  const c10::Device device = parse_device(policy.device);
  make_current(device);
  auto group = std::make_unique<dist::Group>(env, device, dist::collective_timeout_from_environment());
  if (group->is_root()) {
    std::cerr << "soar: distributed run of " << group->world_size() << " processes (rendezvous " << env.master_addr << ":"
              << env.master_port << ")\n";
  }
  return group;
}

void require_same_on_all_ranks(dist::Group& group, const std::string& what, const std::string& fingerprint) {
  std::vector<std::string> all = group.all_gather_bytes(fingerprint);
  std::string differing;
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] != all[0]) differing += cat(differing.empty() ? "" : ", ", r);
  }
  if (!differing.empty()) {
    fail(what, " differs between rank 0 and rank(s) ", differing,
         ": every host must see the same files (put the run directory on shared storage)");
  }
}

std::string parameter_fingerprint(CausalLMImpl& model) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a over every parameter's bytes, 8 at a time
  for (const at::Tensor& p : model.parameters()) {
    at::Tensor cpu = p.detach().to(at::kCPU).contiguous();
    const auto* bytes = static_cast<const uint8_t*>(cpu.data_ptr());
    const size_t size = static_cast<size_t>(cpu.numel()) * cpu.element_size();
    for (size_t i = 0; i < size; i += 8) {
      uint64_t word = 0;
      std::memcpy(&word, bytes + i, std::min<size_t>(8, size - i));
      hash = (hash ^ word) * 1099511628211ull;
    }
  }
  return std::to_string(hash);
}

void add_samples_per_problem_option(CLI::App& command, int64_t& samples, const std::string& help) {
  command.add_option("-n,--samples", samples, help)->capture_default_str()->check(CLI::PositiveNumber);
  std::string name = command.get_name();
  command
      .add_option_function<int64_t>(
          "-K",
          [&samples, name](int64_t value) {
            std::cerr << "soar " << name << ": warning: -K is deprecated here (in soar meta it is the paper's K, "
                      << "inner steps); use -n/--samples\n";
            samples = value;
          },
          "Deprecated spelling of --samples")
      ->group("")
      ->check(CLI::PositiveNumber);
}

}  // namespace soar::app
