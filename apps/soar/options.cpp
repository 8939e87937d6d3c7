#include "options.h"

#include <cmath>
#include <cstring>
#include <iostream>
#include <limits>
#include <sstream>

#include "core/device.h"
#include "core/error.h"

namespace soar::app {
namespace {

std::string bound_text(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

CLI::Validator bounded(double low, bool low_open, double high, const std::string& description) {
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(input, value)) return "'" + input + "' is not a number";
        if (!std::isfinite(value)) return "'" + input + "' is not a finite number";
        if (low_open ? !(value > low) : !(value >= low)) return cat("must be ", low_open ? "above " : "at least ", bound_text(low), ", got ", input);
        if (!(value <= high)) return cat("must be at most ", bound_text(high), ", got ", input);
        return {};
      },
      description);
}

}  // namespace

CLI::Validator at_least(double low) { return bounded(low, false, std::numeric_limits<double>::max(), cat(">= ", bound_text(low))); }
CLI::Validator above(double low) { return bounded(low, true, std::numeric_limits<double>::max(), cat("> ", bound_text(low))); }
CLI::Validator any_finite() {
  return bounded(std::numeric_limits<double>::lowest(), false, std::numeric_limits<double>::max(), "finite");
}
CLI::Validator above_up_to(double low, double high) {
  return bounded(low, true, high, cat("in (", bound_text(low), ", ", bound_text(high), "]"));
}
CLI::Validator between(double low, double high) {
  return bounded(low, false, high, cat("in [", bound_text(low), ", ", bound_text(high), "]"));
}

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

std::vector<Problem> ProblemOptions::fitting(std::vector<Problem> problems, const Policy& policy, const PromptFormat& format,
                                             int64_t max_new_tokens) const {
  const int64_t context = policy.model->config().max_position_embeddings;
  const PromptEncoder encode = policy.prompt_encoder(format);
  std::vector<Problem> kept;
  std::string skipped;
  int64_t skipped_count = 0;
  for (Problem& problem : problems) {
    const int64_t length = static_cast<int64_t>(encode(problem).size());
    if (length + max_new_tokens <= context) {
      kept.push_back(std::move(problem));
      continue;
    }
    if (!skip_bad_lines) {
      fail(path, ": problem '", problem.id, "': prompt of ", length, " tokens + ", max_new_tokens,
           " new tokens exceeds the model's context of ", context, " tokens (--skip-bad-lines skips such problems)");
    }
    if (++skipped_count <= 5) skipped += cat(skipped.empty() ? "" : ", ", "'", problem.id, "'");
  }
  if (skipped_count > 0) {
    std::cerr << "soar: skipped " << skipped_count << " problem(s) of " << path << " whose prompt + " << max_new_tokens
              << " new tokens exceeds the model's context of " << context << " tokens: " << skipped
              << (skipped_count > 5 ? ", ..." : "") << "\n";
  }
  if (kept.empty()) fail(path, ": no problem fits the model's context of ", context, " tokens");
  return kept;
}

void PromptOptions::add(CLI::App& command) {
  command.add_option("--prompt-template", template_text, "Prompt text; {problem} is replaced by the problem")->capture_default_str();
  command
      .add_option("--chat", chat,
                  cat("Chat format to wrap the prompt in: auto (the model's own chat template, none when it "
                      "has none; an unrecognised one is refused), none, or ",
                      chat_format_names()))
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& name) -> std::string {
            if (name == "auto" || name == "none" || chat_format_by_name(name)) return {};
            return cat("unknown chat format '", name, "' (auto, none, ", chat_format_names(), ")");
          },
          "CHAT"));
  command.add_option("--system", system, "System message (needs a chat format)");
  command.add_option("--reward", reward, "Scoring: exact (final answer string), math (the math verifier) or math-shaped (the SOAR paper's "
                     "120/20/10/0 training reward; evaluation still counts math-verified answers)")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& name) -> std::string {
            try {
              reward_by_name(name);
              return {};
            } catch (const Error& e) {
              return e.what();
            }
          },
          "REWARD"));
}

RewardFunction PromptOptions::reward_function() const { return reward_by_name(reward); }
RewardFunction PromptOptions::correctness_function() const { return correctness_by_name(reward); }
JudgeFunction PromptOptions::judge_function() const { return judge_by_name(reward); }

PromptFormat PromptOptions::format(const Policy& policy) const {
  if (template_text.find("{problem}") == std::string::npos) fail("--prompt-template must contain {problem}");
  PromptFormat format{template_text, resolve_chat_format(chat, policy.dir), system};
  if (!system.empty() && !format.chat) {
    fail("--system needs --chat (",
         chat == "auto" ? cat(policy.dir, " has no chat template for --chat auto; name one of ") : "",
         chat_format_names(), "): a plain prompt has no system message");
  }
  return format;
}

void SamplingOptions::add(CLI::App& command) {
  command.add_option("--temperature", temperature, "Sampling temperature (0 = greedy)")->capture_default_str()->check(between(0, 100));
  command.add_option("--top-p", top_p, "Nucleus sampling mass")->capture_default_str()->check(above_up_to(0, 1));
  command.add_option("--top-k", top_k, "Keep the k most likely tokens (0 = off)")->capture_default_str()->check(at_least(0));
  command.add_option("--max-new-tokens", max_new_tokens, "Tokens to generate at most")->capture_default_str()->check(at_least(1));
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

void JobOptions::check_out(OutputKind kind) const {
  check_output_path(out, kind, {{"--problems", problems.path}, {"--model", policy.model_dir}});
}

std::vector<Problem> JobOptions::load_problems(const Policy& policy) const {
  return problems.fitting(problems.load(), policy, prompt.format(policy), sampling.max_new_tokens);
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
  command.add_option("-n,--samples", samples, help)->capture_default_str()->check(at_least(1));
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
      ->check(at_least(1));
}

void RolloutOptions::add(CLI::App& command, const std::string& step) {
  if (!step.empty()) {
    command.add_option("--rollouts-every", every,
                       cat("Keep the completions of the first ", step, " and of every N-th under OUT/rollouts/ (0 = none)"))
        ->capture_default_str()->check(at_least(0));
  }
  command.add_option("--rollouts-sample", sample,
                     step.empty() ? std::string("Keep the completions of K problems (drawn from --seed) in OUT/rollouts.jsonl "
                                                "instead of every problem's (0 = all)")
                                  : cat("Keep K problems' groups per kept ", step, ", drawn from the seed (0 = all)"))
      ->capture_default_str()->check(at_least(0));
}

}  // namespace soar::app
