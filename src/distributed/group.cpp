#include "distributed/group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef SOAR_CUDA
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/device.h"
#include "core/error.h"
#include "core/exception_text.h"
#include "distributed/placement.h"
#include "distributed/tree_sum.h"

namespace soar::dist {
namespace {

std::string progress_key(int rank) { return cat("soar/progress/", rank); }
std::string process_key(int rank) { return cat("soar/process/", rank); }

// This boot of this host (the kernel's boot id): processes with the same one can see each other in /proc.
std::string boot_id() {
  std::ifstream file("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(file, id);
  return id;
}

// What /proc says of process `pid` on this host: stopped (SIGSTOP, a debugger), exited, or nothing
// remarkable ("" when running or sleeping, as a rank waiting in a collective is).
std::string local_process_state(long pid) {
  std::ifstream file(cat("/proc/", pid, "/stat"));
  std::string stat;
  if (!std::getline(file, stat)) return "has exited";
  const size_t close = stat.rfind(')');  // after "pid (comm)" comes the state letter
  const char state = close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
  if (state == 'T' || state == 't') return "is stopped (SIGSTOP or a debugger)";
  if (state == 'Z' || state == 'X') return "has exited";
  if (state == 'D') return "is blocked in uninterruptible I/O";
  return "";
}

std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

// The interface Gloo's connections use: GLOO_SOCKET_IFNAME if set (torch's convention), loopback
// for a run on one host, else the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master_addr) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface != nullptr && *interface != '\0') {
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  }
  if (master_addr == "localhost" || master_addr.rfind("127.", 0) == 0) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

#ifdef SOAR_CUDA
std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("?");
}

// This host as NCCL tells hosts apart (its host hash): the host name and the kernel's boot id, since
// host names alone may repeat across machines.
std::string host_identity() { return cat(host_name(), "/", boot_id()); }

// Every rank's GPU through the store, before NCCL starts (it cannot be asked before), so that two
// ranks on one GPU are named instead of failing inside NCCL at the first collective.
void require_one_gpu_per_rank(c10d::Store& store, int rank, int world_size, at::Device device, std::chrono::milliseconds timeout) {
  const auto key = [](int r) { return cat("soar/placement/", r); };
  const Placement mine{host_name(), cat(host_identity(), " ", device_identity(device)), device.str()};
  store.set(key(rank), bytes_of(encode_placement(mine)));
  std::vector<Placement> placements;
  for (int r = 0; r < world_size; ++r) {
    store.wait({key(r)}, timeout);
    std::vector<uint8_t> value = store.get(key(r));
    placements.push_back(decode_placement(std::string(value.begin(), value.end())));
  }
  if (std::string problem = shared_gpus(placements); !problem.empty()) fail(problem);
}
#endif

}  // namespace

Group::Group() = default;

Group::Group(const LaunchEnv& env, at::Device device, std::chrono::milliseconds timeout)
    : rank_(env.rank), world_size_(env.world_size), timeout_(timeout), device_(device) {
  // A peer that dies closes its sockets; Gloo's and the store's next write to one would raise
  // SIGPIPE and kill this rank before it can name the dead peer. Ignored (as the Python
  // interpreter does for torch.distributed), the write fails with EPIPE and run() reports it.
  std::signal(SIGPIPE, SIG_IGN);
  store_address_ = cat(env.master_addr, ":", env.master_port);
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(env.master_port);
  options.isServer = env.rank == 0 && !env.launcher_hosts_store;
  options.numWorkers = std::nullopt;
  options.waitWorkers = false;
  options.timeout = timeout;
  try {
    store_ = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
    // Every rank announces itself, then waits for all: a rank that never starts is named here.
    store_->set(process_key(rank_), bytes_of(cat(boot_id(), " ", ::getpid())));
    store_->set(progress_key(rank_), bytes_of("0"));
    std::vector<std::string> keys;
    for (int r = 0; r < world_size_; ++r) keys.push_back(progress_key(r));
    store_->wait(keys, timeout);
  } catch (const std::exception& e) {
    std::string missing = store_ ? diagnose_missing_ranks() : std::string();
    fail("rank ", rank_, " of ", world_size_, " could not join the run at ", store_address_, " within ",
         timeout.count() / 1000.0, " s", missing.empty() ? "" : ": ", missing, " (", exception_text(e), ")");
  }
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("soar/backend", store_);
  if (device.is_cuda()) {
#ifdef SOAR_CUDA
    require_one_gpu_per_rank(*store_, rank_, world_size_, device, timeout);
    // NCCL's wait() otherwise only orders streams, and a timed-out collective is handled by its
    // watchdog thread; blocking waits make a stuck peer surface here as with Gloo, so that run()
    // names it. The user's own setting wins.
    setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
    auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
    nccl_options->timeout = timeout;
    backend_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, rank_, world_size_, nccl_options);
    nccl_ = true;
#else
    fail("distributed runs on CUDA need the CUDA build (cmake --preset cuda)");
#endif
  } else {
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
    gloo_options->devices.push_back(gloo_device(env.master_addr));
    backend_ = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank_, world_size_, gloo_options);
  }
}

