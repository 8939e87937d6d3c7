#include "data/mining.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iostream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/metrics_log.h"
#include "core/json.h"
#include "core/seed.h"
#include "core/utf8.h"
#include "data/jsonl.h"

namespace soar {
namespace {

using Json = nlohmann::json;

void warn(std::vector<std::string>* warnings, std::string message) {
  if (warnings)
    warnings->push_back(std::move(message));
  else
    std::cerr << "warning: " << message << "\n";
}

// Parses one complete log line; returns the reason it is bad in `reason` instead.
bool parse_entry(const std::string& line, std::string& id, MiningResult& result, std::string& reason) {
  if (first_invalid_utf8(line)) return reason = "invalid UTF-8", false;
  Json object;
  try {
    object = parse_json(line, "");
  } catch (const Error& e) {
    return reason = e.what(), false;
  }
  if (!object.is_object()) return reason = cat("expected a JSON object, got ", object.type_name()), false;
  auto id_it = object.find("id");
  if (id_it == object.end()) return reason = "missing field \"id\"", false;
  if (!id_it->is_string() || id_it->get_ref<const std::string&>().empty())
    return reason = "field \"id\" must be a non-empty string", false;
  id = id_it->get<std::string>();
  for (auto [field, target] : {std::pair{"samples", &result.samples}, std::pair{"successes", &result.successes}}) {
    auto it = object.find(field);
    if (it == object.end()) return reason = cat("missing field \"", field, "\""), false;
    if (!it->is_number_integer() || it->get<int64_t>() < 0)
      return reason = cat("field \"", field, "\" must be a non-negative integer, got ", it->dump()), false;
    *target = it->get<int64_t>();
  }
  if (result.successes > result.samples)
    return reason = cat("\"successes\" (", result.successes, ") exceeds \"samples\" (", result.samples, ")"), false;
  return true;
}

// Whether an unterminated final line can be what an interrupted append left: a prefix of the
// '{"id":"' every entry starts with (nlohmann::json writes keys sorted), or zeros that a crash left
// in a block allocated but never written.
bool looks_torn(std::string_view line) {
  constexpr std::string_view kStart = R"({"id":")";
  return line.find_first_not_of('\0') == std::string_view::npos || is_blank(line) || kStart.starts_with(line) ||
         line.starts_with(kStart);
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(std::strerror(n < 0 ? errno : EIO));
    data.remove_prefix(std::size_t(n));
  }
}

// Fails listing the problems that have no complete result: absent from the log, or with fewer than
// `min_samples` samples (a run that was stopped or configured with a smaller K).
void check_complete(const std::vector<Problem>& problems, const std::map<std::string, MiningResult>& results,
                    int64_t min_samples) {
  if (min_samples < 1) fail("mining: the number of samples K must be at least 1, got ", min_samples);
  std::size_t missing = 0, short_of_samples = 0;
  std::string examples;
  int listed = 0;
  for (const Problem& problem : problems) {
    auto it = results.find(problem.id);
    bool absent = it == results.end();
    if (!absent && it->second.samples >= min_samples) continue;
    ++(absent ? missing : short_of_samples);
    if (listed++ < 10)
      examples += absent ? cat(" \"", problem.id, "\" (not in the log)")
                         : cat(" \"", problem.id, "\" (", it->second.samples, " samples)");
  }
  if (missing + short_of_samples)
    fail("mining is incomplete for ", missing + short_of_samples, " of ", problems.size(), " problems (", missing,
         " not in the log, ", short_of_samples, " with fewer than ", min_samples, " samples), e.g.", examples);
}

}  // namespace

std::map<std::string, MiningResult> load_mining_log(const std::filesystem::path& path,
                                                    std::vector<std::string>* warnings) {
  std::map<std::string, MiningResult> results;
  std::map<std::string, int64_t> line_of;
  if (!std::filesystem::exists(path)) return results;
  LineReader reader(path, "mining log");
  std::string line, id, reason;
  for (;;) {
    auto status = reader.next(line);
    if (status == LineReader::Status::End) break;
    if (!reader.terminated()) {
      // Every line is written with its newline in one write(), so only an interrupted write leaves
      // a final line without one; that problem was not finished and will be redone. Anything else
      // there means this is not (only) our log, and MiningLog would cut it off: refuse instead.
      if (status == LineReader::Status::TooLong || !looks_torn(line))
        fail(reader.where(), ": the final line has no newline and is not the start of a mining log entry");
      if (!is_blank(line))
        warn(warnings, cat(reader.where(), ": ignoring the torn final line of the mining log (a run was "
                                           "killed while writing it)"));
      break;
    }
    if (status == LineReader::Status::TooLong) fail(reader.where(), ": line is longer than 16 MiB");
    if (is_blank(line)) continue;
    MiningResult result;
    if (!parse_entry(line, id, result, reason)) fail(reader.where(), ": ", reason);
    if (auto [it, inserted] = line_of.emplace(id, reader.line_number()); !inserted)
      fail(reader.where(), ": id \"", id, "\" is already on line ", it->second);
    results.emplace(id, result);
  }
  return results;
}

