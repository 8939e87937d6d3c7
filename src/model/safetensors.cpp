#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iomanip>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

#include "core/atomic_file.h"
#include "core/directory.h"
#include "core/error.h"
#include "core/json.h"
#include "core/read_file.h"
#include "core/utf8.h"

namespace soar::safetensors {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kMetadataKey = "__metadata__";
constexpr std::string_view kSingleName = "model.safetensors";
constexpr std::string_view kIndexName = "model.safetensors.index.json";
// Duplicate keys are errors (see safetensors.h); headers and indexes nest 3 deep.
constexpr JsonRules kHeaderJsonRules{.max_depth = kMaxJsonDepth, .reject_duplicate_keys = true};

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::size_t size;
  int write_rank;  // position in the Python library's layout order (its Dtype enum, descending)
};

constexpr DTypeInfo kDTypes[] = {
    {DType::U64, "U64", 8, 0},  {DType::I64, "I64", 8, 1},   {DType::F64, "F64", 8, 2},
    {DType::F32, "F32", 4, 3},  {DType::U32, "U32", 4, 4},   {DType::I32, "I32", 4, 5},
    {DType::BF16, "BF16", 2, 6}, {DType::F16, "F16", 2, 7},  {DType::U16, "U16", 2, 8},
    {DType::I16, "I16", 2, 9},  {DType::I8, "I8", 1, 10},    {DType::U8, "U8", 1, 11},
    {DType::BOOL, "BOOL", 1, 12},
};

const DTypeInfo& info(DType dtype) {
  for (const auto& entry : kDTypes)
    if (entry.dtype == dtype) return entry;
  fail("invalid safetensors dtype value ", static_cast<int>(dtype));
}

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, bool& overflow) {
  if (b != 0 && a > std::numeric_limits<std::uint64_t>::max() / b) overflow = true;
  return a * b;
}

// A shape entry or offset: a JSON integer >= 0 (the Python library rejects floats, even 1.0).
std::uint64_t non_negative(const json& value, const std::string& where, std::string_view field,
                           std::size_t index) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer())
    fail(where, ": field \"", field, "\" entry ", index, " is negative (", value.dump(), ")");
  fail(where, ": field \"", field, "\" entry ", index, " is not an integer (", value.dump(), ")");
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace

std::size_t dtype_size(DType dtype) { return info(dtype).size; }
std::string_view dtype_name(DType dtype) { return info(dtype).name; }

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& entry : kDTypes)
    if (entry.name == name) return entry.dtype;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------- File

File File::open(const fs::path& path) {
  File file;
  file.path_ = path;
  file.mapping_ = MappedFile::open(path);
  file.parse(file.mapping_.bytes());
  return file;
}

File File::from_memory(std::span<const std::byte> bytes, fs::path label) {
  File file;
  file.path_ = std::move(label);
  file.parse(bytes);
  return file;
}

const TensorView* File::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

