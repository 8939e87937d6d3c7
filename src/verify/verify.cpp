// The public entry points: limits on raw input, extraction, normalisation, the fast paths (same
// text, multiple choice), parsing and equivalence; then counting and logging of the verdict.
#include "verify/verify.h"

#include <atomic>
#include <iostream>
#include <mutex>

#include "verify/equivalence.h"
#include "verify/extract.h"
#include "verify/latex_parser.h"
#include "verify/normalize.h"

namespace soar::verify {
namespace {

std::atomic<std::uint64_t> g_counts[4];
std::atomic<std::uint64_t> g_undecidable_seen{0};
std::mutex g_log_mutex;
std::function<void(std::string_view)> g_log_sink = [](std::string_view line) {
  std::uint64_t n = g_undecidable_seen.fetch_add(1) + 1;
  if (n <= 20 || n % 1000 == 0) std::cerr << "[verify] undecidable #" << n << ": " << line << "\n";
};

std::string clip(std::string_view s) {
  return s.size() <= 80 ? std::string(s) : std::string(s.substr(0, 77)) + "...";
}

Result finish(Result r, std::string_view gold, std::string_view answer) {
  g_counts[static_cast<int>(r.verdict)].fetch_add(1, std::memory_order_relaxed);
  if (r.verdict == Verdict::Undecidable) {
    std::lock_guard<std::mutex> lock(g_log_mutex);
    if (g_log_sink) g_log_sink("gold '" + clip(gold) + "' answer '" + clip(answer) + "': " + r.reason);
  }
  return r;
}

Result make(Verdict v, std::string reason, std::string extracted = {}) {
  return Result{v, std::move(extracted), std::move(reason)};
}

Result compare_normalized(const std::string& g, const std::string& p, const Options& o);

Result compare_uncounted(std::string_view gold, std::string_view predicted, const Options& o) {
  using namespace detail;
  const Limits& lim = o.limits;
  if (gold.size() > lim.max_answer_chars)
    return make(Verdict::Undecidable, "gold answer of " + std::to_string(gold.size()) + " chars exceeds the limit");
  if (predicted.size() > lim.max_answer_chars)
    return make(Verdict::Undecidable, "answer of " + std::to_string(predicted.size()) + " chars exceeds the limit");
  std::string g = normalize_answer(gold);
  std::string p = normalize_answer(predicted);
  Result r = compare_normalized(g, p, o);
  // "50\%" is both 50 and 0.5: when only one side has a percent sign, also try it as a fraction.
  bool gp = gold.find('%') != std::string_view::npos, pp = predicted.find('%') != std::string_view::npos;
  if (r.verdict == Verdict::Incorrect && gp != pp && !(gp ? g : p).empty()) {
    std::string fraction = "\\frac{" + (gp ? g : p) + "}{100}";
    Result alt = gp ? compare_normalized(fraction, p, o) : compare_normalized(g, fraction, o);
    if (alt.verdict == Verdict::Correct) return make(Verdict::Correct, "percent as a fraction: " + alt.reason);
  }
  return r;
}

Result compare_normalized(const std::string& g, const std::string& p, const Options& o) {
  using namespace detail;
  const Limits& lim = o.limits;
  if (p.empty()) return make(Verdict::Unparseable, "empty answer");
  if (g.empty()) return make(Verdict::Unparseable, "empty gold answer");
  if (text_key(g) == text_key(p)) return make(Verdict::Correct, "same text");
  if (auto gold_letter = choice_letter(g, false)) {
    auto letter = choice_letter(p, true);
    if (!letter) return make(Verdict::Incorrect, std::string("gold is choice ") + *gold_letter + ", answer is not a choice");
    return make(*letter == *gold_letter ? Verdict::Correct : Verdict::Incorrect, "multiple choice");
  }
  ParseResult gp = parse_math(g, lim);
  if (gp.status == ParseStatus::OverBudget) return make(Verdict::Undecidable, "gold: " + gp.message);
  if (gp.status == ParseStatus::Error) return make(Verdict::Unparseable, "gold: " + gp.message);
  // A prose gold answer ("\text{no solution}") is matched by its words, however they are typeset.
  if (gp.ast.at(gp.ast.root).kind == Kind::Text && plain_words(p) == gp.ast.at(gp.ast.root).text)
    return make(Verdict::Correct, "same words");
  ParseResult pp = parse_math(p, lim);
  if (pp.status == ParseStatus::OverBudget) return make(Verdict::Undecidable, "answer: " + pp.message);
  if (pp.status == ParseStatus::Error) return make(Verdict::Unparseable, "answer: " + pp.message);
  Equivalence e = equivalent(gp.ast, pp.ast, lim, o.numeric_tolerance);
  switch (e.result) {
    case Tri::Equal: return make(Verdict::Correct, e.reason);
    case Tri::NotEqual: return make(Verdict::Incorrect, e.reason);
    case Tri::Unknown: break;
  }
  if (e.over_budget) return make(Verdict::Undecidable, "over budget: " + e.reason);
  return make(Verdict::Incorrect, "equality not shown: " + e.reason);
}

}  // namespace

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Correct: return "correct";
    case Verdict::Incorrect: return "incorrect";
    case Verdict::Unparseable: return "unparseable";
    case Verdict::Undecidable: return "undecidable";
  }
  return "?";
}

std::optional<std::string> extract_answer(std::string_view completion, const Options& o) {
  if (completion.size() > o.limits.max_completion_bytes) return std::nullopt;
  return detail::extract(completion, o.fallback_to_last_number);
}

Result compare_answers(std::string_view gold, std::string_view predicted, const Options& o) {
  Result r;
  try {
    r = compare_uncounted(gold, predicted, o);
  } catch (const std::exception& e) {  // never let untrusted input escape as an exception
    r = make(Verdict::Unparseable, std::string("internal error: ") + e.what());
  }
  r.extracted = std::string(predicted);
  return finish(std::move(r), gold, predicted);
}

Result verify(std::string_view gold, std::string_view completion, const Options& o) {
  if (completion.size() > o.limits.max_completion_bytes)
    return finish(make(Verdict::Undecidable, "completion of " + std::to_string(completion.size()) +
                                                 " bytes exceeds the limit"),
                  gold, completion.substr(0, 80));
  std::optional<std::string> answer = detail::extract(completion, o.fallback_to_last_number);
  if (!answer || answer->empty()) return finish(make(Verdict::Unparseable, "no answer found"), gold, "");
  return compare_answers(gold, *answer, o);
}

Stats stats() {
  return Stats{g_counts[0].load(), g_counts[1].load(), g_counts[2].load(), g_counts[3].load()};
}

void reset_stats() {
  for (auto& c : g_counts) c.store(0);
}

void set_undecidable_log(std::function<void(std::string_view line)> sink) {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  g_log_sink = std::move(sink);
}

bool parses(std::string_view answer, const Options& options) {
  const std::string normalized = detail::normalize_answer(answer);
  if (normalized.empty()) return false;
  return detail::parse_math(normalized, options.limits).status == detail::ParseStatus::Ok;
}

}  // namespace soar::verify
