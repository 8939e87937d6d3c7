#include "rl/rollout_log.h"

#include <zlib.h>

#include <memory>

#include "core/atomic_file.h"
#include "core/directory.h"
#include "core/error.h"
#include "core/read_file.h"
#include "core/seed.h"

namespace soar {
namespace fs = std::filesystem;

bool RolloutSelection::keeps_step(int64_t step) const { return every > 0 && (step == 1 || step % every == 0); }

std::vector<bool> RolloutSelection::kept_problems(int64_t step, int64_t count) const {
  if (sample <= 0 || sample >= count) return std::vector<bool>(static_cast<size_t>(count), true);
  // A partial Fisher-Yates draw of `sample` positions.
  std::vector<int64_t> order(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) order[static_cast<size_t>(i)] = i;
  SplitMix64 rng(derive_seed(seed, cat("rollouts/sample/", step)));
  std::vector<bool> kept(static_cast<size_t>(count), false);
  for (int64_t i = 0; i < sample; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(count - i)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
    kept[static_cast<size_t>(order[static_cast<size_t>(i)])] = true;
  }
  return kept;
}

nlohmann::ordered_json rollout_json(const RolloutRecord& r, const JudgeFunction& judge) {
  const Judgement judgement = judge(*r.problem, r.completion->text);
  nlohmann::ordered_json record;
  if (r.step) record["step"] = *r.step;
  record["id"] = r.problem->id;
  record["sample"] = r.sample;
  record["prompt"] = r.problem->problem;
  record["gold"] = r.problem->answer;
  record["completion"] = r.completion->text;
  record["reward"] = r.reward;
  record["verdict"] = judgement.verdict;
  record["answer"] = judgement.answer;
  record["advantage"] = r.advantage ? nlohmann::ordered_json(*r.advantage) : nlohmann::ordered_json(nullptr);
  record["length"] = r.completion->tokens.size();
  record["finish"] = finish_reason_name(r.completion->finish);
  return record;
}

EvalRolloutLine eval_rollout_line(const RolloutSelection& select, std::optional<int64_t> step, size_t count,
                                  JudgeFunction judge) {
  auto kept = std::make_shared<const std::vector<bool>>(select.kept_problems(step.value_or(0), static_cast<int64_t>(count)));
  return [kept, step, judge = std::move(judge)](size_t index, const Problem& problem, int64_t sample,
                                                const Completion& completion, double reward) -> std::string {
    if (!kept->at(index)) return "";
    return rollout_line(rollout_json({step, &problem, sample, &completion, reward, std::nullopt}, judge));
  };
}

std::string rollout_line(const nlohmann::ordered_json& record) {
  return record.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

namespace {

// `text` in the gzip format (RFC 1952), so that zcat and Python's gzip read it.
std::string gzip(std::string_view text, const fs::path& path) {
  z_stream stream{};
  // 15 + 16: a 32 KB window with a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    fail("cannot compress ", path, ": zlib failed to start");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(text.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) fail("cannot compress ", path, ": zlib error ", rc);
  return out;
}

std::string gunzip(const std::string& bytes, const fs::path& path) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) fail("cannot read ", path, ": zlib failed to start");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  std::string out;
  char buffer[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
    if (rc == Z_BUF_ERROR && stream.avail_in == 0) break;  // input ended before the gzip trailer
  }
  inflateEnd(&stream);
  if (rc != Z_STREAM_END) fail("cannot read ", path, ": not a complete gzip file (zlib error ", rc, ")");
  return out;
}

}  // namespace

fs::path write_rollout_file(const fs::path& path, std::string_view lines) {
  const fs::path zipped = path.string() + ".gz";
  const bool compress = lines.size() >= kGzipRolloutBytes;
  const fs::path& target = compress ? zipped : path;
  fs::create_directories(path.parent_path());
  if (compress) {
    write_text_atomically(target, gzip(lines, target));
  } else {
    write_text_atomically(target, lines);
  }
  remove_tree(compress ? path : zipped);
  return target;
}

std::string read_rollout_file(const fs::path& path) {
  std::string bytes = read_whole_file(path);
  return path.extension() == ".gz" ? gunzip(bytes, path) : bytes;
}

void remove_rollouts_after(const fs::path& dir, const std::string& prefix, int64_t step) {
  if (!fs::is_directory(dir)) return;
  for (const std::string& name : directory_entries(dir)) {
    const auto number = numbered_entry(name, prefix, {"", ".jsonl", ".jsonl.gz"});
    if (number && *number > step) remove_tree(dir / name);
  }
}

}  // namespace soar
