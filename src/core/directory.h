// Listing and removing directories without std::filesystem's directory iterators.
//
// libtorch_cpu.so exports a copy of libstdc++'s std::filesystem, statically linked by PyTorch's
// toolchain (pytorch/pytorch#133437), and since it comes before libstdc++.so in our executables'
// search order the dynamic linker binds our std::filesystem calls to that copy (`LD_DEBUG=bindings`
// shows it). On the GPU machine (torch 2.11, GCC 13.3) std::filesystem::remove_all of a non-empty
// directory then crashed with a segmentation fault every time (train-rl replacing a checkpoint,
// pretrain removing its own; docs/gpu.md, "std::filesystem and libtorch", has the evidence). Path
// arithmetic, status, rename and create_directories ran there and are kept.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace soar {

// The names in `dir` (without "." and ".."), sorted. Fails with soar::Error naming `dir`.
std::vector<std::string> directory_entries(const std::filesystem::path& dir);

// Removes `path` and, for a directory, everything below it; symbolic links are removed, never
// followed. Nothing happens when `path` does not exist. Fails with soar::Error naming what it could
// not remove.
void remove_tree(const std::filesystem::path& path);

// N of an entry named <prefix><N><suffix> (N decimal digits, suffix one of `suffixes`; "" for none),
// or nullopt for any other name, a digit run included that does not fit in int64_t. Runs number
// their per-step entries so ("step_00000012", "step_000012.jsonl.gz").
std::optional<int64_t> numbered_entry(std::string_view name, std::string_view prefix,
                                      std::initializer_list<std::string_view> suffixes);

}  // namespace soar
