// Listing and removing directories without std::filesystem's directory iterators.
//
// libtorch_cpu.so exports a copy of libstdc++'s std::filesystem (built by PyTorch's toolchain), and
// since it comes before libstdc++.so in our executables' search order, the dynamic linker binds our
// std::filesystem calls to that copy (`LD_DEBUG=bindings` shows it). Its directory iterators then
// work with the inline parts of the same classes that our own compiler generated. On the GPU
// machine (torch 2.11, GCC 13.3) that mix crashed: every std::filesystem::remove_all of a non-empty
// directory ended in a segmentation fault (train-rl replacing a checkpoint, pretrain removing its own).
// Path arithmetic, status, rename and create_directories do not involve those classes and are kept.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace soar {

// The names in `dir` (without "." and ".."), sorted. Fails with soar::Error naming `dir`.
std::vector<std::string> directory_entries(const std::filesystem::path& dir);

// Removes `path` and, for a directory, everything below it; symbolic links are removed, never
// followed. Nothing happens when `path` does not exist. Fails with soar::Error naming what it could
// not remove.
void remove_tree(const std::filesystem::path& path);

}  // namespace soar