MiningLog::MiningLog(const std::filesystem::path& path, std::vector<std::string>* warnings) : path_(path) {
  bool existed = std::filesystem::exists(path);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open mining log ", path.string(), ": ", std::strerror(errno));
  try {
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0)
      fail("mining log ", path.string(), " is locked by another process (",
           std::strerror(errno), "); two runs cannot write one log");
    results_ = load_mining_log(path, warnings);

    // Cut a torn final line, or the next append would be glued onto it and corrupt the log.
    if (const int64_t removed = cut_torn_last_line(fd_, path); removed > 0) {
      warn(warnings, cat(path.string(), ": removed ", removed, " bytes of a torn final line"));
    }
    if (!existed) {
      // Make the new directory entry durable too, not just the file's contents.
      auto directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
      int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
      }
    }
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

MiningLog::~MiningLog() { ::close(fd_); }

void MiningLog::append(const std::string& id, const MiningResult& result) {
  if (id.empty() || first_invalid_utf8(id))
    fail("mining log ", path_.string(), ": id must be non-empty valid UTF-8");
  if (result.samples < 0 || result.successes < 0 || result.successes > result.samples)
    fail("mining log ", path_.string(), ": impossible result for \"", id, "\": ", result.successes, " successes in ",
         result.samples, " samples");
  std::string line = Json{{"id", id}, {"samples", result.samples}, {"successes", result.successes}}.dump() + "\n";

  std::lock_guard lock(mutex_);
  if (results_.count(id)) fail("mining log ", path_.string(), " already has a result for \"", id, "\"");
  struct stat info {};
  if (::fstat(fd_, &info) != 0) fail("cannot stat ", path_.string(), ": ", std::strerror(errno));
  try {
    write_all(fd_, line);  // one write(): a kill leaves a prefix of this line, never a line break
    if (::fsync(fd_) != 0) fail(std::strerror(errno));
  } catch (const Error& e) {
    // Take back a partial line (disk full) so later appends stay on lines of their own.
    if (::ftruncate(fd_, info.st_size) != 0) {
    }
    fail("cannot append to mining log ", path_.string(), ": ", e.what());
  }
  results_.emplace(id, result);
}

std::vector<Problem> select_hard(const std::vector<Problem>& problems,
                                 const std::map<std::string, MiningResult>& results, int64_t min_samples) {
  check_complete(problems, results, min_samples);
  std::vector<Problem> hard;
  for (const Problem& problem : problems)
    if (results.at(problem.id).successes == 0) hard.push_back(problem);
  return hard;
}

MiningSummary summarize_mining(const std::vector<Problem>& problems,
                               const std::map<std::string, MiningResult>& results, int64_t min_samples) {
  check_complete(problems, results, min_samples);
  MiningSummary summary;
  summary.problems = int64_t(problems.size());
  summary.min_samples = min_samples;
  double rate_sum = 0;
  for (const Problem& problem : problems) {
    const MiningResult& result = results.at(problem.id);
    ++(result.successes == 0 ? summary.hard : summary.solved);
    summary.samples += result.samples;
    summary.successes += result.successes;
    rate_sum += double(result.successes) / double(result.samples);
  }
  summary.mean_success_rate = problems.empty() ? 0.0 : rate_sum / double(problems.size());
  return summary;
}

void write_mining_summary(const std::filesystem::path& path, const MiningSummary& summary) {
  nlohmann::ordered_json json = {
      {"problems", summary.problems},
      {"min_samples", summary.min_samples},
      {"hard", summary.hard},
      {"solved", summary.solved},
      {"hard_fraction", summary.problems ? double(summary.hard) / double(summary.problems) : 0.0},
      {"samples", summary.samples},
      {"successes", summary.successes},
      {"mean_success_rate", summary.mean_success_rate},
  };
  write_text_atomically(path, json.dump(2) + "\n");
}

HardSplit split_hard_set(const std::vector<Problem>& problems, std::size_t train_size, uint64_t seed) {
  if (train_size > problems.size())
    fail("split_hard_set: train size ", train_size, " exceeds the ", problems.size(), " problems");
  std::vector<std::pair<uint64_t, std::size_t>> order;  // (key, index)
  order.reserve(problems.size());
  for (std::size_t i = 0; i < problems.size(); ++i)
    order.emplace_back(derive_seed(seed, "split_hard_set/" + problems[i].id), i);
  // Ties between 64-bit keys are vanishingly rare; the id breaks them so the order stays total.
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : problems[a.second].id < problems[b.second].id;
  });
  std::vector<bool> in_train(problems.size(), false);
  for (std::size_t i = 0; i < train_size; ++i) in_train[order[i].second] = true;
  HardSplit split;
  for (std::size_t i = 0; i < problems.size(); ++i) (in_train[i] ? split.train : split.test).push_back(problems[i]);
  return split;
}

HardSplit split_hard_set_by_fraction(const std::vector<Problem>& problems, double train_fraction, uint64_t seed) {
  if (!(train_fraction >= 0.0 && train_fraction <= 1.0))
    fail("split_hard_set: train fraction must lie in [0, 1], got ", train_fraction);
  return split_hard_set(problems, std::size_t(std::llround(train_fraction * double(problems.size()))), seed);
}

}  // namespace soar
