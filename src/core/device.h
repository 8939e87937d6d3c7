// Devices and memory planning: soar sizes its big buffers (KV caches, batches) up front from what
// the device can hold, and refuses impossible requests before allocating.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <string>

namespace soar {

// Parses "cpu", "cuda", "cuda:N"; errors say what is available (CUDA needs the cuda build and a GPU).
c10::Device parse_device(const std::string& name);

// The same names, without asking whether the device exists here (a CPU build can plan a GPU run).
c10::Device name_device(const std::string& name);

// Makes a CUDA device the current one (no-op for the CPU): work queued without naming a device
// (current streams, CUDA graphs, NCCL's communicators) must land on the device the model is on,
// which for --device cuda:N or a rank's cuda:LOCAL_RANK is not device 0.
void make_current(c10::Device device);

// What tells one physical device from another across processes: the PCI bus id of a CUDA device
// (the same GPU is "cuda:0" in one process and "cuda:1" in another under different
// CUDA_VISIBLE_DEVICES), "cpu" for the CPU.
std::string device_identity(c10::Device device);

// Bytes that can still be allocated on the device: MemAvailable plus this process's free heap on
// the CPU; free memory on a GPU after handing back PyTorch's cache.
int64_t available_memory_bytes(c10::Device device);

std::string format_bytes(int64_t bytes);  // "1.5 GiB"

bool cuda_build();  // compiled with SOAR_CUDA

}  // namespace soar
