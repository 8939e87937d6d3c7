// Public interface of the math answer verifier: every RL reward in SOAR is one of these verdicts.
//
//   verify(gold, completion)        extracts the model's final answer and compares it with gold
//   compare_answers(gold, answer)   compares two answers that are already extracted
//   extract_answer(completion)      only the extraction step
//
// All three are bounded by Options::limits (no signals, no killed threads) and thread-safe.
// A comparison that would exceed a limit returns Verdict::Undecidable: a normal result, counted in
// stats() and logged through the undecidable log sink.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "verify/limits.h"

namespace soar::verify {

enum class Verdict { Correct, Incorrect, Unparseable, Undecidable };

const char* to_string(Verdict v);

struct Result {
  Verdict verdict = Verdict::Unparseable;
  std::string extracted;  // the answer taken from the completion (empty when none was found)
  std::string reason;     // why: which rule decided, or which limit was hit
};

struct Options {
  // When no \boxed{}, "#### n" or "answer is" marker exists, take the math that ends last in the
  // text: a $...$ span (with the spans listed before it) or a plain-text expression.
  bool fallback_to_last_math = true;
  // Relative tolerance of the numeric last-resort check (never used when both sides are exact).
  double numeric_tolerance = 1e-9;
  Limits limits;
};

std::optional<std::string> extract_answer(std::string_view completion, const Options& options = {});
// Only the boxed part of the extraction: the last \boxed{} / \fbox{} with the boxes listed right
// before it ("\boxed{3}, \boxed{-5}" is "3, -5"); nullopt when the completion has no closed box.
// What verify() compares whenever a box exists (the shaped reward's "has a box", src/rl/reward.h).
std::optional<std::string> boxed_answer(std::string_view completion, const Options& options = {});
Result verify(std::string_view gold_answer, std::string_view completion, const Options& options = {});
Result compare_answers(std::string_view gold, std::string_view predicted, const Options& options = {});
// Whether the answer (already extracted) parses, within the limits, as something the verifier can
// compare: what the SOAR paper requires of a teacher's boxed answer (its appendix B.2).
bool parses(std::string_view answer, const Options& options = {});

// Process-wide counters of verdicts since start (or the last reset_stats()).
struct Stats {
  std::uint64_t correct = 0, incorrect = 0, unparseable = 0, undecidable = 0;
  std::uint64_t total() const { return correct + incorrect + unparseable + undecidable; }
};
Stats stats();
void reset_stats();

// Receives one line per Undecidable verdict (gold, answer, reason). The default sink writes the
// first 20 to stderr and then every 1000th, so a flood of attacks cannot flood the log. Passing an
// empty function silences logging; counting continues.
void set_undecidable_log(std::function<void(std::string_view line)> sink);

}  // namespace soar::verify