void File::parse(std::span<const std::byte> bytes) {
  const std::string where = path_.string();
  if (bytes.size() < 8)
    fail(where, ": file is ", bytes.size(), " bytes, shorter than the 8-byte header length");
  std::uint64_t header_size = 0;
  for (int i = 0; i < 8; ++i) header_size |= std::uint64_t(bytes[i]) << (8 * i);
  if (header_size > kMaxHeaderBytes)
    fail(where, ": header length ", header_size, " exceeds the limit of ", kMaxHeaderBytes, " bytes");
  if (header_size > bytes.size() - 8)
    fail(where, ": header length ", header_size, " runs past the end of the file (", bytes.size(),
         " bytes)");
  std::string_view header(reinterpret_cast<const char*>(bytes.data() + 8), header_size);
  // nlohmann's lexer takes NUL for the end of input, so "{}\0garbage" would otherwise pass.
  if (auto nul = header.find('\0'); nul != std::string_view::npos)
    fail(where, ": header contains a NUL byte at file offset ", 8 + nul);
  if (auto bad = first_invalid_utf8(header))
    fail(where, ": header is not valid UTF-8 at file offset ", 8 + *bad);
  json root = parse_json(header, where, "header", kHeaderJsonRules);
  if (!root.is_object()) fail(where, ": header is a JSON ", root.type_name(), ", not an object");

  const std::byte* data = bytes.data() + 8 + header_size;
  const std::uint64_t data_size = bytes.size() - 8 - header_size;
  struct Placed {
    std::uint64_t begin, end;
    TensorView view;
  };
  std::vector<Placed> placed;
  for (const auto& item : root.items()) {
    // Named references rather than a structured binding: clang before 16 cannot capture those.
    const std::string& name = item.key();
    const json& entry = item.value();
    if (name == kMetadataKey) {
      if (entry.is_null()) continue;  // the Python library accepts null
      if (!entry.is_object())
        fail(where, ": \"__metadata__\" is a JSON ", entry.type_name(), ", not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string())
          fail(where, ": \"__metadata__\" value \"", key, "\" is a JSON ", value.type_name(),
               ", not a string");
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string tensor = cat(where, ": tensor \"", name, "\"");
    if (!entry.is_object()) fail(tensor, ": entry is a JSON ", entry.type_name(), ", not an object");
    auto field = [&](const char* key, bool (json::*is_type)() const noexcept,
                     const char* type) -> const json& {
      auto it = entry.find(key);
      if (it == entry.end()) fail(tensor, ": missing field \"", key, "\"");
      if (!((*it).*is_type)())
        fail(tensor, ": field \"", key, "\" is a JSON ", it->type_name(), ", not ", type);
      return *it;
    };
    const auto& dtype_name_json = field("dtype", &json::is_string, "a string");
    const auto& shape_json = field("shape", &json::is_array, "an array");
    const auto& offsets_json = field("data_offsets", &json::is_array, "an array");

    auto dtype = parse_dtype(dtype_name_json.get_ref<const std::string&>());
    if (!dtype) fail(tensor, ": field \"dtype\" has unknown dtype ", dtype_name_json.dump());

    std::vector<int64_t> shape;
    std::uint64_t nbytes = dtype_size(*dtype);
    bool overflow = false;
    for (std::size_t i = 0; i < shape_json.size(); ++i) {
      std::uint64_t dim = non_negative(shape_json[i], tensor, "shape", i);
      if (dim > std::uint64_t(std::numeric_limits<int64_t>::max()))
        fail(tensor, ": field \"shape\" entry ", i, " is too large (", dim, ")");
      shape.push_back(int64_t(dim));
      nbytes = checked_mul(nbytes, dim, overflow);
    }
    if (overflow) fail(tensor, ": field \"shape\" ", shape_string(shape), " overflows 64-bit byte counts");

    if (offsets_json.size() != 2)
      fail(tensor, ": field \"data_offsets\" has ", offsets_json.size(), " entries, not [begin, end]");
    std::uint64_t begin = non_negative(offsets_json[0], tensor, "data_offsets", 0);
    std::uint64_t end = non_negative(offsets_json[1], tensor, "data_offsets", 1);
    if (begin > end) fail(tensor, ": field \"data_offsets\" [", begin, ", ", end, "] has begin after end");
    if (end > data_size)
      fail(tensor, ": field \"data_offsets\" end ", end, " is past the end of the data section (",
           data_size, " bytes)");
    if (end - begin != nbytes)
      fail(tensor, ": field \"data_offsets\" [", begin, ", ", end, "] spans ", end - begin,
           " bytes but dtype ", dtype_name(*dtype), " and shape ", shape_string(shape), " need ", nbytes);
    placed.push_back({begin, end, TensorView{name, *dtype, std::move(shape), data + begin, nbytes}});
  }

  // Like the Python library: sorted by offsets, the tensors must tile the data section exactly.
  std::sort(placed.begin(), placed.end(), [](const Placed& a, const Placed& b) {
    return std::tie(a.begin, a.end, a.view.name) < std::tie(b.begin, b.end, b.view.name);
  });
  std::uint64_t covered = 0;
  for (std::size_t i = 0; i < placed.size(); ++i) {
    const Placed& p = placed[i];
    if (p.begin < covered)
      fail(where, ": tensor \"", p.view.name, "\" (data_offsets [", p.begin, ", ", p.end,
           "]) overlaps tensor \"", placed[i - 1].view.name, "\" (which ends at ", covered, ")");
    if (p.begin > covered)
      fail(where, ": data section bytes [", covered, ", ", p.begin,
           ") belong to no tensor (gap before tensor \"", p.view.name, "\")");
    covered = p.end;
  }
  if (covered != data_size)
    fail(where, ": data section bytes [", covered, ", ", data_size,
         ") after the last tensor belong to no tensor");

  tensors_.reserve(placed.size());
  for (auto& p : placed) {
    by_name_.emplace(p.view.name, tensors_.size());
    tensors_.push_back(std::move(p.view));
  }
}

// ---------------------------------------------------------------------------------------- Checkpoint

namespace {

bool stays_inside(const fs::path& relative) {
  if (relative.empty() || relative.is_absolute() || relative.has_root_name()) return false;
  for (const auto& part : relative)
    if (part == "..") return false;
  return true;
}

}  // namespace

Checkpoint Checkpoint::open(const fs::path& dir_or_file) {
  Checkpoint checkpoint;
  checkpoint.path_ = dir_or_file;
  const std::string where = dir_or_file.string();
  std::error_code error;
  const auto status = fs::status(dir_or_file, error);
  fs::path single, index;
  if (fs::is_directory(status)) {
    if (fs::exists(dir_or_file / kSingleName, error)) {
      single = dir_or_file / kSingleName;
    } else if (fs::exists(dir_or_file / kIndexName, error)) {
      index = dir_or_file / kIndexName;
    } else {
      fail(where, ": directory has neither ", kSingleName, " nor ", kIndexName);
    }
  } else if (fs::exists(status)) {
    (dir_or_file.filename().string().ends_with(".index.json") ? index : single) = dir_or_file;
  } else {
    fail(where, ": no such file or directory");
  }

  if (!single.empty()) {
    checkpoint.files_.push_back(File::open(single));
    for (const auto& view : checkpoint.files_[0].tensors()) checkpoint.tensors_.emplace(view.name, &view);
    return checkpoint;
  }

  const std::string index_name = index.string();
  json root = parse_json(read_whole_file(index), index_name, "index", kHeaderJsonRules);
  if (!root.is_object()) fail(index_name, ": index is a JSON ", root.type_name(), ", not an object");
  auto weight_map_it = root.find("weight_map");
  if (weight_map_it == root.end()) fail(index_name, ": missing field \"weight_map\"");
  if (!weight_map_it->is_object())
    fail(index_name, ": field \"weight_map\" is a JSON ", weight_map_it->type_name(), ", not an object");
  std::map<std::string, std::string, std::less<>> weight_map;  // tensor -> shard
  std::map<std::string, std::string> first_tensor_of_shard;
  for (const auto& [name, shard] : weight_map_it->items()) {
    if (!shard.is_string())
      fail(index_name, ": weight_map entry \"", name, "\" is a JSON ", shard.type_name(), ", not a string");
    const auto& file = shard.get_ref<const std::string&>();
    if (!stays_inside(fs::path(file)))
      fail(index_name, ": weight_map entry \"", name, "\" names shard \"", file,
           "\", which is not a path inside the checkpoint directory");
    weight_map.emplace(name, file);
    first_tensor_of_shard.emplace(file, name);
  }

  // Open every shard before indexing it: views stay put when files_ reallocates (each File's tensor
  // vector moves with its buffer), but indexing once at the end keeps that reasoning out of the loop.
  const fs::path dir = index.parent_path();
  for (const auto& [shard, first_tensor] : first_tensor_of_shard) {
    fs::path shard_path = dir / shard;
    if (!fs::exists(shard_path, error))
      fail(index_name, ": shard \"", shard, "\" (listed for tensor \"", first_tensor, "\") is missing: ",
           shard_path.string());
    checkpoint.files_.push_back(File::open(shard_path));
  }
  std::map<std::string, const File*, std::less<>> owner;
  for (const File& file : checkpoint.files_) {
    for (const auto& view : file.tensors()) {
      auto [it, inserted] = owner.emplace(view.name, &file);
      if (!inserted)
        fail(index_name, ": tensor \"", view.name, "\" is present in two shards: ",
             it->second->path().string(), " and ", file.path().string());
      checkpoint.tensors_.emplace(view.name, &view);
    }
  }
  for (const auto& [name, shard] : weight_map) {
    auto it = owner.find(name);
    if (it == owner.end())
      fail(index_name, ": tensor \"", name, "\" is listed for shard \"", shard, "\" but absent from it");
    if (it->second->path() != dir / shard)
      fail(index_name, ": tensor \"", name, "\" is listed for shard \"", shard, "\" but found in ",
           it->second->path().string());
  }
  for (const auto& [name, file] : owner)
    if (!weight_map.contains(name))
      fail(index_name, ": tensor \"", name, "\" in shard ", file->path().string(),
           " is not listed in the index's weight_map");
  return checkpoint;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& entry : tensors_) out.push_back(entry.first);  // std::map: already sorted
  return out;
}

const TensorView* Checkpoint::find(std::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : it->second;
}

const TensorView& Checkpoint::at(std::string_view name) const {
  const TensorView* view = find(name);
  if (!view) fail("tensor ", name, " not found in ", path_.string());
  return *view;
}

// -------------------------------------------------------------------------------------------- writing

namespace {

// Checks names (unique, UTF-8, not "__metadata__") and sizes; errors name `where` and the tensor.
void validate(const std::vector<TensorToWrite>& tensors, const std::string& where) {
  std::set<std::string_view> seen;
  for (const auto& t : tensors) {
    const std::string tensor = cat(where, ": tensor \"", t.name, "\"");
    if (t.name == kMetadataKey) fail(tensor, ": the name is reserved for the metadata");
    if (first_invalid_utf8(t.name)) fail(tensor, ": the name is not valid UTF-8");
    if (!seen.insert(t.name).second) fail(tensor, ": duplicate name");
    std::uint64_t nbytes = dtype_size(t.dtype);
    bool overflow = false;
    for (int64_t dim : t.shape) {
      if (dim < 0) fail(tensor, ": negative dimension in shape ", shape_string(t.shape));
      nbytes = checked_mul(nbytes, std::uint64_t(dim), overflow);
    }
    if (overflow) fail(tensor, ": shape ", shape_string(t.shape), " overflows 64-bit byte counts");
    if (t.data.size() != nbytes)
      fail(tensor, ": data has ", t.data.size(), " bytes but dtype ", dtype_name(t.dtype), " and shape ",
           shape_string(t.shape), " need ", nbytes);
  }
}

void write_validated(const fs::path& path, const std::vector<const TensorToWrite*>& tensors,
                     const std::map<std::string, std::string>& metadata) {
  std::vector<const TensorToWrite*> order = tensors;
  std::sort(order.begin(), order.end(), [](const TensorToWrite* a, const TensorToWrite* b) {
    int ra = info(a->dtype).write_rank, rb = info(b->dtype).write_rank;
    return ra != rb ? ra < rb : a->name < b->name;
  });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  meta["format"] = "pt";
  for (const auto& [key, value] : metadata) {
    if (first_invalid_utf8(key) || first_invalid_utf8(value))
      fail(path.string(), ": metadata entry \"", key, "\" is not valid UTF-8");
    meta[key] = value;
  }
  header[std::string(kMetadataKey)] = std::move(meta);
  std::uint64_t offset = 0;
  for (const TensorToWrite* t : order) {
    header[t->name] = {{"dtype", dtype_name(t->dtype)},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + t->data.size()}}};
    offset += t->data.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data section starts 8-byte aligned
  write_file_atomically(path, [&](std::ostream& out) {
    char length[8];
    for (int i = 0; i < 8; ++i) length[i] = char((std::uint64_t(text.size()) >> (8 * i)) & 0xFF);
    out.write(length, 8);
    out.write(text.data(), std::streamsize(text.size()));
    for (const TensorToWrite* t : order)
      out.write(reinterpret_cast<const char*>(t->data.data()), std::streamsize(t->data.size()));
  });
}

// "model-00001-of-00003.safetensors", as transformers names shards.
bool is_shard_name(const std::string& name) {
  auto digits = [&](std::size_t at) {
    return std::all_of(name.begin() + at, name.begin() + at + 5, [](char c) { return c >= '0' && c <= '9'; });
  };
  return name.size() == 32 && name.starts_with("model-") && digits(6) && name.compare(11, 4, "-of-") == 0 &&
         digits(15) && name.ends_with(".safetensors");
}

std::string shard_name(std::size_t i, std::size_t n) {
  std::ostringstream out;
  out << "model-" << std::setfill('0') << std::setw(5) << i << "-of-" << std::setw(5) << n << ".safetensors";
  return out.str();
}

}  // namespace

