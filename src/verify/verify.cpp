// The public entry points: limits on raw input, extraction, normalisation, the fast paths (same
// text, multiple choice), parsing and equivalence; then counting and logging of the verdict.
#include "verify/verify.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <iostream>
#include <mutex>

#include "verify/equivalence.h"
#include "verify/extract.h"
#include "verify/latex_parser.h"
#include "verify/normalize.h"
#include "verify/reading.h"

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

// The same text is the same answer, however either side would be read (a sentence against itself
// too: a fuzzer find, reading both sides' sentences differently).
bool same_text(std::string_view gold, std::string_view predicted) {
  std::string p = detail::normalize_answer(predicted);
  return !p.empty() && detail::text_key(detail::normalize_answer(gold)) == detail::text_key(p);
}

// "2500,75" against a gold number: a decimal comma, not the list {2500, 75}. Only digits around one
// comma, and only retried when the gold is not a list itself.
bool decimal_comma(const std::string& s) {
  std::size_t comma = s.find(',');
  if (comma == std::string::npos || comma == 0 || comma + 1 >= s.size() || s.find(',', comma + 1) != std::string::npos)
    return false;
  for (std::size_t i = s[0] == '-' ? 1 : 0; i < s.size(); ++i)
    if (i != comma && (s[i] < '0' || s[i] > '9')) return false;
  return true;
}

// One reading of the gold against the answer, with the retries that depend on both.
Result compare_read(const std::string& g, const std::string& p, bool gold_percent, bool answer_percent,
                    const Options& o) {
  Result r = compare_normalized(g, p, o);
  if (r.verdict != Verdict::Incorrect) return r;
  // "50\%" is both 50 and 0.5: when only one side has a percent sign, also try it as a fraction.
  if (gold_percent != answer_percent && !(gold_percent ? g : p).empty()) {
    std::string fraction = "\\frac{" + (gold_percent ? g : p) + "}{100}";
    Result alt = gold_percent ? compare_normalized(fraction, p, o) : compare_normalized(g, fraction, o);
    if (alt.verdict == Verdict::Correct) return make(Verdict::Correct, "percent as a fraction: " + alt.reason);
  }
  // A gold "a \\le |x| \\le b" is the union [-b, -a] U [a, b] (the gold inequality accepts its set).
  if (p.find("\\cup") != std::string::npos || p.find(" U ") != std::string::npos) {
    if (auto as_union = detail::abs_chain_as_union(g)) {
      Result alt = compare_normalized(*as_union, p, o);
      if (alt.verdict == Verdict::Correct) return make(Verdict::Correct, "|x| chain as a union: " + alt.reason);
    }
  }
  if (decimal_comma(p) && g.find(',') == std::string::npos) {
    std::string dot = p;
    dot[dot.find(',')] = '.';
    Result alt = compare_normalized(g, dot, o);
    if (alt.verdict == Verdict::Correct) return make(Verdict::Correct, "decimal comma: " + alt.reason);
  }
  return r;
}

// How far a verdict got: a decided one beats a limit, which beats a parse failure.
int decidedness(Verdict v) {
  switch (v) {
    case Verdict::Correct: return 3;
    case Verdict::Incorrect: return 2;
    case Verdict::Undecidable: return 1;
    case Verdict::Unparseable: return 0;
  }
  return 0;
}

Result compare_uncounted(std::string_view gold, std::string_view predicted, const Options& o) {
  using namespace detail;
  const Limits& lim = o.limits;
  if (gold.size() > lim.max_answer_chars)
    return make(Verdict::Undecidable, "gold answer of " + std::to_string(gold.size()) + " chars exceeds the limit");
  if (predicted.size() > lim.max_answer_chars)
    return make(Verdict::Undecidable, "answer of " + std::to_string(predicted.size()) + " chars exceeds the limit");
  if (same_text(gold, predicted)) return make(Verdict::Correct, "same text");
  std::string p = read_answer(predicted);
  bool answer_percent = mentions_percent(predicted);
  // A gold with alternatives is right when any of them is; otherwise the most decided verdict.
  Result best;
  bool first = true;
  for (std::string_view alt : alternatives(gold)) {
    Result r = compare_read(read_answer(alt), p, mentions_percent(alt), answer_percent, o);
    if (r.verdict == Verdict::Correct) return r;
    if (first || decidedness(r.verdict) > decidedness(best.verdict)) best = std::move(r);
    first = false;
  }
  return best;
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
  if (gp.status == ParseStatus::Error) {  // "p \\bmod 7 = 0": the last side of a chain counts
    if (auto side = last_side(g)) {
      ParseResult alt = parse_math(*side, lim);
      if (alt.status != ParseStatus::Error) gp = std::move(alt);
    }
  }
  if (gp.status == ParseStatus::OverBudget) return make(Verdict::Undecidable, "gold: " + gp.message);
  if (gp.status == ParseStatus::Error) return make(Verdict::Unparseable, "gold: " + gp.message);
  // A prose gold answer ("\text{no solution}") is matched by its words, however they are typeset.
  if (gp.ast.at(gp.ast.root).kind == Kind::Text && plain_words(p) == gp.ast.at(gp.ast.root).text)
    return make(Verdict::Correct, "same words");
  ParseResult pp = parse_math(p, lim);
  if (pp.status == ParseStatus::Error) {  // "p \\bmod 7 = 0": the last side of a chain counts
    if (auto side = last_side(p)) {
      ParseResult alt = parse_math(*side, lim);
      if (alt.status != ParseStatus::Error) pp = std::move(alt);
    }
  }
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

// A word of three letters or more outside LaTeX commands and \\text{} ("people" in "1,234 people";
// "5\\text{ meters}" has none): the text is prose, and its answer is extracted, not the whole.
bool has_word(std::string_view s) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      std::size_t j = i + 1;
      while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
      std::string_view name = s.substr(i + 1, j - i - 1);
      bool text = name == "text" || name == "mbox" || name == "mathrm" || name == "textbf" || name == "textrm" ||
                  name == "begin" || name == "end";
      if (text && j < s.size() && s[j] == '{') {
        std::size_t close = s.find('}', j);
        j = close == std::string_view::npos ? s.size() : close + 1;
      }
      i = j - 1;
      run = 0;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      if (++run >= 3) return true;
    } else {
      run = 0;
    }
  }
  return false;
}

