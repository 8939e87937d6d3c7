// Hard-set mining: sample every problem K times with the base model, keep those never solved.
// Mining is long, so each finished problem is appended to a JSONL log at once and a killed run
// resumes from the log instead of starting over.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "data/problems.h"

namespace soar {

struct MiningResult {
  int64_t samples = 0;    // completions drawn for the problem
  int64_t successes = 0;  // of them, verified correct
};

// Reads a mining log, one {"id", "samples", "successes"} object a line (other fields are ignored).
// A final line without a newline is what a killed writer leaves behind: it is ignored and a warning
// is added to `warnings` (printed to stderr if null). Any other bad line (not JSON, a missing or
// mistyped field, successes > samples, a repeated id) is a soar::Error "file:line: reason".
// A log that does not exist yet is an empty map.
std::map<std::string, MiningResult> load_mining_log(const std::filesystem::path& path,
                                                    std::vector<std::string>* warnings = nullptr);

// Appends results to a mining log, flushing and fsyncing each line before append returns, so
// kill -9 loses at most the line being written. Opening loads the log (as load_mining_log) and cuts
// off a torn final line, so the next line starts on a line of its own. Holds an exclusive lock on
// the file so two runs cannot write one log. Thread-safe.
class MiningLog {
 public:
  explicit MiningLog(const std::filesystem::path& path, std::vector<std::string>* warnings = nullptr);
  ~MiningLog();
  MiningLog(const MiningLog&) = delete;
  MiningLog& operator=(const MiningLog&) = delete;

  // Results already in the log when it was opened plus those appended since.
  const std::map<std::string, MiningResult>& results() const { return results_; }
  // Fails if `id` is already in the log or the counts are impossible.
  void append(const std::string& id, const MiningResult& result);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::mutex mutex_;
  std::map<std::string, MiningResult> results_;
};

// The problems with 0 successes in at least `min_samples` samples, in problem-set order. Every
// problem must be in `results` with at least `min_samples` samples: a problem missing from the log
// or with fewer samples is "incomplete" (its run was cut short) and an error listing such ids,
// rather than being silently counted as easy or hard. Results for ids not in `problems` are ignored
// (the log may cover a larger set).
std::vector<Problem> select_hard(const std::vector<Problem>& problems,
                                 const std::map<std::string, MiningResult>& results, int64_t min_samples);

struct MiningSummary {
  int64_t problems = 0;      // in the problem set
  int64_t min_samples = 0;   // K
  int64_t hard = 0;          // 0 successes in >= K samples
  int64_t solved = 0;        // at least one success
  int64_t samples = 0;       // over all problems
  int64_t successes = 0;     // over all problems
  double mean_success_rate = 0;  // mean over problems of successes / samples (pass@1)
};

// The hard set itself is written with write_problems (atomic, extra fields kept).

// Counts for the problem set; the same completeness rules as select_hard.
MiningSummary summarize_mining(const std::vector<Problem>& problems,
                               const std::map<std::string, MiningResult>& results, int64_t min_samples);

// {"problems", "min_samples", "hard", "solved", "hard_fraction", "samples", "successes",
//  "mean_success_rate"} as one JSON object, written atomically.
void write_mining_summary(const std::filesystem::path& path, const MiningSummary& summary);

struct HardSplit {
  std::vector<Problem> train, test;
};

// Splits problems into train and test, each in the input order. Which problems go to train depends
// only on the seed and the ids (those with the smallest derive_seed(seed, "split_hard_set/" + id)),
// not on the order of `problems`, so the split survives re-sorting the file.
HardSplit split_hard_set(const std::vector<Problem>& problems, std::size_t train_size, uint64_t seed);
// train_size = round(train_fraction * problems.size()); train_fraction must lie in [0, 1].
HardSplit split_hard_set_by_fraction(const std::vector<Problem>& problems, double train_fraction, uint64_t seed);

}  // namespace soar