void write_file(const fs::path& path, const std::vector<TensorToWrite>& tensors,
                const std::map<std::string, std::string>& metadata) {
  validate(tensors, path.string());
  std::vector<const TensorToWrite*> all;
  for (const auto& t : tensors) all.push_back(&t);
  write_validated(path, all, metadata);
}

void write_checkpoint(const fs::path& dir, const std::vector<TensorToWrite>& tensors,
                      std::size_t max_shard_bytes) {
  validate(tensors, dir.string());
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) fail(dir.string(), ": cannot create directory: ", error.message());

  // huggingface_hub's split_state_dict_into_shards_factory, in input order.
  std::vector<std::vector<const TensorToWrite*>> shards;
  std::vector<const TensorToWrite*> current;
  std::size_t current_bytes = 0, total_bytes = 0;
  for (const auto& t : tensors) {
    total_bytes += t.data.size();
    if (t.data.size() > max_shard_bytes) {
      shards.push_back({&t});
      continue;
    }
    if (current_bytes + t.data.size() > max_shard_bytes) {
      shards.push_back(std::move(current));
      current.clear();
      current_bytes = 0;
    }
    current.push_back(&t);
    current_bytes += t.data.size();
  }
  if (!current.empty()) shards.push_back(std::move(current));

  std::set<std::string> written;
  if (shards.size() <= 1) {
    std::vector<const TensorToWrite*> all;
    for (const auto& t : tensors) all.push_back(&t);
    write_validated(dir / kSingleName, all, {});
    written.insert(std::string(kSingleName));
  } else {
    json weight_map = json::object();
    for (std::size_t i = 0; i < shards.size(); ++i) {
      std::string name = shard_name(i + 1, shards.size());
      write_validated(dir / name, shards[i], {});
      for (const TensorToWrite* t : shards[i]) weight_map[t->name] = name;
      written.insert(name);
    }
    json index = {{"metadata", {{"total_size", total_bytes}}}, {"weight_map", std::move(weight_map)}};
    write_text_atomically(dir / kIndexName, index.dump(2) + "\n");  // transformers: indent=2, sorted
    written.insert(std::string(kIndexName));
  }

  // Weight files of an earlier checkpoint go only once the new one is complete, so a crash before
  // this point leaves a directory that Checkpoint::open either loads consistently (the old
  // model.safetensors wins over a new index) or rejects (old index over overwritten shards).
  std::vector<fs::path> stale;
  for (const std::string& name : directory_entries(dir))
    if ((name == kSingleName || name == kIndexName || is_shard_name(name)) && !written.contains(name))
      stale.push_back(dir / name);
  for (const auto& path : stale)
    if (fs::remove(path, error); error)
      fail(path.string(), ": cannot remove stale checkpoint file: ", error.message());
}

}  // namespace soar::safetensors
