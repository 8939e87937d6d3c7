// The body of `soar mine`, shared with `soar testbed hard-level`: fail@K mining of a problem set
// into a directory (resumable through its mining log), then the hard set and its train/test split.
#pragma once

#include <filesystem>
#include <vector>

#include "data/mining.h"
#include "distributed/group.h"
#include "options.h"

namespace soar::app {

struct MiningSettings {
  int64_t samples = 128;  // K
  int64_t batch = 128;    // sequences per generation batch
  double train_fraction = 0.5;
  uint64_t split_seed = 0;
};

// Mines `problems` with `policy` into `out` (mining_log.jsonl, hard.jsonl, train.jsonl, test.jsonl,
// summary.json; a log already there is resumed) and prints the hard set's size. Every rank of
// `group` takes part and gets rank 0's summary back.
MiningSummary mine_into(dist::Group& group, Policy& policy, const std::vector<Problem>& problems, const PromptOptions& prompt,
                        const SamplingOptions& sampling, const MiningSettings& settings, const std::filesystem::path& out);

}  // namespace soar::app