// The one reading of a completion: the extracted answer, but the whole text when it is no
// sentence (a bare answer such as "\\pm 2" or "100 \\cdot 99!" is the answer, not its last
// token), and further left when the math found last in prose cannot be read.
Result judge_completion(std::string_view gold, std::string_view completion, const Options& o) {
  constexpr std::size_t kNone = std::string_view::npos;
  std::size_t math_begin = kNone;
  std::optional<std::string> answer = detail::extract(completion, o.fallback_to_last_math, &math_begin);
  bool from_prose = !answer || math_begin != kNone;  // no marker: the last math, or nothing found
  // One word and no math ("Monday", "Yes") is a text answer, read whole too; more words without
  // math ("no number here") state no answer.
  std::string_view bare = completion;
  while (!bare.empty() && std::isspace(static_cast<unsigned char>(bare.front()))) bare.remove_prefix(1);
  while (!bare.empty() && std::isspace(static_cast<unsigned char>(bare.back()))) bare.remove_suffix(1);
  bool short_text = !answer && bare.size() <= 100 && std::none_of(bare.begin(), bare.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c));
  });
  if (from_prose && o.fallback_to_last_math && completion.size() <= o.limits.max_answer_chars &&
      (short_text || !has_word(completion))) {
    std::string whole = detail::strip_decoration(completion);
    if (!whole.empty() && whole.find('\n') == std::string::npos) {
      answer = std::move(whole);
      math_begin = kNone;
    }
  }
  if (!answer || answer->empty()) return make(Verdict::Unparseable, "no answer found");
  // Math found in prose that cannot be read ("{1, 2, \\ldots, 100}") is not the answer when more
  // math comes before it: look left, twice at most (math-verify also takes the next match).
  Result r = compare_uncounted(gold, *answer, o);
  for (int retry = 0; retry < 2 && math_begin != kNone && math_begin > 0; ++retry) {
    if (r.verdict != Verdict::Unparseable || r.reason.rfind("answer", 0) != 0) break;
    std::size_t before = kNone;
    std::optional<std::string> earlier = detail::last_math(completion.substr(0, math_begin), &before);
    if (!earlier || earlier->empty()) break;
    Result alt = compare_uncounted(gold, *earlier, o);
    if (alt.verdict == Verdict::Unparseable && alt.reason.rfind("answer", 0) != 0) break;
    answer = std::move(earlier);
    r = std::move(alt);
    math_begin = before;
  }
  r.extracted = *answer;
  return r;
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
  return detail::extract(completion, o.fallback_to_last_math);
}

std::optional<std::string> boxed_answer(std::string_view completion, const Options& o) {
  if (completion.size() > o.limits.max_completion_bytes) return std::nullopt;
  return detail::boxed_answer(completion);
}

Result compare_answers(std::string_view gold, std::string_view predicted, const Options& o) {
  Result r;
  try {
    // One policy: an answer written as a sentence is read as verify() reads a completion.
    bool sentence =
        predicted.size() <= o.limits.max_answer_chars && detail::is_sentence(predicted) && !same_text(gold, predicted);
    r = sentence ? judge_completion(gold, predicted, o) : compare_uncounted(gold, predicted, o);
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
  Result r;
  try {
    r = judge_completion(gold, completion, o);
  } catch (const std::exception& e) {  // never let untrusted input escape as an exception
    r = make(Verdict::Unparseable, std::string("internal error: ") + e.what());
  }
  std::string extracted = r.extracted;
  return finish(std::move(r), gold, extracted);
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
