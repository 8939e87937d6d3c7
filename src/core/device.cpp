#include "core/device.h"

#include <fstream>
#include <iomanip>
#include <sstream>

#include "core/error.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#ifdef SOAR_CUDA
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#endif

namespace soar {

bool cuda_build() {
#ifdef SOAR_CUDA
  return true;
#else
  return false;
#endif
}

c10::Device name_device(const std::string& name) {
  c10::Device device(c10::kCPU);
  try {
    device = c10::Device(name);
  } catch (const std::exception&) {
    fail("unknown device '", name, "' (use cpu, cuda or cuda:N)");
  }
  if (!device.is_cpu() && !device.is_cuda()) fail("device '", name, "' is not supported (use cpu, cuda or cuda:N)");
  return device;
}

c10::Device parse_device(const std::string& name) {
  const c10::Device device = name_device(name);
  if (device.is_cpu()) return device;
#ifdef SOAR_CUDA
  int count = static_cast<int>(c10::cuda::device_count());
  if (count == 0) fail("device '", name, "': no CUDA GPU is visible");
  if (device.has_index() && device.index() >= count) fail("device '", name, "': only ", count, " GPU(s) visible");
  return device;
#else
  fail("device '", name, "': this soar was built without CUDA (configure with the 'cuda' preset)");
#endif
}

void make_current(c10::Device device) {
  if (!device.is_cuda() || !device.has_index()) return;
#ifdef SOAR_CUDA
  c10::cuda::set_device(device.index());
#endif
}

std::string device_identity(c10::Device device) {
  if (device.is_cpu()) return "cpu";
#ifdef SOAR_CUDA
  char bus_id[32] = {};
  const int index = device.has_index() ? device.index() : static_cast<int>(c10::cuda::current_device());
  if (cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, index) != cudaSuccess) fail("cannot read the PCI bus id of ", device.str());
  return bus_id;
#else
  fail("device ", device.str(), " is not available in this build");
#endif
}

int64_t available_memory_bytes(c10::Device device) {
  if (device.is_cpu()) {
    // Free blocks glibc keeps in this process's heaps (every freed block below 256 MiB under
    // keep_freed_memory) are free for our purposes but count as used in MemAvailable, as the CUDA
    // cache below does in the driver's figure. Counted rather than handed back (malloc_trim): the
    // kernel's MemAvailable takes up to seconds to see returned pages.
    int64_t held_free = 0;
#ifdef __GLIBC__
    held_free = static_cast<int64_t>(mallinfo2().fordblks);
#endif
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    int64_t kib = 0;
    std::string unit;
    while (meminfo >> key >> kib >> unit) {
      if (key == "MemAvailable:") return kib * 1024 + held_free;
    }
    fail("cannot read MemAvailable from /proc/meminfo");
  }
#ifdef SOAR_CUDA
  c10::cuda::CUDAGuard guard(device.has_index() ? device.index() : 0);
  // Memory PyTorch's caching allocator holds but no tensor uses (freed tensors, the pools of
  // destroyed CUDA graphs) is free for our purposes, but the driver counts it as used: hand it
  // back first, or a second large request after a first one is refused with most memory idle.
  c10::cuda::CUDACachingAllocator::emptyCache();
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) fail("cudaMemGetInfo failed on ", device.str());
  return static_cast<int64_t>(free_bytes);
#else
  fail("device ", device.str(), " is not available in this build");
#endif
}

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  std::ostringstream out;
  out << std::fixed << std::setprecision(unit == 0 ? 0 : 1) << value << " " << units[unit];
  return out.str();
}

}  // namespace soar
