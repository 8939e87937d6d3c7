// Verifications per second on a realistic mix (bench/verify_bench.py draws it from the reference
// generators), single-threaded and with N threads, against math-verify's rate on the same mix
// measured in the same run.
//
//   build/release/bench/verify_bench [--threads N] [--n PAIRS] [--no-reference]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "verify/verify.h"

namespace {

struct Pair {
  std::string gold, completion;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs the whole mix `rounds` times on `threads` threads; returns verifications per second.
double rate(const std::vector<Pair>& mix, int threads, double min_seconds, int& checksum) {
  long done = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (seconds_since(t0) < min_seconds) {
    std::vector<std::thread> pool;
    std::vector<int> correct(static_cast<std::size_t>(threads), 0);
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        for (std::size_t i = static_cast<std::size_t>(t); i < mix.size(); i += static_cast<std::size_t>(threads))
          correct[static_cast<std::size_t>(t)] +=
              soar::verify::verify(mix[i].gold, mix[i].completion).verdict == soar::verify::Verdict::Correct;
      });
    for (auto& th : pool) th.join();
    checksum = 0;
    for (int c : correct) checksum += c;
    done += static_cast<long>(mix.size());
  }
  return static_cast<double>(done) / seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  int n = 1000;
  bool reference = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--n" && i + 1 < argc) n = std::atoi(argv[++i]);
    else if (a == "--no-reference") reference = false;
    else soar::fail("verify_bench: unknown argument '", a, "'");
  }
  std::string mix_path = "/tmp/soar_verify_bench_mix.jsonl";
  std::string cmd = std::string("\"") + SOAR_PYTHON + "\" \"" + SOAR_SOURCE_DIR + "/bench/verify_bench.py\" " + mix_path +
                    " --n " + std::to_string(n) + (reference ? "" : " --no-time");
  std::FILE* py = popen(cmd.c_str(), "r");
  if (!py) soar::fail("verify_bench: cannot run '", cmd, "'");
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, py)) out += buf;
  if (pclose(py) != 0) soar::fail("verify_bench: '", cmd, "' failed: ", out);

  std::vector<Pair> mix;
  std::ifstream in(mix_path);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) {
      auto j = nlohmann::json::parse(line);
      mix.push_back({j.at("gold"), j.at("completion")});
    }
  if (mix.empty()) soar::fail("verify_bench: empty mix ", mix_path);

  soar::verify::set_undecidable_log({});
  int checksum = 0;
  double one = rate(mix, 1, 3.0, checksum);
  double many = rate(mix, threads, 3.0, checksum);
  std::printf("verifier mix: %zu pairs (%d judged correct)\n", mix.size(), checksum);
  std::printf("%-28s %14s %10s\n", "checker", "verif/s", "vs mv");
  double mv = 0;
  if (reference) mv = nlohmann::json::parse(out).at("per_second").get<double>();
  auto row = [&](const char* name, double r) {
    if (mv > 0) std::printf("%-28s %14.0f %9.1fx\n", name, r, r / mv);
    else std::printf("%-28s %14.0f %10s\n", name, r, "-");
  };
  row("soar::verify, 1 thread", one);
  std::string label = "soar::verify, " + std::to_string(threads) + " threads";
  row(label.c_str(), many);
  if (mv > 0) std::printf("%-28s %14.1f %9.1fx\n", "math-verify 0.9 (Python)", mv, 1.0);
  return 0;
}
