// libFuzzer target over extraction and verification. Input: "gold\ncompletion" (the first line is
// the gold answer). Invariants beyond "no crash, no hang, no sanitizer report":
//  - the same input gives the same verdict twice (no hidden state, deterministic sampling);
//  - an answer compared with itself is never judged Incorrect.
// Built by fuzz/build_verify_fuzz.sh (clang, -fsanitize=fuzzer); the CTest smoke test compiles
// this file with the normal compiler and replays fuzz/verify_corpus/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string_view>

#include "verify/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    soar::verify::set_undecidable_log({});
    return true;
  }();
  (void)quiet;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t nl = in.find('\n');
  std::string_view gold = nl == std::string_view::npos ? in : in.substr(0, nl);
  std::string_view completion = nl == std::string_view::npos ? in : in.substr(nl + 1);

  auto first = soar::verify::verify(gold, completion);
  auto again = soar::verify::verify(gold, completion);
  if (first.verdict != again.verdict) {
    std::fprintf(stderr, "nondeterministic verdict: %s then %s\n", soar::verify::to_string(first.verdict),
                 soar::verify::to_string(again.verdict));
    std::abort();
  }
  if (auto answer = soar::verify::extract_answer(completion)) {
    auto self = soar::verify::compare_answers(*answer, *answer);
    if (self.verdict == soar::verify::Verdict::Incorrect) {
      std::fprintf(stderr, "answer judged different from itself: %s\n", self.reason.c_str());
      std::abort();
    }
  }
  soar::verify::compare_answers(gold, completion.substr(0, 400));
  return 0;
}
