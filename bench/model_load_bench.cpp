// Loading a Hugging Face checkpoint (bf16 safetensors, as checkpoints ship) and cloning a policy:
// soar's load_model and copy_of against transformers' from_pretrained on the same files, measured
// in the same run by bench/model_load_reference.py, and against the floor: copying every stored
// byte out of the page cache once. Times are the best of 3 with the files in the page cache; peak
// memory is the rise of the process's peak resident set over the operation (it counts the
// checkpoint's mapped pages while they are mapped). docs/benchmarks.md records the latest figures.
//
//   build/release/bench/model_load_bench [--model 1b|3b] [--threads N]
#include <ATen/ATen.h>
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/directory.h"
#include "core/threads.h"
#include "llama_configs.h"
#include "model/checkpoint.h"
#include "run_command.h"

namespace {

// Resident set figures of this process in bytes ("VmRSS", "VmHWM").
int64_t status_bytes(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stoll(line.substr(std::strlen(field) + 1)) * 1024;  // "kB"
  }
  return -1;
}

struct Measurement {
  double seconds = 1e30;
  double peak_gib = 0;  // rise of the peak resident set over the operation
};

// Best time of `reps` runs of `operation`, and the largest rise of the peak resident set in any.
Measurement measure(const std::function<void()>& operation, int reps = 3) {
  Measurement m;
  for (int rep = 0; rep < reps; ++rep) {
    // glibc keeps freed blocks below its (dynamic, up to 32 MiB) mmap threshold in its heaps: give
    // them back, so that a run does not reuse the one before's and each rise counts all it needs.
    malloc_trim(0);
    std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current VmRSS (Linux >= 4.0)
    const int64_t before = status_bytes("VmRSS:");
    const auto start = std::chrono::steady_clock::now();
    operation();
    m.seconds = std::min(m.seconds, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    m.peak_gib = std::max(m.peak_gib, static_cast<double>(status_bytes("VmHWM:") - before) / (1 << 30));
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  std::string model_name = "1b";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--threads") threads = std::stoi(value);
    if (flag == "--model") model_name = value;
  }
  if (model_name != "1b" && model_name != "3b") {
    std::fprintf(stderr, "--model must be 1b or 3b\n");
    return 2;
  }
  soar::configure_threads(threads);
  const soar::ModelConfig config = model_name == "1b" ? soar::bench::llama_3_2_1b() : soar::bench::llama_3_2_3b();

  const auto dir = std::filesystem::temp_directory_path() / ("soar_model_load_bench_" + model_name);
  if (!std::filesystem::exists(dir / "config.json")) {
    std::fprintf(stderr, "writing a random Llama-3.2-%s checkpoint (bf16) to %s\n", model_name.c_str(), dir.c_str());
    soar::CausalLM model(config, at::kBFloat16);
    model->initialize_weights(1);
    soar::save_model(*model, dir);
  }

  std::vector<std::filesystem::path> stored_files;
  for (const std::string& name : soar::directory_entries(dir))
    if (std::filesystem::path(name).extension() == ".safetensors") stored_files.push_back(dir / name);
  int64_t stored_bytes = 0;
  for (const auto& file : stored_files) stored_bytes += static_cast<int64_t>(std::filesystem::file_size(file));

  // The floor: every stored byte copied once out of the page cache into memory of our own.
  std::vector<char> buffer(stored_bytes);
  const Measurement floor = measure([&] {
    int64_t offset = 0;
    for (const auto& path : stored_files) {
      const auto size = static_cast<int64_t>(std::filesystem::file_size(path));
      std::ifstream file(path, std::ios::binary);
      file.read(buffer.data() + offset, static_cast<std::streamsize>(size));
      offset += size;
    }
  });
  std::vector<char>().swap(buffer);  // frees it (assigning {} would keep the capacity)

  const Measurement load_bf16 = measure([&] { soar::load_model(dir, {.dtype = at::kBFloat16}); });
  const auto read_every_value = [](soar::CausalLMImpl& model) {
    double sum = 0;
    for (const auto& p : model.parameters()) sum += p.sum().item<double>();
    return sum;
  };
  const Measurement load_bf16_read =
      measure([&] { read_every_value(*soar::load_model(dir, {.dtype = at::kBFloat16})); });
  const Measurement load_fp32 = measure([&] { soar::load_model(dir, {.dtype = at::kFloat}); });
  Measurement clone;
  {
    soar::CausalLM policy = soar::load_model(dir, {.dtype = at::kBFloat16});
    clone = measure([&] { soar::copy_of(*policy); });
  }  // freed before the reference runs: both processes at once would not fit a 3B model in 23 GiB

  std::ostringstream command;
  command << SOAR_PYTHON << " " << SOAR_SOURCE_DIR << "/bench/model_load_reference.py " << dir << " " << threads;
  const auto reference = nlohmann::json::parse(soar::bench::last_line(soar::bench::run_command(command.str())));

  std::printf("model_load_bench: Llama-3.2-%s config, %.2fB parameters, %.2f GiB of bf16 safetensors, %d thread(s)\n",
              model_name.c_str(), config.parameter_count() / 1e9, stored_bytes / double(1 << 30), threads);
  std::printf("| operation | soar s | soar peak GiB | transformers %s s | its peak GiB | time ratio |\n",
              reference["transformers"].get<std::string>().c_str());
  std::printf("|---|---|---|---|---|---|\n");
  auto row = [&](const char* what, const Measurement& ours, const char* key) {
    const double theirs = reference[key]["seconds"], theirs_peak = reference[key]["peak_gib"];
    std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2fx |\n", what, ours.seconds, ours.peak_gib, theirs, theirs_peak,
                theirs / ours.seconds);
  };
  row("load as bf16", load_bf16, "load_bf16");
  row("load as bf16, then read every value", load_bf16_read, "load_bf16_read");
  row("load as float32", load_fp32, "load_fp32");
  row("clone a bf16 policy", clone, "clone_bf16");
  std::printf("| floor: read every stored byte once | %.2f (%.1f GB/s) | %.2f | | | |\n", floor.seconds,
              stored_bytes / floor.seconds / 1e9, floor.peak_gib);
  return 0;
}