Group::~Group() = default;

std::string Group::diagnose_missing_ranks() const {
  std::vector<std::string> behind, states;
  try {
    for (int r = 0; r < world_size_; ++r) {
      if (r == rank_) continue;
      if (!store_->check({progress_key(r)})) {
        behind.push_back(cat("rank ", r, " never joined"));
        continue;
      }
      std::string state;  // seen from this host, when rank r runs here
      if (store_->check({process_key(r)})) {
        std::vector<uint8_t> value = store_->get(process_key(r));
        std::istringstream process(std::string(value.begin(), value.end()));
        std::string boot;
        long pid = 0;
        if (process >> boot >> pid && boot == boot_id()) {
          state = local_process_state(pid);
          if (!state.empty()) states.push_back(cat("rank ", r, " (pid ", pid, ") ", state));
        }
      }
      std::vector<uint8_t> value = store_->get(progress_key(r));
      int64_t reached = std::stoll(std::string(value.begin(), value.end()));
      if (reached < sequence_) {
        behind.push_back(cat("rank ", r, " (stuck at or died before collective #", reached + 1, state.empty() ? "" : "; it ", state, ")"));
      }
    }
  } catch (const std::exception&) {
    return cat("the rendezvous store at ", store_address_,
               " is unreachable: the process hosting it (the launcher, or rank 0) has exited");
  }
  if (behind.empty()) {
    std::string named;
    for (size_t i = 0; i < states.size(); ++i) named += cat(i ? ", " : "", states[i]);
    return named.empty() ? std::string("every rank reached it, so a peer failed or stalled inside it (ranks on other hosts "
                                       "cannot be inspected from here)")
                         : cat("every rank reached it, and ", named);
  }
  std::ostringstream out;
  out << "missing: ";
  for (size_t i = 0; i < behind.size(); ++i) out << (i ? ", " : "") << behind[i];
  return out.str();
}

void Group::run(const char* what, const std::function<void()>& body) {
  ++sequence_;
  const auto start = std::chrono::steady_clock::now();
  try {
    store_->set(progress_key(rank_), bytes_of(std::to_string(sequence_)));
    body();
  } catch (const soar::Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string first_line = e.what();
    first_line = first_line.substr(0, first_line.find('\n'));
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fail("distributed ", what, " (collective #", sequence_, ") failed on rank ", rank_, " of ", world_size_, " after ",
         std::round(waited * 10) / 10, " s", waited >= 0.9 * timeout_.count() / 1000.0 ? " (the collective timeout)" : "", ": ",
         diagnose_missing_ranks(), ". [", first_line, "]");
  }
}

at::Tensor Group::on_group_device(const at::Tensor& tensor) const {
  return tensor.device() == device_ ? tensor : tensor.to(device_);
}

void Group::all_reduce_sum(at::Tensor& tensor) {
  if (!communicates()) return;
  bytes_sent_ += 2 * (world_size_ - 1) * static_cast<int64_t>(tensor.nbytes()) / world_size_;
  run("all_reduce", [&] {
    std::vector<at::Tensor> tensors{on_group_device(tensor)};
    backend_->allreduce(tensors)->wait();
    if (!tensors[0].is_same(tensor)) tensor.copy_(tensors[0]);
  });
}

void Group::exchange(at::Tensor& send, at::Tensor& receive, int partner) {
  bytes_sent_ += static_cast<int64_t>(send.nbytes());
  std::vector<at::Tensor> out{send}, in{receive};
  if (nccl_) {
    // NCCL runs a rank's send and receive in order on one stream, and a send waits for the peer's
    // receive: both ranks would wait in their sends. Issued as one group, as
    // torch.distributed.batch_isend_irecv does, they proceed together. (Gloo's are independent.)
    backend_->startCoalescing();
    backend_->send(out, partner, 0);
    backend_->recv(in, partner, 0);
    if (auto work = backend_->endCoalescing()) work->wait();
    return;
  }
  auto sent = backend_->send(out, partner, 0);
  auto received = backend_->recv(in, partner, 0);
  sent->wait();
  received->wait();
}

