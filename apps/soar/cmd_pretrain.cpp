// soar pretrain: builds the testbed corpus and trains the tiny base model from scratch, or reuses a
// finished run with the same config and seed. See docs/testbed.md.
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "core/output_path.h"
#include "core/progress.h"
#include "core/run_lock.h"
#include "core/stop_signal.h"
#include "domain_formats.h"
#include "domains/testbed/pretrain.h"
#include "options.h"

namespace soar::app {

namespace {

std::filesystem::path default_cache_root() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "soar" / "testbed";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".cache" / "soar" / "testbed";
  return std::filesystem::path(".soar-cache") / "testbed";
}

struct PretrainCommandOptions {
  testbed::PretrainConfig config;
  testbed::PretrainOptions run;
  std::string out;
};

void add_corpus_options(CLI::App& command, testbed::CorpusConfig& c) {
  command.add_option("--solved-max-level", c.solved_max_level, "Highest level with solved problems in the corpus")->capture_default_str()->check(at_least(1));
  command.add_option("--statement-max-level", c.statement_max_level, "Highest level of problem statements in the corpus")->capture_default_str()->check(at_least(1));
  command.add_option("--teacher-set-fraction", c.teacher_set_fraction, "Fraction of documents that are teacher-format problem sets")->capture_default_str()->check(between(0, 1));
  command.add_option("--uneven-fraction", c.uneven_fraction, "Fraction of solved problems with a shorter operand")->capture_default_str()->check(between(0, 1));
  command.add_option("--max-set-size", c.max_set_size, "Largest teacher-format set in the corpus")->capture_default_str()->check(at_least(1));
  command.add_flag("--train-hard-answers", c.train_hard_answers,
                   "Train the random answers of teacher-set items above the solved levels (default: in the text, untrained)");
  command.add_option("--hard-digit-positions", c.hard_digit_positions,
                     "Train at most this many leading characters of a teacher-set answer above the solved levels as \"some digit\" (0: all L)")
      ->capture_default_str()->check(at_least(0));
  command.add_option("--three-operand-sets", c.three_operand_set_fraction,
                     "Fraction of teacher-format sets with three-operand problems, whose answers are never in the corpus (0: none)")
      ->capture_default_str()->check(between(0, 1));
  command.add_option("--three-operand-solved-max-level", c.three_operand_solved_max_level,
                     "Highest level of solved three-operand problems in the corpus (0: none)")
      ->capture_default_str()->check(at_least(0));
  add_student_task_option(command, c.student_task);
  command.add_option("--solved-teacher-items", c.solved_teacher_item_fraction,
                     "Student tasks other than sum: fraction of solved problems shown as the teacher's items (its sums)")
      ->capture_default_str()->check(between(0, 1));
  command.add_option("--student-solved-max-level", c.student_solved_max_level,
                     "Student tasks other than sum: highest level solved in the student's format (0: --solved-max-level)")
      ->capture_default_str()->check(at_least(0));
  command.add_option("--set-statement-weight", c.set_statement_weight, "Loss weight of the statements in teacher sets")->capture_default_str()->check(at_least(0));
}

void add_model_and_training_options(CLI::App& command, PretrainCommandOptions& o) {
  auto& c = o.config;
  command.add_option("--hidden", c.hidden_size, "Hidden size")->capture_default_str()->check(at_least(1));
  command.add_option("--layers", c.num_layers, "Decoder layers")->capture_default_str()->check(at_least(1));
  command.add_option("--heads", c.num_heads, "Attention heads")->capture_default_str()->check(at_least(1));
  command.add_option("--intermediate", c.intermediate_size, "MLP size")->capture_default_str()->check(at_least(1));
  command.add_option("--steps", c.steps, "Optimiser steps")->capture_default_str()->check(at_least(1));
  command.add_option("--batch-rows", c.batch_rows, "Packed rows per step")->capture_default_str()->check(at_least(1));
  command.add_option("--seq-len", c.sequence_length, "Tokens per packed row")->capture_default_str()->check(at_least(2));
  command.add_option("--lr", c.learning_rate, "Peak learning rate")->capture_default_str()->check(above(0));
  command.add_option("--min-lr-ratio", c.min_lr_ratio, "Final learning rate / peak (cosine)")->capture_default_str()->check(between(0, 1));
  command.add_option("--warmup-steps", c.warmup_steps, "Linear warm-up steps")->capture_default_str()->check(at_least(0));
  command.add_option("--weight-decay", c.weight_decay, "AdamW weight decay")->capture_default_str()->check(at_least(0));
  command.add_option("--max-grad-norm", c.max_grad_norm, "Gradient clipping")->capture_default_str()->check(any_finite());
  command.add_option("--document-attention", c.document_attention,
                     "Each packed document attends only to itself (false: the whole row)")->capture_default_str();
  command.add_option("--checkpoint-every", o.run.checkpoint_every, "Steps between checkpoints")->capture_default_str()->check(at_least(0));
  command.add_option("--log-every", o.run.log_every, "Steps between progress lines")->capture_default_str()->check(at_least(1));
  command.add_option("--stop-after", o.run.stop_after, "Stop after this many steps in total (resume later)")->capture_default_str()->check(at_least(0));
}

void run_pretrain(PretrainCommandOptions& o) {
  o.config.threads = at::get_num_threads();
  const std::filesystem::path out = o.out.empty() ? default_cache_root() / o.config.cache_key() : std::filesystem::path(o.out);
  std::cerr << "soar pretrain: config (key " << o.config.cache_key() << ")\n" << o.config.to_json();
  const int64_t total = o.config.steps;
  const auto start = std::chrono::steady_clock::now();
  o.run.on_progress = [total, start](const testbed::PretrainProgress& p) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << "step " << std::setw(6) << p.step << "/" << total << "  loss " << std::fixed << std::setprecision(4) << p.loss
              << "  lr " << std::scientific << std::setprecision(2) << p.learning_rate << std::fixed << "  "
              << std::setprecision(0) << p.tokens_per_second << " tok/s  elapsed " << format_duration(elapsed) << "  ETA "
              << format_duration(elapsed / static_cast<double>(p.step - p.start_step) * static_cast<double>(total - p.step)) << "\n";
  };
  check_output_path(out, OutputKind::Directory);
  const RunLock lock(out);
  install_stop_handlers(stop_grace_from_environment());
  const testbed::PretrainResult result = testbed::pretrain(o.config, out, o.run);
  if (result.reused) {
    std::cerr << "soar pretrain: reusing the finished run in " << out << "\n";
  } else if (!result.finished) {
    std::cerr << "soar pretrain: stopped after step " << result.steps_done << "; run again to resume\n";
    return;
  }
  std::cout << result.model_dir.string() << "\n";
}

}  // namespace

Action add_pretrain_command(CLI::App& app) {
  auto o = std::make_shared<PretrainCommandOptions>();
  CLI::App* command = app.add_subcommand("pretrain", "Pretrain the built-in testbed's base model from scratch (cached by config + seed)");
  command->add_option("--out", o->out, "Run directory (default: ~/.cache/soar/testbed/<config key>)");
  command->add_option("--seed", o->config.seed, "Seed (data, initialisation)")->capture_default_str();
  add_corpus_options(*command, o->config.corpus);
  add_model_and_training_options(*command, *o);
  return [o, command] {
    if (!command->parsed()) return;
    run_pretrain(*o);
  };
}

}  // namespace soar::app