at::Tensor Group::tree_sum(const std::vector<at::Tensor>& local, int64_t total_chunks, const at::Tensor& zeros_like) {
  const ChunkRange mine = chunk_range(total_chunks, rank_, world_size_);
  if (static_cast<int64_t>(local.size()) != mine.count) {
    fail("rank ", rank_, " holds ", local.size(), " chunk values but chunk_range gives it ", mine.count);
  }
  at::Tensor sum = local.empty() ? at::zeros_like(zeros_like) : canonical_sum(local);
  if (!communicates()) return sum;
  if (!tree_is_exact(total_chunks, world_size_)) {
    all_reduce_sum(sum);
    return sum;
  }
  run("tree_sum", [&] {
    at::Tensor node = on_group_device(sum);
    at::Tensor other = at::empty_like(node);
    for (int distance = 1; distance < world_size_; distance *= 2) {
      const int partner = rank_ ^ distance;
      exchange(node, other, partner);
      // The lower rank's node is the left operand on both sides, so both compute the same bits.
      node = (rank_ & distance) ? other + node : node + other;
    }
    sum = node.to(sum.device());
  });
  return sum;
}

void Group::broadcast(at::Tensor& tensor, int root) {
  if (!communicates()) return;
  if (rank_ == root) bytes_sent_ += (world_size_ - 1) * static_cast<int64_t>(tensor.nbytes());
  run("broadcast", [&] {
    std::vector<at::Tensor> tensors{on_group_device(tensor)};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    backend_->broadcast(tensors, options)->wait();
    if (!tensors[0].is_same(tensor)) tensor.copy_(tensors[0]);
  });
}

std::vector<std::string> Group::all_gather_bytes(const std::string& mine) {
  if (!communicates()) return {mine};
  std::vector<std::string> out(static_cast<size_t>(world_size_));
  run("all_gather", [&] {
    // Every rank's length first (allgather wants equal sizes), then the bytes padded to the longest;
    // the results are read on the host.
    std::vector<at::Tensor> length_in{on_group_device(at::tensor({static_cast<int64_t>(mine.size())}, at::kLong))};
    std::vector<std::vector<at::Tensor>> lengths(1);
    for (int r = 0; r < world_size_; ++r) lengths[0].push_back(at::empty_like(length_in[0]));
    backend_->allgather(lengths, length_in)->wait();
    const at::Tensor length_of = at::cat(lengths[0]).to(at::kCPU);
    const int64_t longest = length_of.max().item<int64_t>();
    at::Tensor padded = at::zeros({std::max<int64_t>(longest, 1)}, at::kByte);
    bytes_sent_ += (world_size_ - 1) * (8 + padded.numel());
    std::memcpy(padded.data_ptr(), mine.data(), mine.size());
    std::vector<at::Tensor> in{on_group_device(padded)};
    std::vector<std::vector<at::Tensor>> gathered(1);
    for (int r = 0; r < world_size_; ++r) gathered[0].push_back(at::empty_like(in[0]));
    backend_->allgather(gathered, in)->wait();
    const at::Tensor all = at::stack(gathered[0]).to(at::kCPU);
    for (int r = 0; r < world_size_; ++r) {
      const auto* data = static_cast<const char*>(all[r].data_ptr());
      out[static_cast<size_t>(r)].assign(data, static_cast<size_t>(length_of[r].item<int64_t>()));
    }
  });
  return out;
}

std::string Group::broadcast_bytes(const std::string& mine, int root) {
  if (!communicates()) return mine;
  return all_gather_bytes(rank_ == root ? mine : std::string())[static_cast<size_t>(root)];
}

void Group::barrier() {
  if (!communicates()) return;
  run("barrier", [&] {
    std::vector<at::Tensor> tensors{at::zeros({1}, at::TensorOptions().dtype(at::kFloat).device(device_))};
    backend_->allreduce(tensors)->wait();
    tensors[0].item<float>();  // on a CUDA group wait() orders streams only: the host waits here
  });
}

}  // namespace soar::dist
